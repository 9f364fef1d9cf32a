"""The pipeline executor: runs each stage the loop asks for, and hands parallel stages to their runner.

This is the refactored executor. It owns the pipeline's entries, the source
stage and sequential stages. It delegates the run itself (the loop that
drives the retry state machine, the lifecycle events, the iteration limit
and the final step) to an
:class:`~harness.pipeline.execution_loop_runner.ExecutionLoopRunner`, for
which it is the :class:`~harness.pipeline.execution_loop_runner.ExecutionLoopRuntime`,
and every parallel group to a
:class:`~harness.pipeline.parallel_stage_runner.ParallelStageRunner`, for which
it is the :class:`~harness.pipeline.parallel_stage_runner.ParallelRuntime`.
Its observable behaviour must equal that of
:class:`harness.reference.ReferenceExecutor` (the frozen snapshot) and of
phase m-69d1's before, the executor with the loop inline.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence

from .cache import StageOutputCache
from .execution_loop_runner import ExecutionLoopRunner
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
from .state_machine import SOURCE_NOT_RETRYABLE, PipelineStateMachine, is_retry_signal, read_retry
from .types import (
    Command,
    SourceFunction,
    PipelineEvent,
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
    ``run_effects``) are what the parallel runner sees, and the
    :class:`ExecutionLoopRuntime` members (``stage_outputs``,
    ``first_entry``, ``start_run``, ``emit``, ``entry_name``,
    ``failed_command_name``, ``run_stage``) what the execution loop sees; the
    harness's tests subclass them to plant faults and show that the checks
    catch them.
    """

    __slots__ = (
        "_cache",
        "_delay_ms",
        "_entries",
        "_errors",
        "_events",
        "_first_entry",
        "_input_replayable",
        "_loop",
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
        self._loop = ExecutionLoopRunner(self)

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
        return await self._loop.execute(value)

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

    def _runs_stage(self, stage: int) -> bool:
        """Whether harness stage ``stage`` is one this pipeline runs: an entry, or a function source."""
        return 1 - self._first_entry <= stage <= len(self._entries)

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

    # The ExecutionLoopRuntime the execution loop works through.

    @property
    def stage_outputs(self) -> StageOutputCache:
        return self._cache

    @property
    def first_entry(self) -> int:
        return self._first_entry

    def start_run(self) -> PipelineStateMachine:
        self._errors.reset()
        self._events.clear()
        self._source_runs = 0
        self._machine = self._new_machine()
        return self._machine

    def emit(self, event: PipelineEvent) -> None:
        self._events.append(event)

    def entry_name(self, stage: int) -> str:
        if not self._runs_stage(stage):
            return "unknown"
        if stage == 0:
            return "__source__"
        entry = self._entries[stage - 1]
        if isinstance(entry, Command):
            return entry.name
        return "[" + " || ".join(command.name for command in entry) + "]"

    def failed_command_name(self, stage: int) -> str:
        if not self._runs_stage(stage):
            return "unknown"
        if stage == 0:
            return "__source__"
        entry = self._entries[stage - 1]
        return entry.name if isinstance(entry, Command) else "unknown"

    async def run_stage(self, stage: int, input_text: str, context: StageContext) -> StageResult:
        if not self._runs_stage(stage):
            # A `from` outside the pipeline names mlld's internal index.
            return StageFailure(f"there is no stage {stage - 1 + self._first_entry}")
        if stage == 0:
            return await self._run_source(context)
        entry = self._entries[stage - 1]
        if isinstance(entry, Command):
            return await self._run_sequential(stage, entry, input_text, context)
        return await self._runner.run(stage, entry, input_text)

    # The ParallelRuntime the parallel runner works through.

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
