"""The execution-loop runner: one run of a pipeline, from its input to the final value or error.

Extracted from the executor in phase 7 with every observable kept, as mlld
moved it into ``interpreter/eval/pipeline/executor/execution-loop-runner.ts``.
The runner owns the loop that drives the retry state machine (stage after
stage, retries and pass-throughs as the machine decides), the lifecycle
events, the iteration limit, and turning the final step into the result or
the error the caller sees. Running one stage stays the executor's: a stage's
work (the source, a sequential command, a parallel group) is what the loop
asks for, never what it decides.

The runner owns no executor state. It reaches the stage outputs, the event
stream, the state machine and stage execution through an
:class:`ExecutionLoopRuntime`, a Protocol the executor satisfies, so it can
be tested with a fake runtime. The stage outputs are ``stage_outputs`` (mlld's
``stageOutputs``), not the ``cache`` of the parallel runner's runtime,
although the executor hands both the same cache: a test that plants a fault
in what a parallel stage stores overrides ``cache`` alone.
"""

from __future__ import annotations

import asyncio
from typing import Protocol, final

from harness.pipeline.cache import StageOutputCache
from harness.pipeline.state_machine import (
    MAX_STAGE_EXECUTIONS,
    SELF_RETRY_CONTEXT_ID,
    Abort,
    Complete,
    ExecuteStage,
    Fail,
    PassThrough,
    PipelineStateMachine,
)
from harness.pipeline.types import (
    PipelineAbortedError,
    PipelineEvent,
    PipelineIterationLimitError,
    PipelineStageError,
    StageContext,
    StageFailure,
    StageResult,
    StageSuccess,
    StructuredValue,
)
from harness.pipeline.values import wrap_input

__all__ = ["ExecutionLoopRunner", "ExecutionLoopRuntime"]


class ExecutionLoopRuntime(Protocol):
    """What the execution loop needs from the executor it runs for."""

    @property
    def stage_outputs(self) -> StageOutputCache:
        """The stage output cache: initialized with the input, cleared ahead of each stage, read for the result."""
        ...

    @property
    def first_entry(self) -> int:
        """mlld's internal index of entry 1: 1 after a function source, else 0."""
        ...

    def start_run(self) -> PipelineStateMachine:
        """Forget the previous run's error markers, events and source runs; the fresh state machine of this run."""
        ...

    def emit(self, event: PipelineEvent) -> None:
        """Record one lifecycle event."""
        ...

    def entry_name(self, stage: int) -> str:
        """What ``STAGE_START`` names as the command of harness stage ``stage``."""
        ...

    def failed_command_name(self, stage: int) -> str:
        """The command a failure of harness stage ``stage`` is reported under."""
        ...

    async def run_stage(self, stage: int, input_text: str, context: StageContext) -> StageResult:
        """Run harness stage ``stage`` once on ``input_text``; every failure is a result, never raised."""
        ...


@final
class ExecutionLoopRunner:
    """Drives one run of the pipeline through an :class:`ExecutionLoopRuntime`."""

    __slots__ = ("_runtime",)

    def __init__(self, runtime: ExecutionLoopRuntime) -> None:
        self._runtime = runtime

    def __repr__(self) -> str:
        return f"ExecutionLoopRunner({self._runtime!r})"

    async def execute(self, value: object) -> StructuredValue:
        """Run the pipeline on ``value`` and return the final structured value.

        Raises :class:`PipelineStageError` (``Pipeline failed at stage N: ...``),
        :class:`PipelineAbortedError` (``Pipeline aborted: ...``) or
        :class:`PipelineIterationLimitError`.
        """
        runtime = self._runtime
        loop = asyncio.get_running_loop()
        initial = wrap_input(value)
        runtime.stage_outputs.initialize(initial)
        machine = runtime.start_run()
        runtime.emit(PipelineEvent("PIPELINE_START"))
        if runtime.first_entry == 0:
            # The harness numbers the input stage 0 for every kind (decision D2).
            # A literal input is no stage mlld runs and no iteration; it is shown
            # as stage 0's success so that entry 1 reads it from the cache.
            runtime.emit(PipelineEvent("STAGE_START", stage=0, command="__source__", attempt=1))
            runtime.stage_outputs.set(0, initial)
            runtime.emit(PipelineEvent("STAGE_SUCCESS", stage=0, duration_ms=0.0, output=initial))
        shift = 1 - runtime.first_entry
        step = machine.start(initial.text)
        executions = 0
        while isinstance(step, (ExecuteStage, PassThrough)):
            if isinstance(step, PassThrough):
                if step.logged:
                    self._log_pass_through(shift)
                step = step.then
                continue
            if step.retry is not None:
                runtime.emit(PipelineEvent(
                    "STAGE_RETRY_REQUEST",
                    stage=step.retry.requesting + shift,
                    target=step.retry.target + shift,
                    context_id=step.retry.context_id,
                ))
            executions += 1
            internal = step.stage
            stage = internal + shift
            runtime.stage_outputs.clear_from(stage)
            context = machine.stage_context(internal)
            runtime.emit(PipelineEvent(
                "STAGE_START",
                stage=stage,
                command=runtime.entry_name(stage),
                attempt=context.try_,
                context_id=context.context_id,
            ))
            started = loop.time()
            result = await runtime.run_stage(stage, step.input_text, context)
            if isinstance(result, StageSuccess):
                elapsed = round((loop.time() - started) * 1000, 6)
                runtime.emit(PipelineEvent("STAGE_SUCCESS", stage=stage, duration_ms=elapsed, output=result.output))
            elif isinstance(result, StageFailure):
                runtime.emit(PipelineEvent("STAGE_FAILURE", stage=stage, error=result.message))
            step = machine.record(internal, result)
            # mlld counts every executed stage, its synthetic source included
            # (executor/execution-loop-runner.ts: `if (iteration > 100)`).
            if executions > MAX_STAGE_EXECUTIONS:
                raise PipelineIterationLimitError(f"Pipeline exceeded {MAX_STAGE_EXECUTIONS} iterations")
        return self._finish(step, shift)

    def _finish(self, step: Complete | Abort | Fail, shift: int) -> StructuredValue:
        """The final step as the run's value, or as the error it raises (mlld's ``handleFinalStep``)."""
        runtime = self._runtime
        if isinstance(step, Complete):
            runtime.emit(PipelineEvent("PIPELINE_COMPLETE"))
            final_value = runtime.stage_outputs.final
            assert final_value is not None
            return final_value
        if isinstance(step, Abort):
            runtime.emit(PipelineEvent("PIPELINE_ABORT", reason=step.reason))
            raise PipelineAbortedError(f"Pipeline aborted: {step.reason}")
        runtime.emit(PipelineEvent("PIPELINE_ABORT", reason=step.message))
        # mlld prints the internal index + 1 and names the entry's command, or
        # `unknown` for a group (executor/execution-loop-runner.ts, handleFinalStep).
        raise PipelineStageError(
            f"Pipeline failed at stage {step.stage + 1}: {step.message}",
            stage_index=step.stage,
            command=runtime.failed_command_name(step.stage + shift),
        )

    def _log_pass_through(self, shift: int) -> None:
        """A fixed literal's entry 1 asked for a retry: the input becomes its output (mlld state-machine.ts)."""
        runtime = self._runtime
        runtime.emit(PipelineEvent(
            "STAGE_RETRY_REQUEST", stage=shift, target=shift, context_id=SELF_RETRY_CONTEXT_ID
        ))
        initial = runtime.stage_outputs.initial
        assert initial is not None
        runtime.emit(PipelineEvent("STAGE_SUCCESS", stage=shift, duration_ms=0.0, output=initial))
