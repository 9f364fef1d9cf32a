"""The parallel-stage runner: one parallel group, from shared input to cached aggregate.

Extracted from the executor with every observable kept (spec section 10): the
branches run under the cap and the pacing of :func:`run_with_concurrency`;
their results keep declaration order; a raising branch becomes an error marker
and never stops its siblings; a retry signal in any branch fails the stage once
every branch has finished; and the aggregate's descriptor merges each branch's
label descriptor, or its output's descriptor when it has none.

The runner owns no executor state. It reaches the cache, the error list, the
stage context and command execution through a :class:`ParallelRuntime`, a
Protocol the executor satisfies, so it can be tested with a fake runtime.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, final

from .cache import StageOutputCache
from .concurrency import run_with_concurrency
from .descriptors import SecurityDescriptor, merge_descriptors
from .invocation import label_descriptor, split_command_result, stage_descriptor
from .markers import ErrorContext, Marker, build_marker, collect_marker_shaped, marker_value
from .serialization import compact_json
from .state_machine import is_retry_signal
from .types import (
    BranchResult,
    Command,
    StageContext,
    StageFailure,
    StageResult,
    StageSuccess,
    StructuredValue,
)
from .values import clone_for_branch, extract_stage_value, finalize_stage_output, normalize_output

__all__ = ["RETRY_IN_PARALLEL_STAGE", "ParallelRuntime", "ParallelStageRunner"]

RETRY_IN_PARALLEL_STAGE = "retry not supported in parallel stage"


class ParallelRuntime(Protocol):
    """What a parallel stage needs from the executor running it."""

    @property
    def parallel_cap(self) -> int | None:
        """The explicit cap, or ``None`` to read the environment default per stage."""
        ...

    @property
    def delay_ms(self) -> int | None:
        """The minimum gap between successive branch starts, if any."""
        ...

    @property
    def cache(self) -> StageOutputCache:
        """The stage output cache: the shared input is read here and the aggregate stored."""
        ...

    @property
    def error_context(self) -> ErrorContext:
        """Where the stage's error list is published."""
        ...

    def branch_context(self, stage: int, index: int) -> StageContext:
        """The stage context branch ``index`` of ``stage`` runs under."""
        ...

    async def execute_command(self, command: Command, value: StructuredValue, context: StageContext) -> object:
        """Run one branch's command and return its raw output."""
        ...

    async def run_effects(self, command: Command, value: StructuredValue, context: StageContext) -> None:
        """Run one branch's effects on its finalized output."""
        ...


@final
class ParallelStageRunner:
    """Runs the parallel stages of one executor through its :class:`ParallelRuntime`."""

    __slots__ = ("_runtime",)

    def __init__(self, runtime: ParallelRuntime) -> None:
        self._runtime = runtime

    def __repr__(self) -> str:
        return f"ParallelStageRunner(runtime={type(self._runtime).__name__})"

    async def run(self, stage: int, commands: Sequence[Command], input_text: str) -> StageResult:
        """Run every branch of the group at ``stage`` and return the stage's result.

        A failure outside the branches' guarded work (building a branch's
        context or input, aggregating) fails the whole stage, after the other
        branches were cancelled and awaited.
        """
        runtime = self._runtime
        errors: list[Marker] = []
        runtime.error_context.publish(errors)
        try:
            shared_input = runtime.cache.get(stage - 1, input_text)

            async def branch(command: Command, index: int) -> BranchResult:
                return await self._run_branch(stage, index, command, shared_input, errors)

            branches = await run_with_concurrency(
                commands, runtime.parallel_cap, branch, ordered=True, pace_ms=runtime.delay_ms
            )
            if any(result.retry_signal is not None for result in branches):
                return StageFailure(RETRY_IN_PARALLEL_STAGE)
            if not errors:
                errors.extend(collect_marker_shaped(branches))
            runtime.error_context.publish(errors)
            aggregate = self._aggregate(branches, errors, shared_input)
            runtime.cache.set(stage, aggregate)
            return StageSuccess(aggregate)
        except Exception as exc:
            return StageFailure(str(exc))

    async def _run_branch(
        self,
        stage: int,
        index: int,
        command: Command,
        shared_input: StructuredValue,
        errors: list[Marker],
    ) -> BranchResult:
        runtime = self._runtime
        context = runtime.branch_context(stage, index)
        branch_input = clone_for_branch(shared_input)
        own_descriptor = stage_descriptor(command)
        try:
            raw = await runtime.execute_command(command, branch_input, context)
            value, result_descriptor = split_command_result(raw)
            if is_retry_signal(value):
                return BranchResult(value=None, retry_signal=value)
            labels = label_descriptor(command, result_descriptor)
            normalized = normalize_output(value)
            finalize_stage_output(normalized, branch_input, value, own_descriptor, labels)
            await runtime.run_effects(command, normalized, context)
            return BranchResult(value=normalized, labels=labels)
        except Exception as exc:
            marker = build_marker(index, exc, branch_input)
            errors.append(marker)
            return BranchResult(value=marker_value(marker))

    @staticmethod
    def _aggregate(
        branches: Sequence[BranchResult], errors: list[Marker], shared_input: StructuredValue
    ) -> StructuredValue:
        """Build the stage output: branch data in order, as an ``array`` (spec section 6)."""
        values = [result.value for result in branches if result.value is not None]
        data = [extract_stage_value(value) for value in values]
        aggregate = StructuredValue(
            type="array",
            text=compact_json(data),
            data=data,
            metadata={"stages": values, "errors": errors},
        )
        # A branch with a label descriptor contributes that, not its output's
        # descriptor: labels carried by the value such a branch returned are
        # not merged here (spec R6.4), which is pinned behaviour. Descriptors
        # inside the branches' data still reach the aggregate, since it is
        # finalized with ``data`` as its raw output (mlld parallel-stage-runner.ts
        # passes `aggregatedData`): a labelled branch's table of described values
        # passes them on, its array does not (normalizing unwrapped the items).
        taken: list[SecurityDescriptor] = [
            result.labels if result.labels is not None else value.descriptor
            for result, value in zip(branches, values)
        ]
        merged = merge_descriptors(*taken) if taken else None
        return finalize_stage_output(aggregate, shared_input, data, merged)
