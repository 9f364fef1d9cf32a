"""The side-by-side check: matches, planted faults found and named, baselines compared, repeats."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.candidates import BUILTIN_IMPLEMENTATIONS, resolve_implementation
from harness.check import check_scenario, record_scenario
from harness.report.text import describe_result, summary_line

EXTRACTED = BUILTIN_IMPLEMENTATIONS["extracted"]

ORDER = """
input = "x"
pipeline = "slow || fast | combine"
[commands.slow]
returns = "S:{input}"
duration_ms = 30
[commands.fast]
returns = "F:{input}"
duration_ms = 10
[commands.combine]
join = ","
"""

CAPPED = """
input = "x"
parallel_cap = 2
pipeline = "a || b || c || d"
[commands.a]
duration_ms = 10
[commands.b]
duration_ms = 10
[commands.c]
duration_ms = 10
[commands.d]
duration_ms = 10
"""

LABELLED = """
input = "x"
input_labels = ["secret"]
pipeline = "left || right"
[commands.left]
returns = "L"
labels = ["alpha"]
[commands.right]
returns = "R"
labels = ["beta"]
"""


@pytest.fixture
def pinned(write_scenario):
    """Write a scenario and record its baseline from the reference."""

    def pin(name: str, text: str) -> Path:
        path = write_scenario(name, text)
        assert record_scenario(path).status == "created"
        return path

    return pin


def test_a_scenario_matches_when_candidate_reference_and_baseline_agree(pinned) -> None:
    """The extracted executor observes what the reference does and what the baseline pins."""
    result = check_scenario(pinned("order", ORDER), EXTRACTED)
    assert result.status == "match"
    assert result.candidate_differences == ()
    assert result.baseline_differences == ()


@pytest.mark.parametrize(
    ("candidate", "scenario", "expected_path", "expected_values"),
    [
        ("faulty_executors:ReversedOrderExecutor", ORDER, "stages[1].data[0]", ("'S:x'", "'F:x'")),
        ("faulty_executors:IgnoresCapExecutor", CAPPED, "timeline[2].start_ms", ("10", "0")),
        ("faulty_executors:DropsLabelExecutor", LABELLED, "output.labels[2]", ("'beta'", "<absent>")),
    ],
    ids=["reversed-order", "ignores-cap", "drops-label"],
)
def test_a_planted_fault_is_a_mismatch_whose_diff_names_the_difference(
    pinned, candidate: str, scenario: str, expected_path: str, expected_values: tuple[str, str]
) -> None:
    """Each planted fault makes the check fail, and the report names the path and both values."""
    result = check_scenario(pinned("case", scenario), resolve_implementation(candidate))
    assert result.status == "mismatch"
    expected = f"{expected_path}: {expected_values[0]} != {expected_values[1]}"
    assert expected in [str(difference) for difference in result.candidate_differences]
    report = describe_result(result, candidate_name=candidate)
    assert report.startswith("MISMATCH         case\n")
    assert expected in report


def test_a_reference_that_drifts_from_its_baseline_is_a_mismatch(pinned) -> None:
    """Editing the scenario after pinning shows as reference-versus-baseline differences."""
    path = pinned("order", ORDER)
    path.write_text(ORDER.replace('returns = "F:{input}"', 'returns = "G:{input}"'), encoding="utf-8")
    result = check_scenario(path, EXTRACTED)
    assert result.status == "mismatch"
    assert result.candidate_differences == ()
    assert "output.text: 'S:x,F:x' != 'S:x,G:x'" in [str(d) for d in result.baseline_differences]


def test_a_scenario_without_baseline_is_unpinned_not_passed(write_scenario) -> None:
    """A scenario nobody pinned fails the check and says how to pin it."""
    path = write_scenario("order", ORDER)
    result = check_scenario(path, EXTRACTED)
    assert result.status == "unpinned"
    assert result.message == f"no baseline at {path.with_name('order.baseline.json')} (run `harness record {path}`)"


def test_repeats_that_agree_pass(pinned) -> None:
    """Running every scenario three times per implementation finds nothing on a deterministic executor."""
    assert check_scenario(pinned("capped", CAPPED), EXTRACTED, repeat=3).status == "match"


def test_record_reports_unchanged_then_updated_with_the_differences(pinned) -> None:
    """Re-recording an unchanged scenario writes nothing; a changed one lists what changed."""
    path = pinned("order", ORDER)
    assert record_scenario(path).status == "unchanged"
    path.write_text(ORDER.replace('join = ","', 'join = ";"'), encoding="utf-8")
    result = record_scenario(path)
    assert result.status == "updated"
    assert "output.text: 'S:x,F:x' != 'S:x;F:x'" in [str(d) for d in result.differences]


def test_summary_line_is_the_plain_closing_line_ci_reads(pinned, write_scenario) -> None:
    """The total reads ``total: N passed, N failed``."""
    results = [check_scenario(pinned("order", ORDER), EXTRACTED), check_scenario(write_scenario("other", CAPPED), EXTRACTED)]
    assert summary_line(results) == "total: 1 passed, 1 failed"
