"""``harness run`` of the spec's reference cases prints their expected texts exactly, on both executors.

The expected texts are the spec's (section 11), restated in this project's
stage numbering; each scenario's description says how it expresses its case.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from harness.cli import main

CORPUS = Path(__file__).resolve().parent.parent / "baselines"

MARKER_BOOM = '{"index":1,"key":1,"message":"boom:seed","error":"boom:seed","value":"seed"}'
MARKER_EXPLODED = '{"index":1,"key":1,"message":"branch exploded","error":"branch exploded","value":"seed"}'

EXPECTED_OUTPUT = {
    "ref-parallel-basic": "L:x + R:x",
    "ref-parallel-group-errors": f'["ok:seed",{MARKER_BOOM}]',
    "ref-parallel-multi-groups": "U:L:x + R:x + D:L:x + R:x",
    "ref-parallel-ordering-delays": "A + B + C",
    "ref-parallel-syntax-parity": "L:x + R:x",
    "ref-parallel-when-action": "L:x + R:x",
    "ref-parallel-with-clause-multi": "U:L:x + R:x + D:L:x + R:x",
    "ref-leading-basic": '["result1","result2","result3"]',
    "ref-leading-in-exe": "H1H2",
    "ref-leading-multi-stage": "A-B",
    "ref-leading-with-caps": '["1","2","3","4"]',
    "ref-leading-with-clause-syntax": "A,B",
    "ref-leading-with-combiner": "A, B, C",
    "ref-runtime-default-cap": "s,s,s,s,s,s",
    "ref-runtime-inline-effects": "L:x + R:x",
    "ref-runtime-leading-group": '["R:x","L:x"]',
    "ref-runtime-limit-one": '["s","s","s","s"]',
    "ref-executor-cap-three-markers": f'["slow-result",{MARKER_EXPLODED},"fast-result"]',
    "ref-retry-basic": "3",
    "ref-retry-show-vs-with-retry": "done try=3",
    "ref-retry-multi-stage": "final: s2-try3: s1-try2: initial (stage 5)",
    "ref-retry-attempt-tracking": 'current: attempt-3: base, history: [[["attempt-2: base","attempt-3: base"]]], try: 1',
    "ref-retry-best-of-n": (
        "selected: variation-outstanding from "
        "[variation-good, variation-excellent, variation-perfect, variation-outstanding]"
    ),
    "ref-retry-hint-reception": "Used hint: null",
    "ref-retry-hint-interpolated": "Used hint: null",
    "ref-retry-inline-show-replay": "v3",
    "ref-retry-early-termination": "",
}

EXPECTED_ERROR = {
    "ref-runtime-retry-rejection": "Pipeline failed at stage 2: retry not supported in parallel stage",
    "ref-retry-limit-context": "Pipeline aborted: Stage 2 exceeded retry limit for stage 1 (10 attempts; max 10).",
    "ref-retry-source-not-retryable": (
        "Pipeline aborted: Cannot retry stage 0: input is not a function. "
        "Make the source a function to enable retries."
    ),
}


def run(name: str, implementation: str) -> list[str]:
    out = io.StringIO()
    assert main(["run", str(CORPUS / f"{name}.toml"), "--impl", implementation], out=out, err=io.StringIO()) == 0
    return out.getvalue().splitlines()


@pytest.mark.parametrize("implementation", ["reference", "extracted"])
@pytest.mark.parametrize("name", sorted(EXPECTED_OUTPUT))
def test_reference_case_prints_the_expected_output(name: str, implementation: str) -> None:
    """The second line of the summary is the output text, exactly."""
    lines = run(name, implementation)
    assert lines[0] == f"ok: {name} on {implementation}"
    assert lines[1] == f"output: {EXPECTED_OUTPUT[name]}"


@pytest.mark.parametrize("implementation", ["reference", "extracted"])
@pytest.mark.parametrize("name", sorted(EXPECTED_ERROR))
def test_reference_case_fails_with_the_expected_message(name: str, implementation: str) -> None:
    """A pipeline failure is an outcome: exit 0, and the error line carries the exact message."""
    lines = run(name, implementation)
    assert lines[0] == f"error: {name} on {implementation}"
    assert lines[1] == f"error: {EXPECTED_ERROR[name]}"


def observation_of(name: str) -> dict:
    out = io.StringIO()
    assert main(["run", str(CORPUS / f"{name}.toml"), "--json"], out=out, err=io.StringIO()) == 0
    return json.loads(out.getvalue())


def test_three_contexts_of_five_retries_make_fifteen_requests_and_complete() -> None:
    """Spec 11.4 retry limits: 3 contexts x 5 retries on different targets, then completion."""
    observation = observation_of("ref-retry-three-contexts")
    assert observation["outcome"] == "ok"
    assert sum(event["type"] == "STAGE_RETRY_REQUEST" for event in observation["events"]) == 15


def test_error_accumulation_group_text() -> None:
    """Spec 11.2 case 6: the group completes with the marker in place (the combiner's text is incidental)."""
    observation = observation_of("ref-runtime-error-accumulation")
    group = [stage for stage in observation["stages"] if stage["parallel"]]
    assert [stage["text"] for stage in group] == [
        '["L:x",{"index":1,"key":1,"message":"boom","error":"boom","value":"x"}]'
    ]


def test_a_retried_source_gives_each_retry_a_fresh_value() -> None:
    """Spec 11.4 leading-effect-freshness: the source's outputs are iteration 1, 2, 3 in turn."""
    observation = observation_of("ref-retry-leading-effect-freshness")
    sources = [stage["text"] for stage in observation["stages"] if stage["stage"] == 0]
    assert sources == ['{"iteration":1}', '{"iteration":2}', '{"iteration":3}']
    assert observation["output"]["text"] == '{"iteration":3}'


def test_every_reference_scenario_of_the_corpus_is_checked_here() -> None:
    """A new ``ref-`` scenario must state its expected text in this table."""
    corpus = {path.stem for path in CORPUS.glob("ref-*.toml")}
    assert corpus - set(EXPECTED_OUTPUT) - set(EXPECTED_ERROR) <= {
        "ref-retry-three-contexts",
        "ref-retry-leading-effect-freshness",
        "ref-runtime-error-accumulation",
    }
