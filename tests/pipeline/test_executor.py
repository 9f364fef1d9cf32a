"""Executor behaviour, one body for both executors: the refactored one and the frozen reference.

Every test takes ``executor_class`` and runs once per implementation. The
reference cases of spec 11.1, 11.2 and 11.4 are restated in this project's
numbering (decisions D2, D3): in events the input is stage 0 and the entries
are stages 1..n, while messages, ``from`` and ``stage_index`` use mlld's
internal indexes (entry j is j with a function source, j - 1 with a literal
input). Commands are the spec's shorthands, built by the ``commands`` fixture.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from harness.pipeline import (
    PipelineError,
    Command,
    CommandResult,
    Effect,
    PipelineAbortedError,
    PipelineExecutor,
    PipelineIterationLimitError,
    PipelineStageError,
    RetryRequested,
    RetrySignal,
    StructuredValue,
    compact_json,
    js_string,
    make_descriptor,
    stage_context,
)
from harness.reference import ReferenceExecutor

Run = Callable[..., Any]
Stages = Sequence[Command | Sequence[Command]]
ExecutorClass = type[PipelineExecutor] | type[ReferenceExecutor]

NOT_RETRYABLE = (
    "Pipeline aborted: Cannot retry stage 0: input is not a function. Make the source a function to enable retries."
)
RETRY_IN_GROUP = "retry not supported in parallel stage"


def command(name: str, run: Callable[[StructuredValue], object], **options: Any) -> Command:
    """A command from a plain function (spelled out so tables of cases stay short)."""
    return Command(name, run, **options)


def event_trail(executor: PipelineExecutor | ReferenceExecutor) -> list[tuple[str, int | None]]:
    """The run's events as ``(type, stage)`` pairs."""
    return [(event.type, event.stage) for event in executor.events]


class Replay:
    """A source function returning the given values one after the other, counting its calls."""

    def __init__(self, *values: object) -> None:
        self._values = list(values)
        self.calls = 0

    def __repr__(self) -> str:
        return f"Replay(calls={self.calls})"

    def __call__(self) -> object:
        self.calls += 1
        return self._values[min(self.calls, len(self._values)) - 1]


def retrying_first(name: str, times: int) -> Command:
    """A command returning ``"retry"`` on its first ``times`` calls, then its input text."""
    calls = 0

    def run(value: StructuredValue) -> str:
        nonlocal calls
        calls += 1
        return "retry" if calls <= times else value.text

    return Command(name, run)


# --- Spec 11.1: mlld fixtures -------------------------------------------------------

CASES_11_1 = [
    pytest.param("x", lambda c: [[c.left(), c.right()], c.combine(" + ")], "L:x + R:x", id="parallel-basic"),
    pytest.param(
        "x",
        lambda c: [[c.left(), c.right()], c.combine(" + "), [c.up(), c.down()], c.combine(" + ")],
        "U:L:x + R:x + D:L:x + R:x",
        id="parallel-multi-groups",
    ),
    pytest.param(
        "seed",
        lambda c: [[c.slow(30, "A"), c.slow(10, "B"), c.slow(20, "C")], c.combine(" + ")],
        "A + B + C",
        id="parallel-ordering-delays",
    ),
    pytest.param("x", lambda c: [(c.left(), c.right()), c.combine(" + ")], "L:x + R:x", id="parallel-syntax-parity"),
    pytest.param(
        "x",
        lambda c: [[c.left(), c.right()], c.combine(" + "), [c.up(), c.down()], c.combine(" + ")],
        "U:L:x + R:x + D:L:x + R:x",
        id="parallel-with-clause-multi",
    ),
    pytest.param(
        "",
        lambda c: [[c.constant("f1", "result1"), c.constant("f2", "result2"), c.constant("f3", "result3")]],
        '["result1","result2","result3"]',
        id="leading-basic",
    ),
    pytest.param(
        "", lambda c: [[c.constant("h1", "H1"), c.constant("h2", "H2")], c.combine("")], "H1H2", id="leading-in-exe"
    ),
    pytest.param(
        "",
        lambda c: [
            [c.constant("a", "A"), c.constant("b", "B")],
            c.combine("-"),
            command("upper", lambda v: v.text.upper()),
        ],
        "A-B",
        id="leading-multi-stage",
    ),
    pytest.param(
        "",
        lambda c: [[c.constant("a", "A"), c.constant("b", "B")], c.combine(",")],
        "A,B",
        id="leading-with-clause-syntax-list",
    ),
    pytest.param(
        "",
        lambda c: [(c.constant("a", "A"), c.constant("b", "B")), c.combine(",")],
        "A,B",
        id="leading-with-clause-syntax-tuple",
    ),
    pytest.param(
        "",
        lambda c: [[c.constant("f1", "A"), c.constant("f2", "B"), c.constant("f3", "C")], c.combine(", ")],
        "A, B, C",
        id="leading-with-combiner",
    ),
]


@pytest.mark.parametrize(("value", "build", "expected"), CASES_11_1)
def test_spec_11_1_fixtures(
    executor_class: ExecutorClass,
    run_virtual: Run,
    commands: Any,
    value: str,
    build: Callable[[Any], Stages],
    expected: str,
) -> None:
    """Spec 11.1: each mlld parallel fixture gives its expected output text (only an empty OUTPUT ends a run)."""
    result = run_virtual(executor_class(build(commands)).execute(value))
    assert result.text == expected


def test_parallel_group_errors(executor_class: ExecutorClass, run_virtual: Run) -> None:
    """Spec 11.1 parallel-group-errors: a raising branch is a marker; one error published."""

    def fail(value: StructuredValue) -> str:
        raise Exception("boom:" + value.text)

    executor = executor_class([[command("ok", lambda v: "ok:" + v.text), command("fail", fail)]])
    result = run_virtual(executor.execute("seed"))
    assert result.text == '["ok:seed",{"index":1,"key":1,"message":"boom:seed","error":"boom:seed","value":"seed"}]'
    assert len(executor.latest_errors) == 1
    assert executor.latest_errors[0]["message"] == "boom:seed"


def test_parallel_when_action(executor_class: ExecutorClass, run_virtual: Run, commands: Any) -> None:
    """Spec 11.1 parallel-when-action: the same group run by a command of an outer pipeline."""

    async def when_x(value: StructuredValue) -> str:
        if value.text != "x":
            return "skipped"
        inner = executor_class([[commands.left(), commands.right()], commands.combine(" + ")])
        return (await inner.execute(value.text)).text

    outer = executor_class([command("when", when_x)])
    assert run_virtual(outer.execute("x")).text == "L:x + R:x"


def test_leading_with_caps(
    executor_class: ExecutorClass, run_virtual: Run, virtual_loop: asyncio.AbstractEventLoop, now_ms: Callable[[], int]
) -> None:
    """Spec 11.1 leading-with-caps with R3.5: cap 2 and 5 ms pacing start branches at 0, 5, 10, 15 ms."""
    starts: list[int] = []

    def numbered(number: int) -> Command:
        def run(value: StructuredValue) -> str:
            starts.append(now_ms())
            return str(number)

        return Command(f"f{number}", run)

    executor = executor_class([[numbered(n) for n in range(1, 5)]], parallel_cap=2, delay_ms=5)
    assert run_virtual(executor.execute("")).text == '["1","2","3","4"]'
    assert starts == [0, 5, 10, 15]
    assert round(virtual_loop.time() * 1000) == (4 + 2 - 1) * 5


# --- Spec 11.2: parallel runtime tests ------------------------------------------------


def test_retry_rejection_in_a_leading_group(executor_class: ExecutorClass, run_virtual: Run, commands: Any) -> None:
    """Spec 11.2.1/D3: ``[[left, request_retry], left]`` fails at stage 1 on a literal, stage 2 after a source."""
    executor = executor_class([[commands.left(), commands.requesting_retry()], commands.left()])
    with pytest.raises(PipelineStageError) as caught:
        run_virtual(executor.execute("x"))
    assert str(caught.value) == f"Pipeline failed at stage 1: {RETRY_IN_GROUP}"
    assert (caught.value.stage_index, caught.value.command) == (0, "unknown")
    sourced = executor_class([[commands.left(), commands.requesting_retry()], commands.left()], source=Replay("x"))
    with pytest.raises(PipelineStageError) as caught:
        run_virtual(sourced.execute("x"))
    assert str(caught.value) == f"Pipeline failed at stage 2: {RETRY_IN_GROUP}"
    assert (caught.value.stage_index, caught.value.command) == (1, "unknown")


def test_default_cap_of_4_is_observed(
    executor_class: ExecutorClass, run_virtual: Run, commands: Any, probe: Any
) -> None:
    """Spec 11.2.2/R3.3: six branches with no limit set run at most 4 at once."""
    executor = executor_class([[probe.slow_echo(25) for _ in range(6)], commands.combine(",")])
    assert run_virtual(executor.execute("s")).text == "s,s,s,s,s,s"
    assert probe.max_active == 4


def test_inline_effects_run_per_branch(
    executor_class: ExecutorClass, run_virtual: Run, commands: Any, effect_log: Any
) -> None:
    """Spec 11.2.3/R8.1: an effect on both branches runs twice; the output is unchanged."""
    effect = effect_log.show("EFFECT")
    executor = executor_class(
        [[commands.left(effects=(effect,)), commands.right(effects=(effect,))], commands.combine(" + ")]
    )
    assert run_virtual(executor.execute("x")).text == "L:x + R:x"
    assert effect_log.shown == ["EFFECT", "EFFECT"]


def test_environment_limit_of_1(
    executor_class: ExecutorClass, run_virtual: Run, probe: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spec 11.2.4/R3.4: ``PIPELINE_PARALLEL_LIMIT=1`` runs one branch at a time."""
    monkeypatch.setenv("PIPELINE_PARALLEL_LIMIT", "1")
    run_virtual(executor_class([[probe.slow_echo(5) for _ in range(4)]]).execute("s"))
    assert probe.max_active == 1


@pytest.mark.parametrize("limit", ["0", "-3", "abc"])
def test_invalid_environment_limits_mean_4(
    executor_class: ExecutorClass, run_virtual: Run, probe: Any, monkeypatch: pytest.MonkeyPatch, limit: str
) -> None:
    """Spec 11.2.5/R3.4: unparsable or non-positive environment limits fall back to 4."""
    monkeypatch.setenv("PIPELINE_PARALLEL_LIMIT", limit)
    run_virtual(executor_class([[probe.slow_echo(10) for _ in range(6)]]).execute("s"))
    assert probe.max_active == 4


def test_error_accumulation(executor_class: ExecutorClass, run_virtual: Run, commands: Any) -> None:
    """Spec 11.2.6: a raising branch does not fail the run; the group text holds its marker."""
    group_texts: list[str] = []

    def seen(value: StructuredValue) -> StructuredValue:
        group_texts.append(value.text)
        return value

    executor = executor_class(
        [[commands.left(), commands.boom("boom")], command("seen", seen), commands.combine(" + ")]
    )
    run_virtual(executor.execute("x"))
    assert group_texts == ['["L:x",{"index":1,"key":1,"message":"boom","error":"boom","value":"x"}]']


def test_leading_group(executor_class: ExecutorClass, run_virtual: Run, commands: Any) -> None:
    """Spec 11.2.7: a group as the only entry completes with the group text."""
    assert run_virtual(executor_class([[commands.right(), commands.left()]]).execute("x")).text == '["R:x","L:x"]'


# --- Spec 11.3: executor-level checks and concurrency settings -------------------------------


def test_markers_in_place_under_cap_3(executor_class: ExecutorClass, run_virtual: Run, commands: Any) -> None:
    """Spec 11.3 (executor level): with cap 3 the failing middle branch is a marker between the others."""
    executor = executor_class(
        [
            [
                commands.slow(20, "slow-result"),
                commands.boom("branch exploded", name="failing"),
                commands.slow(1, "fast-result"),
            ]
        ],
        parallel_cap=3,
    )
    data = run_virtual(executor.execute("seed")).data
    assert (data[0], data[2]) == ("slow-result", "fast-result")
    assert {"index": 1, "key": 1, "value": "seed"}.items() <= data[1].items()
    assert "branch exploded" in data[1]["message"] and "branch exploded" in data[1]["error"]


@pytest.mark.parametrize(("cap", "max_active"), [(2, 2), (0, 1), (-1, 1), (10, 3)])
def test_explicit_cap(executor_class: ExecutorClass, run_virtual: Run, probe: Any, cap: int, max_active: int) -> None:
    """R3.3 (spec 12.6): an explicit cap applies; 0 or negative means one worker; above n means n."""
    run_virtual(executor_class([[probe.slow_echo(10) for _ in range(3)]], parallel_cap=cap).execute("s"))
    assert probe.max_active == max_active


def test_the_environment_limit_is_read_when_each_group_starts(
    executor_class: ExecutorClass, run_virtual: Run, probe: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R3.4: the default limit is read per group, so a change between groups applies to the next one."""
    limits: list[int] = []

    def lower_limit(value: StructuredValue) -> str:
        limits.append(probe.max_active)
        probe.max_active = 0
        monkeypatch.setenv("PIPELINE_PARALLEL_LIMIT", "2")
        return "next"

    group = [probe.slow_echo(10) for _ in range(5)]
    run_virtual(executor_class([group, command("lower", lower_limit), group]).execute("s"))
    assert limits == [4]
    assert probe.max_active == 2


def test_branch_starts_are_paced_and_the_group_waits_for_the_trailing_gates(
    executor_class: ExecutorClass, run_virtual: Run, probe: Any, virtual_loop: asyncio.AbstractEventLoop
) -> None:
    """R3.5: ``n`` instant branches on ``w`` workers end the stage at exactly ``(n + w - 1) * delay``."""
    executor = executor_class([[probe.slow_echo(0) for _ in range(6)]], parallel_cap=4, delay_ms=15)
    run_virtual(executor.execute("s"))
    assert probe.starts == [0, 15, 30, 45, 60, 75]
    assert round(virtual_loop.time() * 1000) == (6 + 4 - 1) * 15


# --- Spec 11.4: retry fixtures --------------------------------------------------------------------


def test_retry_basic(executor_class: ExecutorClass, run_virtual: Run) -> None:
    """Spec 11.4 retry-basic: ``t`` retries the source while ``try < 3``, then returns the number ``try``."""

    def t(value: StructuredValue) -> object:
        attempt = stage_context().try_
        return "retry" if attempt < 3 else attempt

    source = Replay("success")
    result = run_virtual(executor_class([command("t", t)], source=source).execute("success"))
    assert (result.text, result.data) == ("3", 3)
    assert source.calls == 2


def test_show_vs_with_retry(executor_class: ExecutorClass, run_virtual: Run) -> None:
    """Spec 11.4 show-vs-with-retry (R5.14 example): ``done try=3``; check's tries are the retried outputs."""
    seen_tries: list[tuple[object, ...]] = []

    def gen(value: StructuredValue) -> str:
        return f"gen-{stage_context().try_}:{value.text}"

    def check(value: StructuredValue) -> str:
        context = stage_context()
        seen_tries.append(context.tries)
        return "retry" if context.try_ < 3 else f"done try={context.try_}"

    result = run_virtual(executor_class([command("gen", gen), command("check", check)]).execute("seed"))
    assert result.text == "done try=3"
    assert seen_tries[-1] == ("gen-2:seed", "gen-3:seed")


def test_pipeline_multi_stage_retry(executor_class: ExecutorClass, run_virtual: Run) -> None:
    """Spec 11.4 pipeline-multi-stage-retry: two retry contexts one after the other; ``stage`` is the entry number."""

    def s1(value: StructuredValue) -> str:
        return f"s1-try{stage_context().try_}: {value.text}"

    def r1(value: StructuredValue) -> str:
        return value.text if stage_context().try_ >= 2 else "retry"

    def s2(value: StructuredValue) -> str:
        return f"s2-try{stage_context().try_}: {value.text}"

    def r2(value: StructuredValue) -> str:
        return value.text if stage_context().try_ >= 3 else "retry"

    def final(value: StructuredValue) -> str:
        return f"final: {value.text} (stage {stage_context().stage})"

    stages = [command(f.__name__, f) for f in (s1, r1, s2, r2, final)]
    result = run_virtual(executor_class(stages).execute("initial"))
    assert result.text == "final: s2-try3: s1-try2: initial (stage 5)"


def test_retry_attempt_tracking(executor_class: ExecutorClass, run_virtual: Run) -> None:
    """Spec 11.4 retry-attempt-tracking: outside any context ``tries`` is the history, a list of lists."""

    def gen(value: StructuredValue) -> str:
        return f"attempt-{stage_context().try_}: {value.text}"

    def collector(value: StructuredValue) -> str:
        return value.text if stage_context().try_ >= 3 else "retry"

    def report(value: StructuredValue) -> str:
        context = stage_context()
        return f"current: {value.text}, history: [{compact_json(context.tries)}], try: {context.try_}"

    executor = executor_class([command("gen", gen), command("collector", collector), command("report", report)])
    result = run_virtual(executor.execute("base"))
    assert result.text == 'current: attempt-3: base, history: [[["attempt-2: base","attempt-3: base"]]], try: 1'


def test_retry_best_of_n(executor_class: ExecutorClass, run_virtual: Run) -> None:
    """Spec 11.4 retry-best-of-n: the first attempt precedes the context and is not among ``tries``."""
    variations = [
        "variation-poor",
        "variation-good",
        "variation-excellent",
        "variation-perfect",
        "variation-outstanding",
    ]

    def gen(value: StructuredValue) -> str:
        return variations[stage_context().try_ - 1]

    def pick(value: StructuredValue) -> str:
        context = stage_context()
        if context.try_ < 5:
            return "retry"
        tries = [str(text) for text in context.tries]
        best = max(tries, key=variations.index)
        return f"selected: {best} from [{', '.join(tries)}]"

    result = run_virtual(executor_class([command("gen", gen), command("pick", pick)]).execute("topic"))
    assert result.text == (
        "selected: variation-outstanding from "
        "[variation-good, variation-excellent, variation-perfect, variation-outstanding]"
    )


def test_retry_hint_reception(executor_class: ExecutorClass, run_virtual: Run) -> None:
    """Spec 11.4 retry-hint-reception: the retried stage sees the hint; it is cleared before the requester re-runs."""
    hints_seen: list[object] = []

    def gen(value: StructuredValue) -> str:
        context = stage_context()
        hints_seen.append(context.hint)
        return "draft" if context.try_ == 1 else "final"

    def check(value: StructuredValue) -> object:
        if value.text == "draft":
            return {"value": "retry", "hint": "missing title"}
        return f"Used hint: {js_string(stage_context().hint)}"

    result = run_virtual(executor_class([command("gen", gen), command("check", check)]).execute("topic"))
    assert result.text == "Used hint: null"
    assert hints_seen == [None, "missing title"]


def test_retry_hint_reaches_the_source(executor_class: ExecutorClass, run_virtual: Run) -> None:
    """Spec 11.4 retry-hint-interpolated with D2: a retried source function sees the hint too."""
    hints_seen: list[object] = []

    def source() -> str:
        hints_seen.append(stage_context().hint)
        return "final"

    def check(value: StructuredValue) -> object:
        if value.text == "draft":
            return {"value": "retry", "hint": "missing title"}
        return f"Used hint: {js_string(stage_context().hint)}"

    result = run_virtual(executor_class([command("check", check)], source=source).execute("draft"))
    assert result.text == "Used hint: null"
    assert hints_seen == ["missing title"]


def test_leading_effect_freshness(executor_class: ExecutorClass, run_virtual: Run) -> None:
    """Spec 11.4 leading-effect-freshness with D2: each retry of the source gives the validator a fresh input."""
    iterations: list[object] = []

    def validator(value: StructuredValue) -> object:
        iterations.append(value.data["iteration"])
        return "retry" if stage_context().try_ < 3 else value

    source = Replay({"iteration": 2}, {"iteration": 3})
    result = run_virtual(executor_class([command("validator", validator)], source=source).execute({"iteration": 1}))
    assert iterations == [1, 2, 3]
    assert result.text == '{"iteration":3}'


def test_inline_show_retry_replay(executor_class: ExecutorClass, run_virtual: Run) -> None:
    """Spec 11.4 inline-show-retry-replay with D2: inputs ``v1``, ``v2``, ``v3``; output ``v3``."""
    shown: list[str] = []

    def validator(value: StructuredValue) -> object:
        shown.append(value.text)
        return "retry" if stage_context().try_ < 3 else value.text

    source = Replay("v2", "v3")
    result = run_virtual(executor_class([command("validator", validator)], source=source).execute("v1"))
    assert (shown, result.text) == (["v1", "v2", "v3"], "v3")


def test_async_source_function(executor_class: ExecutorClass, run_virtual: Run) -> None:
    """D2: the source may be an async zero-argument callable."""

    async def source() -> str:
        await asyncio.sleep(0.002)
        return "fresh"

    def use(value: StructuredValue) -> str:
        return "retry" if value.text == "stale" else value.text

    assert run_virtual(executor_class([command("use", use)], source=source).execute("stale")).text == "fresh"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (None, "Pipeline aborted: Stage 1 exceeded retry limit for stage 0 (10 attempts; max 10)."),
        (Replay("x"), "Pipeline aborted: Stage 2 exceeded retry limit for stage 1 (10 attempts; max 10)."),
    ],
    ids=["literal", "source"],
)
def test_retry_limit_d3_example(
    executor_class: ExecutorClass, run_virtual: Run, commands: Any, source: Replay | None, expected: str
) -> None:
    """R5.9/D3: entries ``[A, B]``, B always retries: A re-runs 10 times; raw indexes, one lower on a literal."""
    a_runs: list[str] = []

    def a(value: StructuredValue) -> str:
        a_runs.append(value.text)
        return "a"

    executor = executor_class([command("A", a), commands.requesting_retry("B")], source=source)
    with pytest.raises(PipelineAbortedError) as caught:
        run_virtual(executor.execute("x"))
    assert str(caught.value) == expected
    assert len(a_runs) == 11


def test_retry_limit_r5_9_example(executor_class: ExecutorClass, run_virtual: Run, commands: Any) -> None:
    """R5.9/D3: entries ``[A, B, C]`` on a literal, C always retries: ``Stage 2 ... for stage 1``."""
    executor = executor_class(
        [commands.constant("A", "a"), commands.constant("B", "b"), commands.requesting_retry("C")]
    )
    with pytest.raises(
        PipelineAbortedError,
        match=r"^Pipeline aborted: Stage 2 exceeded retry limit for stage 1 \(10 attempts; max 10\)\.$",
    ):
        run_virtual(executor.execute("x"))
    retries = [e for e in executor.events if e.type == "STAGE_RETRY_REQUEST"]
    assert len(retries) == 10
    assert executor.events[-1].type == "PIPELINE_ABORT"


def test_three_contexts_of_five_retries(executor_class: ExecutorClass, run_virtual: Run, commands: Any) -> None:
    """Spec 11.4 retry limits: 3 contexts x 5 retries on different targets: 15 requests, then completion."""
    stages = [commands.constant("A", "a"), retrying_first("B", 5), retrying_first("C", 5), retrying_first("D", 5)]
    executor = executor_class(stages)
    assert run_virtual(executor.execute("x")).text == "a"
    requests = [(e.stage, e.target) for e in executor.events if e.type == "STAGE_RETRY_REQUEST"]
    assert requests == [(2, 1)] * 5 + [(3, 2)] * 5 + [(4, 3)] * 5
    assert executor.events[-1].type == "PIPELINE_COMPLETE"


def test_global_retry_limit_across_contexts(executor_class: ExecutorClass, run_virtual: Run, commands: Any) -> None:
    """R5.9: entry A (index 0 of a literal) retried 10 times by B, 9 by C, once by D; D's second exceeds 20."""
    stages = [
        commands.constant("A", "a"),
        retrying_first("B", 10),
        command("C", lambda v: {"value": "retry", "from": 0} if stage_context().try_ <= 9 else v.text),
        command("D", lambda v: {"value": "retry", "from": 0}),
    ]
    executor = executor_class(stages)
    with pytest.raises(PipelineAbortedError) as caught:
        run_virtual(executor.execute("x"))
    assert str(caught.value) == "Pipeline aborted: Stage 0 exceeded global retry limit (20 attempts)."
    targets = [e.target for e in executor.events if e.type == "STAGE_RETRY_REQUEST"]
    assert targets == [1] * 20


def test_a_stage_retrying_itself_aborts_with_its_hint(
    executor_class: ExecutorClass, run_virtual: Run, commands: Any
) -> None:
    """R5.9: a stage that always targets itself via ``from`` keeps its hint, which ends the abort message."""
    stuck = command("stuck", lambda v: {"value": "retry", "from": 1, "hint": "fix the title"})
    executor = executor_class([commands.constant("A", "a"), stuck])
    with pytest.raises(PipelineAbortedError) as caught:
        run_virtual(executor.execute("x"))
    assert str(caught.value) == (
        "Pipeline aborted: Stage 1 exceeded retry limit for stage 1 (10 attempts; max 10). Hint: fix the title"
    )


def test_early_termination(executor_class: ExecutorClass, run_virtual: Run, commands: Any) -> None:
    """R5.12: an empty stage output completes the run with ``""``; the next stage never starts."""
    never: list[object] = []
    executor = executor_class(
        [commands.constant("first", "s1"), commands.constant("empty", ""), command("never", never.append)]
    )
    result = run_virtual(executor.execute("x"))
    assert result.text == ""
    assert never == []
    assert ("STAGE_START", 3) not in event_trail(executor)


def test_a_fixed_literal_cannot_be_retried_by_entry_2(
    executor_class: ExecutorClass, run_virtual: Run, commands: Any
) -> None:
    """R5.7/D3: entry 2 retrying entry 1 of a fixed literal (mlld's ``/show``) aborts with the exact message."""
    executor = executor_class([commands.constant("A", "a"), commands.requesting_retry("t")], input_replayable=False)
    with pytest.raises(PipelineAbortedError) as caught:
        run_virtual(executor.execute("x"))
    assert str(caught.value) == NOT_RETRYABLE


def test_a_fixed_literal_passes_its_input_through_entry_1(executor_class: ExecutorClass, run_virtual: Run) -> None:
    """D3: entry 1's retry request on a fixed literal is consumed once: the input is its output, the run goes on."""
    calls: list[str] = []

    def first(value: StructuredValue) -> str:
        calls.append(value.text)
        return "retry"

    executor = executor_class(
        [command("first", first), command("second", lambda v: f"2:{v.text}")], input_replayable=False
    )
    assert run_virtual(executor.execute("seed")).text == "2:seed"
    assert calls == ["seed"]
    trail = [(e.type, e.stage, e.target) for e in executor.events][3:7]
    assert trail == [
        ("STAGE_START", 1, None), ("STAGE_RETRY_REQUEST", 1, 1), ("STAGE_SUCCESS", 1, None), ("STAGE_START", 2, None)
    ]


def test_a_replayable_literal_reruns_entry_1(executor_class: ExecutorClass, run_virtual: Run) -> None:
    """D3: entry 1 retrying a replayable literal runs again on the input, try 1..21; the 21st request aborts."""
    tries: list[tuple[int, str]] = []

    def ask(value: StructuredValue) -> str:
        tries.append((stage_context().try_, value.text))
        return "retry"

    executor = executor_class([command("ask", ask), command("after", lambda v: v.text)])
    with pytest.raises(PipelineAbortedError) as caught:
        run_virtual(executor.execute("seed"))
    assert str(caught.value) == "Pipeline aborted: Stage 0 exceeded global retry limit (20 attempts)."
    assert tries == [(n, "seed") for n in range(1, 22)]


def test_a_source_answering_retry_runs_again(executor_class: ExecutorClass, run_virtual: Run) -> None:
    """D2: the source's own ``"retry"`` is a retry signal; it replays until it answers, the 21st time aborts."""
    once = Replay("fresh")
    assert run_virtual(executor_class([command("use", lambda v: v.text)], source=once).execute("retry")).text == "fresh"
    assert once.calls == 1
    always = Replay("retry")
    with pytest.raises(PipelineAbortedError) as caught:
        run_virtual(executor_class([command("use", lambda v: v.text)], source=always).execute("retry"))
    assert str(caught.value) == "Pipeline aborted: Stage 0 exceeded global retry limit (20 attempts)."
    assert always.calls == 20


def test_a_source_cannot_be_a_fixed_literal(executor_class: ExecutorClass) -> None:
    """D3: ``input_replayable=False`` describes a literal; a function source always replays."""
    with pytest.raises(ValueError, match="input_replayable=False"):
        executor_class([command("use", lambda v: v.text)], source=Replay("x"), input_replayable=False)


# --- More retry behaviour -----------------------------------------------------------------------


def _raise(exception: BaseException) -> object:
    raise exception


# How the checking stage asks for its two retries (built in the test, from the executor's own types), and
# the hints the generating stage then sees. With no hint a request's reason, the exception's text, is the hint.
RETRY_REQUESTS = [
    pytest.param(
        lambda: RetrySignal(hint="as object"), lambda: _raise(RetryRequested("as exception", hint="exception hint")),
        ["as object", "exception hint"], id="signal-object-and-exception",
    ),
    pytest.param(
        lambda: _raise(RetryRequested()), lambda: _raise(RetryRequested("draft too short")),
        ["Stage requested retry", "draft too short"], id="exceptions-without-hint",
    ),
]


@pytest.mark.parametrize(("first", "second", "hints_seen"), RETRY_REQUESTS)
def test_retry_signal_object_and_retry_requested_exception(
    executor_class: ExecutorClass,
    run_virtual: Run,
    first: Callable[[], object],
    second: Callable[[], object],
    hints_seen: list[str],
) -> None:
    """R5.1/R2.8 step 4, R5.8: a ``RetrySignal`` and a raised ``RetryRequested`` both ask for a retry.

    Without a hint the request's reason (the exception's text) becomes the
    retry's hint, so ``RetryRequested()``'s default message reaches the
    retried stage. The planted mistakes, tried in a temporary copy: the
    reason dropped (``None``) or taken from the wrong object (``"None"``),
    and the default message reworded; each changes what the retried stage sees.
    """
    hints: list[object] = []

    def gen(value: StructuredValue) -> str:
        hints.append(stage_context().hint)
        return f"g{len(hints)}"

    def check(value: StructuredValue) -> object:
        if value.text == "g1":
            return first()
        if value.text == "g2":
            return second()
        return value.text

    result = run_virtual(executor_class([command("gen", gen), command("check", check)]).execute("x"))
    assert result.text == "g3"
    assert hints == [None, *hints_seen]
    assert str(RetryRequested()) == "Stage requested retry"


def test_a_wrapped_retry_signal_loses_from(executor_class: ExecutorClass, run_virtual: Run) -> None:
    """R5.2: a structured value wrapping ``{"value": "retry", "from": 1}`` retries the previous stage instead."""
    runs: list[str] = []

    def record(name: str) -> Command:
        def run(value: StructuredValue) -> str:
            runs.append(name)
            return name

        return command(name, run)

    def wrapped(value: StructuredValue) -> object:
        if runs.count("wrapped") == 0:
            runs.append("wrapped")
            data = {"value": "retry", "from": 1, "hint": "h"}
            return StructuredValue(type="object", text=compact_json(data), data=data)
        return "done"

    run_virtual(executor_class([record("one"), record("two"), command("wrapped", wrapped)]).execute("x"))
    assert runs == ["one", "two", "wrapped", "two"]


def test_from_skips_stages_and_the_requester_reads_the_retried_output(
    executor_class: ExecutorClass, run_virtual: Run
) -> None:
    """R5.11/R2.3: after a ``from`` retry the requester runs next, on the retried stage's new output."""
    seen_by_c: list[str] = []
    b_runs: list[str] = []

    def a(value: StructuredValue) -> str:
        return f"a{stage_context().try_}"

    def b(value: StructuredValue) -> str:
        b_runs.append(value.text)
        return "b"

    def c(value: StructuredValue) -> object:
        seen_by_c.append(value.text)
        return {"value": "retry", "from": 0} if len(seen_by_c) == 1 else value.text

    result = run_virtual(executor_class([command("A", a), command("B", b), command("C", c)]).execute("x"))
    assert seen_by_c == ["b", "a2"]
    assert b_runs == ["a1"]
    assert result.text == "a2"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (-1, "Pipeline failed at stage 0: there is no stage -1"),
        (7, "Pipeline failed at stage 8: there is no stage 7"),
        (float("nan"), "Pipeline aborted: Stage 1 exceeded retry limit for stage 0 (10 attempts; max 10)."),
    ],
    ids=["negative", "beyond-the-last-entry", "nan-is-no-target"],
)
def test_a_from_outside_the_pipeline_fails_plainly(
    executor_class: ExecutorClass, run_virtual: Run, target: float, expected: str
) -> None:
    """R5.11 leaves ``from`` unvalidated: a stage that does not exist fails by its own number, never wraps around."""

    def ask(value: StructuredValue) -> object:
        return {"value": "retry", "from": target}

    executor = executor_class([command("A", lambda value: "a"), command("B", ask)])
    with pytest.raises(PipelineError) as raised:
        run_virtual(executor.execute("x"))
    assert str(raised.value) == expected


def test_retry_after_a_group_reruns_every_branch(
    executor_class: ExecutorClass, run_virtual: Run, commands: Any, effect_log: Any
) -> None:
    """R5.13: the stage after a group retries it: all branches and effects run again and see ``try`` 2."""
    branch_tries: list[tuple[int | None, int]] = []

    def branch(name: str) -> Command:
        def run(value: StructuredValue) -> str:
            context = stage_context()
            branch_tries.append((context.parallel_index, context.try_))
            return f"{name}{context.try_}"

        return Command(name, run, effects=(effect_log.show(),))

    def check(value: StructuredValue) -> str:
        return "retry" if stage_context().try_ == 1 else value.text

    executor = executor_class([[branch("a"), branch("b")], command("check", check)])
    assert run_virtual(executor.execute("x")).text == '["a2","b2"]'
    assert sorted(branch_tries) == [(0, 1), (0, 2), (1, 1), (1, 2)]
    assert sorted(effect_log.shown) == ["a1", "a2", "b1", "b2"]


@pytest.mark.parametrize(("with_source", "passing"), [(False, 100), (True, 99)], ids=["literal", "source"])
def test_iteration_limit_counts_a_source_but_not_a_literal(
    executor_class: ExecutorClass, run_virtual: Run, with_source: bool, passing: int
) -> None:
    """R2.6/D2: a literal is no iteration (100 entries pass); a function source is one (99 pass).

    Both failing runs start 101 executions; the literal's stage 0 is shown once more, unexecuted.
    """

    def entries(count: int) -> list[Command]:
        return [command(f"s{i}", lambda v: v.text) for i in range(count)]

    source = Replay("x") if with_source else None
    assert run_virtual(executor_class(entries(passing), source=source).execute("x")).text == "x"
    executor = executor_class(entries(passing + 1), source=source)
    with pytest.raises(PipelineIterationLimitError) as caught:
        run_virtual(executor.execute("x"))
    assert str(caught.value) == "Pipeline exceeded 100 iterations"
    assert [e.type for e in executor.events].count("STAGE_START") == 101 + (not with_source)
    assert "PIPELINE_ABORT" not in [e.type for e in executor.events]


def test_a_stage_targeting_itself_loops_until_the_iteration_limit(
    executor_class: ExecutorClass, run_virtual: Run
) -> None:
    """R5.11 (spec 12.13): ``from`` naming the requester re-runs it after every success, until R2.6 fires."""
    calls: list[int] = []

    def again(value: StructuredValue) -> object:
        calls.append(stage_context().try_)
        return {"value": "retry", "from": 1} if len(calls) == 1 else "ok"

    with pytest.raises(PipelineIterationLimitError):
        run_virtual(executor_class([command("first", lambda v: "a"), command("again", again)]).execute("x"))
    assert len(calls) == 100


# --- Results, errors and events (R2.2, R2.4, R2.5, R9) -------------------------------------------


def test_an_empty_pipeline_returns_the_wrapped_input(executor_class: ExecutorClass, run_virtual: Run) -> None:
    """R2.2/D4: with no entries the result is the input's wrapper itself; the input is never a retry."""
    given = StructuredValue(type="text", text="retry", data="retry")
    executor = executor_class([])
    assert run_virtual(executor.execute(given)) is given
    assert event_trail(executor) == [
        ("PIPELINE_START", None),
        ("STAGE_START", 0),
        ("STAGE_SUCCESS", 0),
        ("PIPELINE_COMPLETE", None),
    ]
    assert run_virtual(executor.execute({"a": [1, 2.0]})).text == '{"a":[1,2]}'


def test_result_is_the_last_stage_output(executor_class: ExecutorClass, run_virtual: Run) -> None:
    """D4/R1.4: the final structured value, here an ``array`` with native data."""
    result = run_virtual(executor_class([command("list", lambda v: [v.text, 2.0, None])]).execute("x"))
    assert (result.type, result.text, result.data) == ("array", '["x",2,null]', ["x", 2.0, None])


def test_events_of_a_successful_run(executor_class: ExecutorClass, run_virtual: Run, commands: Any) -> None:
    """R9 success example with D2: the source is stage 0, the entry stage 1."""
    executor = executor_class([commands.identity()])
    assert run_virtual(executor.execute("seed")).text == "seed"
    assert event_trail(executor) == [
        ("PIPELINE_START", None),
        ("STAGE_START", 0),
        ("STAGE_SUCCESS", 0),
        ("STAGE_START", 1),
        ("STAGE_SUCCESS", 1),
        ("PIPELINE_COMPLETE", None),
    ]
    starts = [e for e in executor.events if e.type == "STAGE_START"]
    assert [(e.command, e.attempt, e.context_id) for e in starts] == [("__source__", 1, None), ("identity", 1, None)]


def test_events_and_error_of_a_failing_stage(executor_class: ExecutorClass, run_virtual: Run, commands: Any) -> None:
    """R9 failure example, R2.5: ``Pipeline failed at stage 1: boom`` with the stage's number and name."""
    executor = executor_class([commands.boom("boom")])
    with pytest.raises(PipelineStageError) as caught:
        run_virtual(executor.execute("seed"))
    assert str(caught.value) == "Pipeline failed at stage 1: boom"
    assert (caught.value.stage_index, caught.value.command) == (0, "boom")
    assert event_trail(executor)[-3:] == [("STAGE_START", 1), ("STAGE_FAILURE", 1), ("PIPELINE_ABORT", None)]
    assert (executor.events[-2].error, executor.events[-1].reason) == ("boom", "boom")


def test_events_of_an_aborted_retry(executor_class: ExecutorClass, run_virtual: Run, commands: Any) -> None:
    """R9 abort example: a refused retry emits no stage event, only ``PIPELINE_ABORT``."""
    executor = executor_class([commands.constant("A", "a"), commands.requesting_retry("t")], input_replayable=False)
    with pytest.raises(PipelineAbortedError):
        run_virtual(executor.execute("seed"))
    assert event_trail(executor)[-2:] == [("STAGE_START", 2), ("PIPELINE_ABORT", None)]
    assert executor.events[-1].reason == NOT_RETRYABLE.removeprefix("Pipeline aborted: ")


def test_events_of_an_accepted_retry(executor_class: ExecutorClass, run_virtual: Run, commands: Any) -> None:
    """R9.2: a retry result emits the request, then the target's start in the same context."""
    executor = executor_class([commands.constant("A", "a"), retrying_first("B", 1)])
    run_virtual(executor.execute("x"))
    assert event_trail(executor) == [
        ("PIPELINE_START", None),
        ("STAGE_START", 0),
        ("STAGE_SUCCESS", 0),
        ("STAGE_START", 1),
        ("STAGE_SUCCESS", 1),
        ("STAGE_START", 2),
        ("STAGE_RETRY_REQUEST", 2),
        ("STAGE_START", 1),
        ("STAGE_SUCCESS", 1),
        ("STAGE_START", 2),
        ("STAGE_SUCCESS", 2),
        ("PIPELINE_COMPLETE", None),
    ]
    request, restart = executor.events[6], executor.events[7]
    assert request.target == 1
    assert restart.attempt == 2
    assert restart.context_id == request.context_id is not None


def test_one_event_pair_per_group_and_exact_durations(
    executor_class: ExecutorClass, run_virtual: Run, commands: Any
) -> None:
    """R9.1: one ``STAGE_START`` per group execution; ``duration_ms`` is the virtual time the stage took."""
    executor = executor_class([[commands.slow(30, "a"), commands.slow(10, "b")], commands.slow(5, "c")])
    run_virtual(executor.execute("x"))
    assert event_trail(executor)[3:7] == [
        ("STAGE_START", 1),
        ("STAGE_SUCCESS", 1),
        ("STAGE_START", 2),
        ("STAGE_SUCCESS", 2),
    ]
    assert [e.duration_ms for e in executor.events if e.type == "STAGE_SUCCESS"] == [0, 30, 5]


def test_a_failing_group_is_named_unknown(executor_class: ExecutorClass, run_virtual: Run, commands: Any) -> None:
    """R2.5/D3: entries ``[A, [B, C], D]``, C retries: the failure names stage 2, command ``unknown``."""
    executor = executor_class(
        [
            commands.constant("A", "a"),
            [commands.constant("B", "b"), commands.requesting_retry("C")],
            commands.constant("D", "d"),
        ]
    )
    with pytest.raises(PipelineStageError) as caught:
        run_virtual(executor.execute("x"))
    assert str(caught.value) == f"Pipeline failed at stage 2: {RETRY_IN_GROUP}"
    assert (caught.value.stage_index, caught.value.command) == (1, "unknown")


def test_an_executor_can_run_again(executor_class: ExecutorClass, run_virtual: Run, commands: Any) -> None:
    """D2: each run starts from its own input; the source function is called only for retries."""
    source = Replay("never")
    executor = executor_class([commands.left()], source=source)
    assert run_virtual(executor.execute("a")).text == "L:a"
    assert run_virtual(executor.execute("b")).text == "L:b"
    assert source.calls == 0
    assert event_trail(executor)[0] == ("PIPELINE_START", None)
    assert len(executor.events) == 6


# --- Stage context, commands and effects (D1, D6, R8) ----------------------------------------------


def test_stage_context_inside_commands(executor_class: ExecutorClass, run_virtual: Run) -> None:
    """R5.14/D1/D3: ``stage`` is the entry number, ``total_stages`` the entry count, per branch index."""
    seen: list[tuple[int, int, int | None, tuple[str, ...]]] = []

    def look(value: StructuredValue) -> str:
        context = stage_context()
        seen.append((context.stage, context.total_stages, context.parallel_index, context.previous_outputs))
        return f"out{context.stage}"

    executor = executor_class([command("one", look), [command("b0", look), command("b1", look)]])
    run_virtual(executor.execute("in"))
    assert sorted(seen, key=lambda s: (s[0], s[2] or 0)) == [
        (1, 2, None, ()),
        (2, 2, 0, ("out1",)),
        (2, 2, 1, ("out1",)),
    ]
    with pytest.raises(LookupError):
        stage_context()


def test_synchronous_commands_run_on_the_loop(executor_class: ExecutorClass, run_virtual: Run) -> None:
    """D6: a synchronous command is called on the event loop's thread, never in a worker thread."""
    threads: list[bool] = []

    def sync(value: StructuredValue) -> str:
        asyncio.get_running_loop()
        threads.append(threading.current_thread() is threading.main_thread())
        return value.text

    run_virtual(executor_class([command("seq", sync), [command("b0", sync), command("b1", sync)]]).execute("x"))
    assert threads == [True, True, True]


def test_sequential_effects(executor_class: ExecutorClass, run_virtual: Run, effect_log: Any) -> None:
    """R8.1/R8.4: effects run in order on the finalized output, even when empty, never on a retry."""
    show_output = effect_log.show(name="show_output")
    unnamed = effect_log.show("unnamed", name="")
    show_marker = effect_log.show("after", name="show_marker")
    calls: list[str] = []

    def gen(value: StructuredValue) -> str:
        calls.append("gen")
        return "retry" if len(calls) == 1 else ""

    effects = (show_output, unnamed, show_marker)
    executor = executor_class([command("gen", gen, effects=effects)], source=Replay("again"))
    assert run_virtual(executor.execute("x")).text == ""
    assert calls == ["gen", "gen"]
    assert effect_log.shown == ["", "after"]


def test_a_failing_sequential_effect_fails_the_stage(
    executor_class: ExecutorClass, run_virtual: Run, commands: Any
) -> None:
    """R8.2: ``Pipeline failed at stage N: Inline effect @name failed: message``."""

    def broken(value: StructuredValue) -> None:
        raise ValueError("no printer")

    executor = executor_class([commands.left(effects=(Effect("show", broken),))])
    with pytest.raises(
        PipelineStageError, match=r"^Pipeline failed at stage 1: Inline effect @show failed: no printer$"
    ):
        run_virtual(executor.execute("x"))


def test_a_failing_branch_effect_makes_a_marker(executor_class: ExecutorClass, run_virtual: Run, commands: Any) -> None:
    """R8.2: the branch becomes a marker carrying the effect message; siblings and the stage succeed."""

    def broken(value: StructuredValue) -> None:
        raise ValueError("no printer")

    executor = executor_class([[commands.left(effects=(Effect("show", broken),)), commands.right()]])
    result = run_virtual(executor.execute("x"))
    assert result.data == [
        {
            "index": 0,
            "key": 0,
            "message": "Inline effect @show failed: no printer",
            "error": "Inline effect @show failed: no printer",
            "value": "x",
        },
        "R:x",
    ]
    assert executor.latest_errors == [result.data[0]]


def test_a_later_group_replaces_the_published_errors(
    executor_class: ExecutorClass, run_virtual: Run, commands: Any
) -> None:
    """R4.3: each group publishes a new list; sequential stages leave the list alone."""
    after_sequential = executor_class([[commands.boom("early"), commands.left()], commands.combine("|")])
    run_virtual(after_sequential.execute("x"))
    assert [marker["message"] for marker in after_sequential.latest_errors] == ["early"]
    after_group = executor_class([[commands.boom("early"), commands.left()], [commands.right()]])
    run_virtual(after_group.execute("x"))
    assert after_group.latest_errors == []


def test_branch_effects_run_inside_the_branch_slot(
    executor_class: ExecutorClass, run_virtual: Run, now_ms: Callable[[], int]
) -> None:
    """R8.5: a branch's effects count toward the cap: with one worker the next branch waits for them."""
    starts: list[int] = []

    async def slow_effect(value: StructuredValue) -> None:
        await asyncio.sleep(0.01)

    def branch(name: str) -> Command:
        def run(value: StructuredValue) -> str:
            starts.append(now_ms())
            return name

        return Command(name, run, effects=(Effect("wait", slow_effect),))

    run_virtual(executor_class([[branch("a"), branch("b"), branch("c")]], parallel_cap=1).execute("x"))
    assert starts == [0, 10, 20]


def test_retry_requested_in_a_branch_is_a_marker(
    executor_class: ExecutorClass, run_virtual: Run, commands: Any
) -> None:
    """R5.4: a raised ``RetryRequested`` inside a branch is an ordinary failure, not a retry signal."""

    def ask(value: StructuredValue) -> str:
        raise RetryRequested("try later")

    result = run_virtual(executor_class([[command("ask", ask), commands.left()]]).execute("x"))
    assert result.data[0]["message"] == "try later"
    assert result.data[1] == "L:x"


def test_stage_labels_reach_the_output_and_the_next_input(executor_class: ExecutorClass, run_virtual: Run) -> None:
    """R7.8 example (retry-provenance-stable): input ``secret`` and label ``network`` label the output."""
    next_input_labels: list[tuple[str, ...]] = []

    def after(value: StructuredValue) -> str:
        next_input_labels.append(value.descriptor.labels)
        return value.text

    given = StructuredValue(type="text", text="x", data="x", descriptor=make_descriptor(labels=["secret"]))
    executor = executor_class([command("fetch", lambda v: "fetched", labels=("network",)), command("after", after)])
    result = run_virtual(executor.execute(given))
    assert next_input_labels == [("secret", "network")]
    assert result.descriptor.labels == ("secret", "network")
    assert (result.metadata or {})["security"] == result.descriptor


def test_command_result_attaches_a_label_descriptor(executor_class: ExecutorClass, run_virtual: Run) -> None:
    """D1: a ``CommandResult`` descriptor merges with the command's labels into the output's descriptor."""
    tagged = command("tagged", lambda v: CommandResult("out", make_descriptor(labels=["gamma"])), labels=("beta",))
    result = run_virtual(executor_class([tagged]).execute("x"))
    assert (result.text, result.descriptor.labels) == ("out", ("beta", "gamma"))


# --- Decisions D5 and D7 ------------------------------------------------------------------------------


def test_branch_inputs_are_independent_copies(executor_class: ExecutorClass, run_virtual: Run) -> None:
    """D5: a branch that mutates its input changes neither its siblings' inputs nor the caller's value."""
    given = {"items": [1]}

    def mutate(value: StructuredValue) -> int:
        value.data["items"].append(99)
        return len(value.data["items"])

    async def read_later(value: StructuredValue) -> list[int]:
        await asyncio.sleep(0.001)
        return list(value.data["items"])

    result = run_virtual(executor_class([[command("mutate", mutate), command("read", read_later)]]).execute(given))
    assert result.data == [2, [1]]
    assert given == {"items": [1]}


def sibling_recording_cancellation(observed: list[str], now_ms: Callable[[], int]) -> Command:
    """A 50 ms branch that records when it is cancelled."""

    async def run(value: StructuredValue) -> str:
        try:
            await asyncio.sleep(0.05)
        except asyncio.CancelledError:
            observed.append(f"cancelled at {now_ms()}")
            raise
        return "finished"

    return Command("sibling", run)


def raising_after_10_ms(exception: BaseException) -> Command:
    """A branch that raises ``exception`` after 10 virtual milliseconds."""

    async def run(value: StructuredValue) -> str:
        await asyncio.sleep(0.01)
        raise exception

    return Command("raiser", run)


def test_cancelled_error_in_a_branch_propagates_after_siblings_were_cancelled(
    executor_class: ExecutorClass, run_virtual: Run, now_ms: Callable[[], int]
) -> None:
    """D7: a ``CancelledError`` from a branch is no marker: siblings are cancelled and awaited, then it propagates."""
    observed: list[str] = []
    after: list[object] = []
    executor = executor_class(
        [
            [sibling_recording_cancellation(observed, now_ms), raising_after_10_ms(asyncio.CancelledError())],
            command("after", after.append),
        ]
    )
    with pytest.raises(asyncio.CancelledError):
        run_virtual(executor.execute("x"))
    assert observed == ["cancelled at 10"]
    assert after == []
    assert executor.latest_errors == []
    assert "STAGE_FAILURE" not in [e.type for e in executor.events]


def test_keyboard_interrupt_in_a_branch_propagates_after_siblings_were_cancelled(
    executor_class: ExecutorClass, virtual_loop: asyncio.AbstractEventLoop, now_ms: Callable[[], int]
) -> None:
    """D7: a ``KeyboardInterrupt`` from a branch is no marker: siblings are cancelled and awaited, then it propagates.

    asyncio lets a ``KeyboardInterrupt`` escape the loop at once from the task
    that raised it; resuming the run lets the executor unwind, which is where
    the siblings are cancelled before the interrupt reaches the caller's task.
    """
    observed: list[str] = []
    executor = executor_class(
        [[sibling_recording_cancellation(observed, now_ms), raising_after_10_ms(KeyboardInterrupt())]]
    )
    run = virtual_loop.create_task(executor.execute("x"))
    with pytest.raises(KeyboardInterrupt):
        virtual_loop.run_until_complete(run)
    with pytest.raises(KeyboardInterrupt):
        virtual_loop.run_until_complete(run)
    assert run.done() and isinstance(run.exception(), KeyboardInterrupt)
    assert observed == ["cancelled at 10"]
    assert executor.latest_errors == []
    assert "STAGE_FAILURE" not in [e.type for e in executor.events]


# --- The ticket's characterizations (spec section 10) ---------------------------------------------


def test_branch_order_survives_out_of_order_completion(
    executor_class: ExecutorClass, run_virtual: Run, virtual_loop: asyncio.AbstractEventLoop, now_ms: Callable[[], int]
) -> None:
    """R3.6: A (30 ms), B (10 ms), C (20 ms) finish B, C, A; the aggregate keeps A, B, C."""
    finished: list[tuple[str, int]] = []

    def sleeper(name: str, ms: int) -> Command:
        async def run(value: StructuredValue) -> str:
            await asyncio.sleep(ms / 1000)
            finished.append((name, now_ms()))
            return name

        return Command(name, run)

    executor = executor_class([[sleeper("A", 30), sleeper("B", 10), sleeper("C", 20)]])
    result = run_virtual(executor.execute("seed"))
    assert finished == [("B", 10), ("C", 20), ("A", 30)]
    assert (result.data, result.text) == (["A", "B", "C"], '["A","B","C"]')
    assert round(virtual_loop.time() * 1000) == 30


def test_error_aggregation(executor_class: ExecutorClass, run_virtual: Run, commands: Any) -> None:
    """R4.1/R4.3/R6.1/R6.3: markers sit in place, are the very dicts published, and the stage succeeds."""
    executor = executor_class([[commands.left(), commands.boom("first"), commands.right(), commands.boom("second")]])
    result = run_virtual(executor.execute("x"))
    assert result.text == (
        '["L:x",{"index":1,"key":1,"message":"first","error":"first","value":"x"},'
        '"R:x",{"index":3,"key":3,"message":"second","error":"second","value":"x"}]'
    )
    metadata = result.metadata or {}
    assert list(metadata) == ["stages", "errors", "security"]
    assert metadata["errors"] == executor.latest_errors == [result.data[1], result.data[3]]
    assert metadata["errors"][0] is result.data[1]
    assert [stage.type for stage in metadata["stages"]] == ["text", "object", "text", "object"]


def test_retry_rejection_in_parallel_stage(
    executor_class: ExecutorClass, run_virtual: Run, commands: Any, effect_log: Any
) -> None:
    """R5.4/D3: ``[A, [B, C], D]`` with C retrying fails at stage 2, once every branch has run.

    The siblings' effects ran, D never did, and the marker of a raised branch
    stays published (spec 12.11).
    """
    reached_d: list[object] = []
    executor = executor_class(
        [
            commands.constant("A", "a"),
            [commands.left(effects=(effect_log.show(),)), commands.requesting_retry("C"), commands.boom("B boom")],
            command("D", reached_d.append),
        ]
    )
    with pytest.raises(PipelineStageError) as caught:
        run_virtual(executor.execute("x"))
    assert str(caught.value) == f"Pipeline failed at stage 2: {RETRY_IN_GROUP}"
    assert effect_log.shown == ["L:a"]
    assert reached_d == []
    assert [marker["message"] for marker in executor.latest_errors] == ["B boom"]
    assert event_trail(executor)[-2:] == [("STAGE_FAILURE", 2), ("PIPELINE_ABORT", None)]


def test_label_and_descriptor_merge_across_branches(
    executor_class: ExecutorClass, run_virtual: Run, commands: Any
) -> None:
    """R6.4 example: input labelled ``secret``, branches labelled ``alpha`` and ``beta``."""
    given = StructuredValue(type="text", text="x", data="x", descriptor=make_descriptor(labels=["secret"]))
    executor = executor_class([[commands.left(labels=("alpha",)), commands.right(labels=("beta",))]])
    result = run_virtual(executor.execute(given))
    assert (result.text, result.type) == ('["L:x","R:x"]', "array")
    assert result.descriptor.labels == ("secret", "alpha", "beta")
    assert list(result.metadata or {}) == ["stages", "errors", "security"]
    assert (result.metadata or {})["errors"] == []
    assert [stage.descriptor.labels for stage in (result.metadata or {})["stages"]] == [
        ("secret", "alpha"),
        ("secret", "beta"),
    ]


def test_r6_4_labels_carried_by_a_labelled_commands_value_do_not_reach_the_aggregate(
    executor_class: ExecutorClass, run_virtual: Run
) -> None:
    """R6.4 (spec 12.19): a labelled branch contributes its label descriptor, not its output's descriptor.

    In both pipelines the only branch returns a value carrying the label
    ``carried``; it reaches the aggregate only when the command has no labels.
    """

    def carrying(value: StructuredValue) -> StructuredValue:
        return StructuredValue(type="text", text="v", data="v", descriptor=make_descriptor(labels=["carried"]))

    labelled = executor_class([[command("labelled", carrying, labels=("alpha",))]])
    labelled_result = run_virtual(labelled.execute("x"))
    branch_output = (labelled_result.metadata or {})["stages"][0]
    assert branch_output.descriptor.labels == ("carried", "alpha")
    assert labelled_result.descriptor.labels == ("alpha",)

    unlabelled = executor_class([[command("unlabelled", carrying)]])
    assert run_virtual(unlabelled.execute("x")).descriptor.labels == ("carried",)


# --- Both executors observe the same (STYLE 9) ----------------------------------------------------------


def observe(
    run_virtual: Run,
    loop: asyncio.AbstractEventLoop,
    executor_class: ExecutorClass,
    stages: Stages,
    value: object,
    **options: Any,
) -> dict[str, Any]:
    """Run a pipeline and return everything it showed; times are relative to its start."""
    executor = executor_class(stages, **options)
    started = loop.time()
    try:
        result = run_virtual(executor.execute(value))
        # Each executor has its own descriptor class; compare their fields.
        outcome: object = (result.type, result.text, compact_json(result.data), repr(result.descriptor))
    except Exception as error:
        outcome = (type(error).__name__, str(error))
    return {
        "outcome": outcome,
        "events": [(e.type, e.stage, e.target, e.attempt, e.error, e.reason, e.duration_ms) for e in executor.events],
        "errors": compact_json(executor.latest_errors),
        "elapsed_ms": round((loop.time() - started) * 1000),
    }


SCENARIOS: dict[str, Callable[[Any], tuple[Stages, object, dict[str, Any]]]] = {
    "parallel-basic": lambda c: ([[c.left(labels=("a",)), c.right()], c.combine(" + ")], "x", {}),
    "group-errors": lambda c: (
        [[c.slow(20, "ok"), c.boom("boom"), c.slow(5, {"message": "m", "error": "e"})]],
        "s",
        {},
    ),
    "marker-shaped": lambda c: ([[c.slow(5, {"message": "m", "error": "e"}), c.left()]], "s", {}),
    "paced": lambda c: (
        [[c.slow(3, "1"), c.slow(1, "2"), c.slow(2, "3")], c.combine("|")],
        "",
        {"parallel_cap": 2, "delay_ms": 4},
    ),
    "retry-after-group": lambda c: ([[c.left(), c.right()], retrying_first("check", 2)], "x", {}),
    "retry-rejected": lambda c: ([c.left(), [c.boom("b"), c.requesting_retry()]], "x", {}),
    "source-retry": lambda c: ([retrying_first("t", 2)], "in", {"source": Replay("again", "last")}),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_both_executors_observe_the_same(
    run_virtual: Run, virtual_loop: asyncio.AbstractEventLoop, commands: Any, name: str, executor_binding: Any
) -> None:
    """Section 10: the refactored executor and the reference show identical observations."""
    observations = []
    for implementation in ("refactored", "reference"):
        with executor_binding.bound(implementation) as executor_class:
            stages, value, options = SCENARIOS[name](commands)
            observations.append(observe(run_virtual, virtual_loop, executor_class, stages, value, **options))
    assert observations[0] == observations[1]


# --- The API's own checks and defaults (what a direct caller sees; scenarios never reach these) -----------------


def test_a_bad_stage_entry_is_refused_with_its_position(executor_class: ExecutorClass) -> None:
    """Entries are numbered from 1 in the message; a list holding anything but commands is refused too.

    The planted mistakes, tried in a temporary copy: numbering from 0 or 2, a
    bare ``TypeError()``, and ``or`` for ``and`` (a list of non-commands let through).
    """
    use = command("use", lambda v: v.text)
    stray = object()
    with pytest.raises(TypeError) as caught:
        executor_class([use, stray])
    assert str(caught.value) == f"stage 2 must be a Command or a list of Commands, got {stray!r}"
    with pytest.raises(TypeError) as caught:
        executor_class([[use, "text"]])
    assert str(caught.value) == "stage 1 must be a Command or a list of Commands, got [" + repr(use) + ", 'text']"


def test_a_source_with_a_fixed_literal_is_refused_in_full(executor_class: ExecutorClass) -> None:
    """D3: the whole message, not only its start (a changed message was missed by a prefix match)."""
    with pytest.raises(ValueError) as caught:
        executor_class([command("use", lambda v: v.text)], source=Replay("x"), input_replayable=False)
    assert str(caught.value) == "input_replayable=False describes a literal input; a function source always replays"


def test_a_command_needs_a_non_empty_name(executor_class: ExecutorClass) -> None:
    """D1: an empty name is refused with a message naming it (``and`` for ``or`` let it through)."""
    with pytest.raises(TypeError) as caught:
        Command("", lambda v: v.text)
    assert str(caught.value) == "a command needs a non-empty name, got ''"


def test_stage_context_outside_a_run_says_when_it_is_available(executor_class: ExecutorClass) -> None:
    with pytest.raises(LookupError) as caught:
        stage_context()
    assert str(caught.value) == "stage_context() is only available while a pipeline command or effect runs"

