"""The execution-loop runner on a fake runtime: the loop, the events, the iteration limit, the final step.

:class:`FakeRuntime` is an :class:`ExecutionLoopRuntime` whose stages answer
from a script (``{stage: [result, ...]}``, the last answer repeating) and
cache what succeeded, whose events are a list, and whose names are
``entry-N`` and ``command-N``. The executor is such a runtime too; these tests
pin what the runner itself decides. They were seen failing on mistakes
planted in a temporary copy of the runner: ``>=`` for ``>`` in the iteration
limit (the limit test), a failure numbered by mlld's internal index instead
of the index + 1 it prints (the failure test), and the retry request logged
for the wrong steps (every test).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import pytest

from harness.pipeline.cache import StageOutputCache
from harness.pipeline.execution_loop_runner import ExecutionLoopRunner
from harness.pipeline.state_machine import ExecuteStage, PipelineStateMachine
from harness.pipeline.types import (
    PipelineAbortedError,
    PipelineEvent,
    PipelineIterationLimitError,
    PipelineStageError,
    StageContext,
    StageFailure,
    StageResult,
    StageRetry,
    StageSuccess,
)
from harness.pipeline.values import text_value


class EndlessMachine(PipelineStateMachine):
    """A state machine that runs entry 1 again after every result, as no real one ever does."""

    def record(self, stage: int, result: StageResult) -> ExecuteStage:  # type: ignore[override]
        return ExecuteStage(0, "again")


class FakeRuntime:
    """An :class:`ExecutionLoopRuntime` over ``entries`` scripted stages on a literal input."""

    def __init__(self, script: Mapping[int, Sequence[StageResult]], *, entries: int, endless: bool = False) -> None:
        self._script = {stage: list(results) for stage, results in script.items()}
        self._entries = entries
        self._endless = endless
        self._cache = StageOutputCache()
        self.events: list[PipelineEvent] = [PipelineEvent("LEFT_OVER_FROM_AN_EARLIER_RUN")]
        self.calls: list[tuple[int, str]] = []

    def __repr__(self) -> str:
        return f"FakeRuntime(entries={self._entries})"

    @property
    def stage_outputs(self) -> StageOutputCache:
        return self._cache

    @property
    def first_entry(self) -> int:
        return 0

    def start_run(self) -> PipelineStateMachine:
        self.events.clear()
        machine_class = EndlessMachine if self._endless else PipelineStateMachine
        return machine_class(self._entries, stage0_retryable=True, stage0_replay=True, synthetic_source=False)

    def emit(self, event: PipelineEvent) -> None:
        self.events.append(event)

    def entry_name(self, stage: int) -> str:
        return f"entry-{stage}"

    def failed_command_name(self, stage: int) -> str:
        return f"command-{stage}"

    async def run_stage(self, stage: int, input_text: str, context: StageContext) -> StageResult:
        self.calls.append((stage, input_text))
        answers = self._script[stage]
        result = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(result, StageSuccess):
            self._cache.set(stage, result.output)
        return result


def run(runtime: FakeRuntime, value: object = "in") -> object:
    return asyncio.run(ExecutionLoopRunner(runtime).execute(value))


def success(text: str) -> StageSuccess:
    return StageSuccess(text_value(text))


def test_two_stages_run_in_order_framed_by_the_lifecycle_events() -> None:
    runtime = FakeRuntime({1: [success("a")], 2: [success("b")]}, entries=2)

    final = run(runtime)

    assert final.text == "b"  # type: ignore[attr-defined]
    assert runtime.calls == [(1, "in"), (2, "a")]
    assert [(event.type, event.stage, event.command) for event in runtime.events] == [
        ("PIPELINE_START", None, None),
        ("STAGE_START", 0, "__source__"),
        ("STAGE_SUCCESS", 0, None),
        ("STAGE_START", 1, "entry-1"),
        ("STAGE_SUCCESS", 1, None),
        ("STAGE_START", 2, "entry-2"),
        ("STAGE_SUCCESS", 2, None),
        ("PIPELINE_COMPLETE", None, None),
    ]


def test_a_failed_stage_ends_the_run_numbered_as_mlld_numbers_it() -> None:
    """On a literal input entry 2 is mlld's index 1: ``stage 2``, under the command of harness stage 2."""
    runtime = FakeRuntime({1: [success("a")], 2: [StageFailure("boom")]}, entries=2)

    with pytest.raises(PipelineStageError) as raised:
        run(runtime)

    assert str(raised.value) == "Pipeline failed at stage 2: boom"
    assert (raised.value.stage_index, raised.value.command) == (1, "command-2")
    assert [event.type for event in runtime.events][-2:] == ["STAGE_FAILURE", "PIPELINE_ABORT"]
    assert runtime.events[-1].reason == "boom"


def test_a_retry_runs_the_previous_stage_again_with_the_request_logged() -> None:
    runtime = FakeRuntime({1: [success("a1"), success("a2")], 2: [StageRetry(reason="again"), success("b")]}, entries=2)

    run(runtime)

    assert runtime.calls == [(1, "in"), (2, "a1"), (1, "in"), (2, "a2")]
    request = next(event for event in runtime.events if event.type == "STAGE_RETRY_REQUEST")
    assert (request.stage, request.target) == (2, 1)


def test_the_state_machine_s_refusal_is_an_abort() -> None:
    runtime = FakeRuntime({1: [success("a")], 2: [StageRetry(reason="again")]}, entries=2)

    with pytest.raises(PipelineAbortedError, match=r"^Pipeline aborted: "):
        run(runtime)

    assert runtime.events[-1].type == "PIPELINE_ABORT"


def test_the_101st_stage_execution_trips_the_iteration_limit_without_an_abort_event() -> None:
    runtime = FakeRuntime({1: [success("a")]}, entries=1, endless=True)

    with pytest.raises(PipelineIterationLimitError, match=r"^Pipeline exceeded 100 iterations$"):
        run(runtime)

    assert len(runtime.calls) == 101
    assert "PIPELINE_ABORT" not in [event.type for event in runtime.events]

