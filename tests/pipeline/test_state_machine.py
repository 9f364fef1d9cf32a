"""Retry signals and the retry state machine (spec section 5, numbering of decisions D2 and D3).

The machine is driven directly: each test feeds stage results and reads the
transitions. Indexes are mlld's internal ones: most tests model a function
source, whose synthetic stage is index 0 with the entries at 1..n (a machine
for n entries has ``n + 1`` stages); the literal-input tests build a machine
whose index 0 is entry 1.
"""

from __future__ import annotations

import pytest

from harness.pipeline import RetrySignal, StructuredValue, compact_json
from harness.pipeline.state_machine import (
    SOURCE_NOT_RETRYABLE,
    Abort,
    Complete,
    ExecuteStage,
    Fail,
    SELF_RETRY_CONTEXT_ID,
    PassThrough,
    PipelineStateMachine,
    RetryRequest,
    is_retry_signal,
    read_retry,
)
from harness.pipeline.types import StageFailure, StageSuccess
from harness.pipeline.values import text_value


def ok(text: str) -> StageSuccess:
    """A successful stage result with output ``text``."""
    return StageSuccess(text_value(text))


def machine_for(entries: int, *, source_retryable: bool = True, input_text: str = "in") -> PipelineStateMachine:
    """A started machine for ``entries`` entries whose source already succeeded with ``input_text``."""
    machine = PipelineStateMachine(
        entries + 1, stage0_retryable=source_retryable, stage0_replay=source_retryable, synthetic_source=True
    )
    assert machine.start(input_text) == ExecuteStage(0, input_text)
    assert machine.record(0, ok(input_text)) == ExecuteStage(1, input_text)
    return machine


# --- R5.1 to R5.3 --------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "retry",
        RetrySignal(),
        RetrySignal(hint="h", from_stage=0),
        {"value": "retry"},
        {"value": "retry", "n": 1},
        StructuredValue(type="text", text="retry", data="other"),
        StructuredValue(type="text", text="other", data="retry"),
        StructuredValue(type="object", text="{}", data={"value": "retry"}),
    ],
)
def test_retry_signals(raw: object) -> None:
    """R5.1: ``"retry"``, a ``RetrySignal``, any dict with value ``"retry"``, or a wrapper of one."""
    assert is_retry_signal(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "Retry",
        " retry",
        "retry ",
        "",
        None,
        0,
        ["retry"],
        {"value": "Retry"},
        {"status": "retry"},
        StructuredValue(type="text", text="x", data="x"),
        StructuredValue(type="object", text="{}", data={"value": "no"}),
    ],
)
def test_not_retry_signals(raw: object) -> None:
    """R5.1: case-sensitive, untrimmed, and only the ``value`` key counts."""
    assert not is_retry_signal(raw)


def test_bare_retry_has_the_default_reason_and_no_hint() -> None:
    """R5.3: a bare ``"retry"`` reads ``Stage requested retry``, no ``from``, no hint."""
    retry = read_retry("retry")
    assert (retry.reason, retry.from_stage, retry.has_hint) == ("Stage requested retry", None, False)


def test_dict_signal_carries_from_and_hint() -> None:
    """R5.2/R5.3: ``from`` and ``hint`` are read from a dict; a truthy hint is the reason."""
    retry = read_retry({"value": "retry", "from": 1, "hint": "missing title"})
    assert (retry.reason, retry.from_stage, retry.hint, retry.has_hint) == ("missing title", 1, "missing title", True)


def test_a_none_hint_is_still_a_hint() -> None:
    """R5.2: the ``hint`` key counts even when ``None``; the reason falls back to the default."""
    retry = read_retry({"value": "retry", "hint": None})
    assert (retry.has_hint, retry.hint, retry.reason) == (True, None, "Stage requested retry")


@pytest.mark.parametrize(("given", "read"), [(2, 2), (2.0, 2), (0, 0), (True, None), ("1", None), (None, None)])
def test_from_must_be_a_number(given: object, read: int | None) -> None:
    """R5.2: ``from`` is kept only when it is an int or float, not a bool."""
    assert read_retry({"value": "retry", "from": given}).from_stage == read


def test_retry_signal_object_carries_from_and_hint() -> None:
    """R5.2: a ``RetrySignal`` carries both; its ``None`` hint means no hint."""
    retry = read_retry(RetrySignal(hint="h", from_stage=0))
    assert (retry.from_stage, retry.hint, retry.has_hint, retry.reason) == (0, "h", True, "h")
    assert read_retry(RetrySignal()).has_hint is False


def test_a_wrapped_signal_loses_from_and_hint() -> None:
    """R5.2 (spec 12.3): a structured value wrapping a dict signal is a signal without ``from`` or hint."""
    wrapped = StructuredValue(type="object", text="{}", data={"value": "retry", "from": 1, "hint": "h"})
    assert is_retry_signal(wrapped)
    retry = read_retry(wrapped)
    assert (retry.from_stage, retry.has_hint, retry.reason) == (None, False, "Stage requested retry")


# --- Running without retries ------------------------------------------------------


def test_stages_run_in_order_and_the_last_output_completes() -> None:
    """R9.2: each success starts the next stage with its output; the last one completes."""
    machine = machine_for(2)
    assert machine.record(1, ok("a")) == ExecuteStage(2, "a")
    assert machine.record(2, ok("b")) == Complete("b")


def test_a_machine_without_stages_completes_with_its_input() -> None:
    """R9.2: START of an empty pipeline is ``PIPELINE_COMPLETE`` with the input."""
    assert PipelineStateMachine(0, stage0_retryable=False, stage0_replay=False).start("in") == Complete("in")


def test_a_source_only_pipeline_completes_after_the_source() -> None:
    """D2: with no entries the source is the last stage."""
    machine = PipelineStateMachine(1, stage0_retryable=True, stage0_replay=True, synthetic_source=True)
    assert machine.start("in") == ExecuteStage(0, "in")
    assert machine.record(0, ok("in")) == Complete("in")


def test_a_failure_names_its_stage() -> None:
    """R9.2: an error result is a failure of that stage."""
    assert machine_for(2).record(1, StageFailure("boom")) == Fail(1, "boom")


def test_an_empty_output_terminates_early() -> None:
    """R5.12: empty text completes at once with ``""``; stage 2 of 2 never starts."""
    assert machine_for(2).record(1, ok("")) == Complete("")


def test_whitespace_output_does_not_terminate() -> None:
    """R5.12: whitespace-only text is not empty."""
    assert machine_for(2).record(1, ok(" \n")) == ExecuteStage(2, " \n")


def test_an_empty_source_terminates_but_an_empty_literal_does_not() -> None:
    """R5.12/D2: a function source is a stage, so its empty answer ends the run; a literal is no stage."""
    with_source = PipelineStateMachine(3, stage0_retryable=True, stage0_replay=True, synthetic_source=True)
    with_source.start("")
    assert with_source.record(0, ok("")) == Complete("")
    literal = PipelineStateMachine(2, stage0_retryable=True, stage0_replay=True)
    assert literal.start("") == ExecuteStage(0, "")


# --- Retry contexts, R5.5 to R5.11 ------------------------------------------------------


def test_a_retry_targets_the_previous_stage_with_its_last_input() -> None:
    """R5.5/R5.10: the target is ``s - 1``, run again on the output of ``t - 1``."""
    machine = machine_for(2)
    machine.record(1, ok("a"))
    step = machine.record(2, read_retry("retry"))
    assert isinstance(step, ExecuteStage)
    assert (step.stage, step.input_text) == (1, "in")
    assert step.retry is not None and (step.retry.requesting, step.retry.target) == (2, 1)


def test_the_retried_stage_succeeding_runs_the_requester_again() -> None:
    """R5.11: the requester runs next with the retried stage's new output."""
    machine = machine_for(2)
    machine.record(1, ok("a1"))
    machine.record(2, read_retry("retry"))
    assert machine.record(1, ok("a2")) == ExecuteStage(2, "a2")
    assert machine.record(2, ok("done")) == Complete("done")


def test_the_context_is_reused_for_the_same_pair() -> None:
    """R5.8: the same requester and target reuse the context: same id, growing attempt number."""
    machine = machine_for(2)
    machine.record(1, ok("a1"))
    first = machine.record(2, read_retry("retry"))
    assert machine.stage_context(1).try_ == 2
    machine.record(1, ok("a2"))
    second = machine.record(2, read_retry("retry"))
    assert machine.stage_context(1).try_ == 3
    assert isinstance(first, ExecuteStage) and isinstance(second, ExecuteStage)
    assert first.retry is not None and second.retry is not None
    assert first.retry.context_id == second.retry.context_id


def test_a_different_pair_replaces_the_context() -> None:
    """R5.8: a nested retry replaces the outer context, whose count later restarts (spec 12.14)."""
    machine = machine_for(3)
    machine.record(1, ok("a"))
    machine.record(2, ok("b"))
    outer = machine.record(3, read_retry("retry"))  # context (3 -> 2)
    inner = machine.record(2, read_retry("retry"))  # replaces it with (2 -> 1)
    assert isinstance(outer, ExecuteStage) and isinstance(inner, ExecuteStage)
    assert outer.retry is not None and inner.retry is not None
    assert outer.retry.context_id != inner.retry.context_id
    assert machine.record(1, ok("a2")) == ExecuteStage(2, "a2")
    assert machine.record(2, ok("b2")) == ExecuteStage(3, "b2")  # the inner requester ends its context
    assert machine.stage_context(3).context_id is None
    restarted = machine.record(3, read_retry("retry"))
    assert isinstance(restarted, ExecuteStage) and restarted.retry is not None
    assert restarted.retry.context_id not in {outer.retry.context_id, inner.retry.context_id}
    assert machine.stage_context(2).try_ == 2


def test_from_skips_the_stages_in_between() -> None:
    """R5.11: after a ``from`` retry, the requester runs right after the target, skipping stages between."""
    machine = machine_for(3)
    machine.record(1, ok("a"))
    machine.record(2, ok("b"))
    step = machine.record(3, read_retry({"value": "retry", "from": 1}))
    assert isinstance(step, ExecuteStage) and (step.stage, step.input_text) == (1, "in")
    assert machine.record(1, ok("a2")) == ExecuteStage(3, "a2")


def test_empty_output_of_the_retried_stage_ends_the_run() -> None:
    """R5.12: early termination wins over routing back to the pending requester."""
    machine = machine_for(2)
    machine.record(1, ok("a"))
    machine.record(2, read_retry("retry"))
    assert machine.record(1, ok("")) == Complete("")


def test_retrying_the_source_restarts_from_the_original_input() -> None:
    """R5.7/R5.10: stage 0 is run again with the original input when the source is retryable."""
    machine = machine_for(1, input_text="orig")
    step = machine.record(1, read_retry("retry"))
    assert isinstance(step, ExecuteStage) and (step.stage, step.input_text) == (0, "orig")


def fixed_literal(entries: int, input_text: str = "in") -> PipelineStateMachine:
    """A started machine for a fixed literal input: index 0 is entry 1, nothing replays."""
    machine = PipelineStateMachine(entries, stage0_retryable=False, stage0_replay=False)
    assert machine.start(input_text) == ExecuteStage(0, input_text)
    return machine


@pytest.mark.parametrize("signal", ["retry", {"value": "retry", "from": 0}])
def test_a_fixed_literal_cannot_be_retried_by_a_later_entry(signal: object) -> None:
    """D3: entry 2 (index 1) retrying index 0 of a fixed literal aborts with mlld's only such message."""
    machine = fixed_literal(2)
    machine.record(0, ok("a"))
    assert machine.record(1, read_retry(signal)) == Abort(
        "Cannot retry stage 0: input is not a function. Make the source a function to enable retries."
    )
    assert SOURCE_NOT_RETRYABLE.startswith("Cannot retry stage 0")


def test_a_fixed_literal_consumes_the_first_entry_retry_once() -> None:
    """D3: entry 1 asking to retry the fixed input gets the input as its output, logged once."""
    machine = fixed_literal(3, "orig")
    first = machine.record(0, read_retry("retry"))
    assert first == PassThrough("orig", ExecuteStage(1, "orig"), logged=True)
    assert machine.stage_context(1).previous_outputs == ("orig",)
    alone = fixed_literal(1, "solo")
    assert alone.record(0, read_retry("retry")) == PassThrough("solo", Complete("solo"), logged=True)


def test_a_replayable_literal_reruns_entry_1_without_a_context() -> None:
    """D3: entry 1 asking to retry a replayable literal runs again on the input, try 1, 2, 3, ...; the 21st aborts."""
    machine = PipelineStateMachine(2, stage0_retryable=True, stage0_replay=True)
    machine.start("orig")
    tries = [machine.stage_context(0).try_]
    for _ in range(20):
        step = machine.record(0, read_retry("retry"))
        assert step == ExecuteStage(0, "orig", RetryRequest(0, 0, SELF_RETRY_CONTEXT_ID))
        tries.append(machine.stage_context(0).try_)
        assert machine.stage_context(0).context_id is None
    assert tries == list(range(1, 22))
    assert machine.record(0, read_retry("retry")) == Abort("Stage 0 exceeded global retry limit (20 attempts).")


def test_a_function_source_answering_retry_runs_again_until_the_global_limit() -> None:
    """D2: the synthetic source (index 0) retrying itself replays; the 21st request aborts."""
    machine = PipelineStateMachine(2, stage0_retryable=True, stage0_replay=True, synthetic_source=True)
    machine.start("retry")
    steps = [machine.record(0, read_retry("retry")) for _ in range(21)]
    assert all(isinstance(step, ExecuteStage) and step.stage == 0 for step in steps[:20])
    assert steps[20] == Abort("Stage 0 exceeded global retry limit (20 attempts).")


def test_the_stage_context_number_is_the_entry_number_in_every_kind() -> None:
    """D3: ``stage`` is the 1-based entry number and ``total_stages`` the entry count, with or without a source."""
    with_source = PipelineStateMachine(3, stage0_retryable=True, stage0_replay=True, synthetic_source=True)
    literal = PipelineStateMachine(2, stage0_retryable=True, stage0_replay=True)
    assert [(with_source.stage_context(i).stage, with_source.stage_context(i).total_stages) for i in (1, 2)] == [
        (1, 2), (2, 2)
    ]
    assert [(literal.stage_context(i).stage, literal.stage_context(i).total_stages) for i in (0, 1)] == [
        (1, 2), (2, 2)
    ]
    assert with_source.stage_context(0).stage == 0


# --- Limits and abort messages, R5.9 ----------------------------------------------------


def retry_until_abort(machine: PipelineStateMachine, requester: int, signal: object) -> tuple[int, object]:
    """Let ``requester`` retry its target (which always succeeds) until the machine stops; count retries."""
    accepted = 0
    while True:
        step = machine.record(requester, read_retry(signal))
        if not isinstance(step, ExecuteStage):
            return accepted, step
        accepted += 1
        if step.stage != requester:
            machine.record(step.stage, ok(f"again {accepted}"))


def test_d3_example_two_entries() -> None:
    """R5.9/D3: entries ``[A, B]``, B always retries: 10 retries succeed, the 11th aborts."""
    machine = machine_for(2)
    machine.record(1, ok("a"))
    assert retry_until_abort(machine, 2, "retry") == (
        10,
        Abort("Stage 2 exceeded retry limit for stage 1 (10 attempts; max 10)."),
    )


def test_r5_9_example_three_entries_in_project_numbering() -> None:
    """R5.9/D3: entries ``[A, B, C]``, C always retries: ``Stage 3 ... for stage 2``."""
    machine = machine_for(3)
    machine.record(1, ok("a"))
    machine.record(2, ok("b"))
    assert retry_until_abort(machine, 3, {"value": "retry", "hint": "more"}) == (
        10,
        Abort("Stage 3 exceeded retry limit for stage 2 (10 attempts; max 10)."),
    )


def test_the_global_limit_is_20_retries_of_one_stage_across_contexts() -> None:
    """R5.9: 20 retries of one target across contexts succeed; the 21st aborts with the global message."""
    machine = machine_for(3)
    machine.record(1, ok("a"))
    machine.record(2, ok("b"))
    accepted = 0
    while True:
        requester = 2 if accepted % 2 == 0 else 3  # alternating requesters: a new context each time
        step = machine.record(requester, read_retry({"value": "retry", "from": 1}))
        if not isinstance(step, ExecuteStage):
            break
        accepted += 1
    assert accepted == 20
    assert step == Abort("Stage 1 exceeded global retry limit (20 attempts).")


@pytest.mark.parametrize(
    ("signal", "suffix"),
    [
        ({"value": "retry", "from": 2, "hint": "fix it"}, " Hint: fix it"),
        ({"value": "retry", "from": 2}, " Hint: Stage requested retry"),
        (
            {"value": "retry", "from": 2, "hint": {"detail": "x" * 200}},
            " Hint: " + compact_json({"detail": "x" * 200})[:120],
        ),
        # Only a truthy hint is shown, by JavaScript's rules (mlld state-machine.ts):
        # Python's truthiness would drop the empty array and object and keep NaN.
        ({"value": "retry", "from": 2, "hint": ""}, ""),
        ({"value": "retry", "from": 2, "hint": 0}, ""),
        ({"value": "retry", "from": 2, "hint": False}, ""),
        ({"value": "retry", "from": 2, "hint": float("nan")}, ""),
        ({"value": "retry", "from": 2, "hint": []}, " Hint: []"),
        ({"value": "retry", "from": 2, "hint": {}}, " Hint: {}"),
    ],
)
def test_a_stage_retrying_itself_aborts_with_its_hint(signal: object, suffix: str) -> None:
    """R5.9/R5.10: when a stage targets itself the hint is never cleared and ends the abort message, if truthy."""
    machine = machine_for(2)
    machine.record(1, ok("a"))
    accepted, step = retry_until_abort(machine, 2, signal)
    assert accepted == 10
    assert step == Abort(f"Stage 2 exceeded retry limit for stage 2 (10 attempts; max 10).{suffix}")


# --- Stage context, R5.14 ------------------------------------------------------------------


def test_try_of_each_stage_inside_and_outside_a_context() -> None:
    """R5.14: ``try`` is attempt_number + 1 (retried), len(attempts) + 1 (requester), 1 (others), or ``attempt``."""
    machine = machine_for(3)
    assert machine.stage_context(1).try_ == 1
    machine.record(1, ok("a"))
    machine.record(2, read_retry("retry"))
    assert [machine.stage_context(k).try_ for k in (1, 2, 3)] == [2, 1, 1]
    machine.record(1, ok("a2"))
    assert machine.stage_context(2).try_ == 2
    machine.record(2, read_retry("retry"))
    assert machine.stage_context(1).try_ == 3
    machine.record(1, ok("a3"))
    machine.record(2, ok("b"))
    assert machine.stage_context(3).try_ == 1
    assert machine.stage_context(1).attempt == 3
    assert machine.stage_context(1).global_attempt == 3


def test_tries_inside_a_context_are_the_attempt_texts() -> None:
    """R5.14: the requesting and retrying stages see the texts of the context's attempts."""
    machine = machine_for(2)
    machine.record(1, ok("gen-1"))
    machine.record(2, read_retry("retry"))
    machine.record(1, ok("gen-2"))
    machine.record(2, read_retry("retry"))
    machine.record(1, ok("gen-3"))
    assert machine.stage_context(2).tries == ("gen-2", "gen-3")
    assert machine.stage_context(1).tries == ("gen-2", "gen-3")


def test_tries_outside_any_context_are_the_whole_history() -> None:
    """R5.14 (spec 12.16): outside a context ``tries`` lists every saved context as a list of texts."""
    machine = machine_for(4)
    machine.record(1, ok("a1"))
    machine.record(2, read_retry("retry"))
    machine.record(1, ok("a2"))
    machine.record(2, ok("b"))
    assert machine.stage_context(3).tries == (("a2",),)
    machine.record(3, read_retry("retry"))
    machine.record(2, ok("b2"))
    machine.record(3, ok("c"))
    assert machine.stage_context(4).tries == (("a2",), ("b2",))


def test_the_hint_reaches_the_retried_stage_and_is_cleared_after() -> None:
    """R5.10/R5.11: the retried stage sees the hint; once it succeeds the requester sees none."""
    machine = machine_for(2)
    machine.record(1, ok("draft"))
    machine.record(2, read_retry({"value": "retry", "hint": "missing title"}))
    retried = machine.stage_context(1)
    assert (retried.hint, retried.hint_history) == ("missing title", ("missing title",))
    machine.record(1, ok("final"))
    assert machine.stage_context(2).hint is None


def test_a_bare_retry_gives_the_default_hint() -> None:
    """R5.10 (spec 12.15): a bare ``"retry"`` hands the retried stage ``Stage requested retry``."""
    machine = machine_for(2)
    machine.record(1, ok("a"))
    machine.record(2, read_retry("retry"))
    assert machine.stage_context(1).hint == "Stage requested retry"


def test_hint_history_shows_scalars_as_text() -> None:
    """R5.14: ``None`` and number hints read as JavaScript text in the history; dicts stay."""
    machine = machine_for(2)
    machine.record(1, ok("a"))
    for hint in (None, 3, {"k": 1}):
        machine.record(2, read_retry({"value": "retry", "hint": hint}))
        machine.record(1, ok("a"))
    assert machine.stage_context(1).hint_history == ("null", "3", {"k": 1})


def test_stage_context_numbers_and_previous_outputs() -> None:
    """R5.14/D3: ``stage`` is the entry number, ``total_stages`` the entry count, outputs by stage."""
    machine = machine_for(3, input_text="src")
    machine.record(1, ok("a"))
    context = machine.stage_context(2, parallel_index=1)
    assert (context.stage, context.total_stages, context.parallel_index) == (2, 3, 1)
    assert context.previous_outputs == ("src", "a")
    assert context.context_id is None
