"""The pipeline executor: runs stages in sequence and hands parallel stages to the runner.

This is the refactored executor. It owns the run loop (stage after stage, as
the retry state machine decides), the source stage, sequential stages and the
lifecycle events, and delegates every parallel group to a
:class:`~harness.pipeline.parallel_stage_runner.ParallelStageRunner`, for which
it is the :class:`~harness.pipeline.parallel_stage_runner.ParallelRuntime`.
Its observable behaviour must equal that of
:class:`harness.reference.ReferenceExecutor` (the frozen snapshot).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Sequence

from .cache import StageOutputCache
from .invocation import (
    invoke_command,
    label_descriptor,
    run_effects,
    sequential_effects_context,
    split_command_result,
    stage_descriptor,
    using_stage_context,
)
from .markers import ErrorContext, Marker
from .parallel_stage_runner import ParallelStageRunner
from .state_machine import (
    MAX_STAGE_EXECUTIONS,
    SELF_RETRY_CONTEXT_ID,
    SOURCE_NOT_RETRYABLE,
    Abort,
    Complete,
    ExecuteStage,
    PassThrough,
    PipelineStateMachine,
    is_retry_signal,
    read_retry,
)
from .types import (
    Command,
    SourceFunction,
    PipelineAbortedError,
    PipelineEvent,
    PipelineIterationLimitError,
    PipelineStageError,
    RetryRequested,
    StageContext,
    StageFailure,
    StageResult,
    StageRetry,
    StageSuccess,
    StructuredValue,
)
from .values import finalize_stage_output, normalize_output, wrap_input

__all__ = ["PipelineExecutor", "normalize_entries"]

def normalize_entries(stages: Sequence[object]) -> tuple[Command | tuple[Command, ...], ...]:
    """Check the pipeline entries: each is a :class:`Command` or a list of commands (a group)."""
    entries: list[Command | tuple[Command, ...]] = []
    for position, entry in enumerate(stages, start=1):
        if isinstance(entry, Command):
            entries.append(entry)
        elif isinstance(entry, (list, tuple)) and all(isinstance(item, Command) for item in entry):
            entries.append(tuple(entry))
        else:
            raise TypeError(f"stage {position} must be a Command or a list of Commands, got {entry!r}")
    return tuple(entries)


class PipelineExecutor:
    """Runs a pipeline of commands and parallel groups over an input value.

    ``stages`` are the entries 1..n (the input is stage 0); ``parallel_cap``
    and ``delay_ms`` apply to every parallel group. The input is one of three
    kinds (decision D3): a function ``source`` (mlld's exec invocation with a
    synthetic ``__source__`` stage, which a retry runs again), a replayable
    literal (the default, mlld's ``/var @x = "lit" with {...}``) or, with
    ``input_replayable=False``, a fixed literal (mlld's ``/show "lit" with
    {...}``). One run at a time per instance.

    The :class:`ParallelRuntime` members (``parallel_cap``, ``delay_ms``,
    ``cache``, ``error_context``, ``branch_context``, ``execute_command``,
    ``run_effects``) are what the runner sees; the harness's tests subclass
    them to plant faults and show that the checks catch them.
    """

    __slots__ = (
        "_cache",
        "_delay_ms",
        "_entries",
        "_errors",
        "_events",
        "_first_entry",
        "_input_replayable",
        "_machine",
        "_parallel_cap",
        "_runner",
        "_source",
        "_source_runs",
    )

    def __init__(
        self,
        stages: Sequence[Command | Sequence[Command]],
        *,
        parallel_cap: int | None = None,
        delay_ms: int | None = None,
        source: SourceFunction | None = None,
        input_replayable: bool = True,
    ) -> None:
        if source is not None and not input_replayable:
            raise ValueError("input_replayable=False describes a literal input; a function source always replays")
        self._entries = normalize_entries(stages)
        self._parallel_cap = parallel_cap
        self._delay_ms = delay_ms
        self._source = source
        self._input_replayable = input_replayable
        # mlld's internal index of entry 1: 1 after a synthetic source, else 0
        # (exec-invocation.ts prepends `__source__` only for a function source).
        self._first_entry = 1 if source is not None else 0
        self._cache = StageOutputCache()
        self._errors = ErrorContext()
        self._events: list[PipelineEvent] = []
        self._machine = self._new_machine()
        self._source_runs = 0
        self._runner = ParallelStageRunner(self)

    def __repr__(self) -> str:
        return f"PipelineExecutor(stages={len(self._entries)}, parallel_cap={self._parallel_cap}, delay_ms={self._delay_ms})"

    @property
    def latest_errors(self) -> list[Marker]:
        """The error markers of the most recent parallel stage."""
        return list(self._errors.latest_errors)

    @property
    def events(self) -> tuple[PipelineEvent, ...]:
        """The lifecycle events of the latest run, in order."""
        return tuple(self._events)

    async def execute(self, value: object) -> StructuredValue:
        """Run the pipeline on ``value`` and return the final structured value.

        Raises :class:`PipelineStageError` (``Pipeline failed at stage N: ...``),
        :class:`PipelineAbortedError` (``Pipeline aborted: ...``) or
        :class:`PipelineIterationLimitError`.
        """
        loop = asyncio.get_running_loop()
        initial = wrap_input(value)
        self._cache.initialize(initial)
        self._errors.reset()
        self._events.clear()
        self._source_runs = 0
        machine = self._machine = self._new_machine()
        self._events.append(PipelineEvent("PIPELINE_START"))
        if self._source is None:
            # The harness numbers the input stage 0 for every kind (decision D2).
            # A literal input is no stage mlld runs and no iteration; it is shown
            # as stage 0's success so that entry 1 reads it from the cache.
            self._events.append(PipelineEvent("STAGE_START", stage=0, command="__source__", attempt=1))
            self._cache.set(0, initial)
            self._events.append(PipelineEvent("STAGE_SUCCESS", stage=0, duration_ms=0.0, output=initial))
        shift = 1 - self._first_entry
        step = machine.start(initial.text)
        executions = 0
        while isinstance(step, (ExecuteStage, PassThrough)):
            if isinstance(step, PassThrough):
                if step.logged:
                    self._log_pass_through(shift)
                step = step.then
                continue
            if step.retry is not None:
                self._events.append(PipelineEvent(
                    "STAGE_RETRY_REQUEST",
                    stage=step.retry.requesting + shift,
                    target=step.retry.target + shift,
                    context_id=step.retry.context_id,
                ))
            executions += 1
            internal = step.stage
            stage = internal + shift
            self._cache.clear_from(stage)
            context = machine.stage_context(internal)
            self._events.append(PipelineEvent(
                "STAGE_START",
                stage=stage,
                command=self._entry_name(stage),
                attempt=context.try_,
                context_id=context.context_id,
            ))
            started = loop.time()
            result = await self._run_stage(stage, step.input_text, context)
            if isinstance(result, StageSuccess):
                elapsed = round((loop.time() - started) * 1000, 6)
                self._events.append(
                    PipelineEvent("STAGE_SUCCESS", stage=stage, duration_ms=elapsed, output=result.output)
                )
            elif isinstance(result, StageFailure):
                self._events.append(PipelineEvent("STAGE_FAILURE", stage=stage, error=result.message))
            step = machine.record(internal, result)
            # mlld counts every executed stage, its synthetic source included
            # (executor/execution-loop-runner.ts: `if (iteration > 100)`).
            if executions > MAX_STAGE_EXECUTIONS:
                raise PipelineIterationLimitError(f"Pipeline exceeded {MAX_STAGE_EXECUTIONS} iterations")
        if isinstance(step, Complete):
            self._events.append(PipelineEvent("PIPELINE_COMPLETE"))
            final_value = self._cache.final
            assert final_value is not None
            return final_value
        if isinstance(step, Abort):
            self._events.append(PipelineEvent("PIPELINE_ABORT", reason=step.reason))
            raise PipelineAbortedError(f"Pipeline aborted: {step.reason}")
        self._events.append(PipelineEvent("PIPELINE_ABORT", reason=step.message))
        # mlld prints the internal index + 1 and names the entry's command, or
        # `unknown` for a group (executor/execution-loop-runner.ts, handleFinalStep).
        raise PipelineStageError(
            f"Pipeline failed at stage {step.stage + 1}: {step.message}",
            stage_index=step.stage,
            command=self._failed_command_name(step.stage + shift),
        )

    def _new_machine(self) -> PipelineStateMachine:
        # A literal input replays unless it is fixed; mlld gives a static input a
        # source function returning it (unified-processor.ts, "Static input").
        replayable = self._source is not None or self._input_replayable
        return PipelineStateMachine(
            len(self._entries) + self._first_entry,
            stage0_retryable=replayable,
            stage0_replay=replayable,
            synthetic_source=self._source is not None,
        )

    def _log_pass_through(self, shift: int) -> None:
        """A fixed literal's entry 1 asked for a retry: the input becomes its output (mlld state-machine.ts)."""
        self._events.append(PipelineEvent(
            "STAGE_RETRY_REQUEST", stage=shift, target=shift, context_id=SELF_RETRY_CONTEXT_ID
        ))
        initial = self._cache.initial
        assert initial is not None
        self._events.append(PipelineEvent("STAGE_SUCCESS", stage=shift, duration_ms=0.0, output=initial))

    def _failed_command_name(self, stage: int) -> str:
        if not self._runs_stage(stage):
            return "unknown"
        if stage == 0:
            return "__source__"
        entry = self._entries[stage - 1]
        return entry.name if isinstance(entry, Command) else "unknown"

    def _runs_stage(self, stage: int) -> bool:
        """Whether harness stage ``stage`` is one this pipeline runs: an entry, or a function source."""
        return 1 - self._first_entry <= stage <= len(self._entries)

    def _entry_name(self, stage: int) -> str:
        if not self._runs_stage(stage):
            return "unknown"
        if stage == 0:
            return "__source__"
        entry = self._entries[stage - 1]
        if isinstance(entry, Command):
            return entry.name
        return "[" + " || ".join(command.name for command in entry) + "]"

    async def _run_stage(self, stage: int, input_text: str, context: StageContext) -> StageResult:
        if not self._runs_stage(stage):
            # A `from` outside the pipeline names mlld's internal index.
            return StageFailure(f"there is no stage {stage - 1 + self._first_entry}")
        if stage == 0:
            return await self._run_source(context)
        entry = self._entries[stage - 1]
        if isinstance(entry, Command):
            return await self._run_sequential(stage, entry, input_text, context)
        return await self._runner.run(stage, entry, input_text)

    async def _run_source(self, context: StageContext) -> StageResult:
        """Stage 0: the input on the first run, then whatever ``source`` produces again."""
        first_run = self._source_runs == 0
        self._source_runs += 1
        if first_run:
            value = self._cache.initial
            assert value is not None
        else:
            if self._source is None:
                return StageFailure(SOURCE_NOT_RETRYABLE)
            try:
                with using_stage_context(context):
                    produced = self._source()
                    if inspect.isawaitable(produced):
                        produced = await produced
            except Exception as exc:
                return StageFailure(str(exc))
            value = wrap_input(produced)
            self._cache.update_initial(value)
            self._machine.replace_original_input(value.text)
        # The source's answer may ask for a retry like any stage's: mlld runs
        # `__source__` through the single-stage runner, which checks every output
        # (executor/single-stage-runner.ts, `isRetrySignal(output)`).
        if is_retry_signal(value):
            return read_retry(value)
        self._cache.set(0, value)
        return StageSuccess(value)

    async def _run_sequential(
        self, stage: int, command: Command, input_text: str, context: StageContext
    ) -> StageResult:
        """One sequential stage (spec R2.8); any exception becomes the stage's failure."""
        try:
            structured_input = self._cache.get(stage - 1, input_text)
            own_descriptor = stage_descriptor(command)
            try:
                raw = await invoke_command(command, structured_input, context)
            except RetryRequested as exc:
                return StageRetry(reason=str(exc), hint=exc.hint, has_hint=exc.hint is not None)
            value, result_descriptor = split_command_result(raw)
            if is_retry_signal(value):
                return read_retry(value)
            output = normalize_output(value)
            finalize_stage_output(
                output, structured_input, value, own_descriptor, label_descriptor(command, result_descriptor)
            )
            self._cache.set(stage, output)
            await run_effects(command, output, sequential_effects_context(context, output))
            return StageSuccess(output)
        except Exception as exc:
            return StageFailure(str(exc))

    # The ParallelRuntime the runner works through.

    @property
    def parallel_cap(self) -> int | None:
        return self._parallel_cap

    @property
    def delay_ms(self) -> int | None:
        return self._delay_ms

    @property
    def cache(self) -> StageOutputCache:
        return self._cache

    @property
    def error_context(self) -> ErrorContext:
        return self._errors

    def branch_context(self, stage: int, index: int) -> StageContext:
        return self._machine.stage_context(stage - 1 + self._first_entry, parallel_index=index)

    async def execute_command(self, command: Command, value: StructuredValue, context: StageContext) -> object:
        return await invoke_command(command, value, context)

    async def run_effects(self, command: Command, value: StructuredValue, context: StageContext) -> None:
        await run_effects(command, value, context)
