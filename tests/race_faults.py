"""Executors with one planted race each: correct under FIFO ties, wrong under another tie order.

Each is the extracted executor with its parallel-stage runner swapped for one
that makes a refactoring mistake that only shows when callbacks ready at the
same virtual instant run in another order than first in, first out (another
event loop, another Python version, another await structure). Under FIFO
each one is equivalent to the correct runner, so every FIFO check passes on
it; ``tests/properties/test_race_faults_are_found.py`` shows that, and that exploration finds and
shrinks each. Name one as ``tests.race_faults:NAME`` from the project folder
(``harness check --candidate tests.race_faults:CompletionOrderExecutor``);
inside this suite, where the ``tests`` folder is on the import path,
``race_faults:NAME`` works too, and repro files record the first form.

- :class:`SharedCursorExecutor` reads a shared cursor after an ``await``;
- :class:`CompletionOrderExecutor` builds the aggregate in completion order;
- :class:`EarlyErrorsExecutor` publishes the errors before the last branch finished.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from harness.pipeline import PipelineExecutor
from harness.pipeline.concurrency import _PaceGate, default_parallel_limit, run_with_concurrency, worker_count
from harness.pipeline.markers import Marker, collect_marker_shaped
from harness.pipeline.parallel_stage_runner import RETRY_IN_PARALLEL_STAGE, ParallelRuntime, ParallelStageRunner
from harness.pipeline.types import BranchResult, Command, StageFailure, StageResult, StageSuccess

Branch = Callable[[Command, int], Awaitable[BranchResult]]


class _RunnerVariant:
    """The runner's ``run``, step for step, with the branch pool and the error publishing overridable."""

    __slots__ = ("_inner", "_runtime")

    def __init__(self, runtime: ParallelRuntime) -> None:
        self._runtime = runtime
        self._inner = ParallelStageRunner(runtime)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(runtime={type(self._runtime).__name__})"

    async def run(self, stage: int, commands: Sequence[Command], input_text: str) -> StageResult:
        runtime = self._runtime
        errors: list[Marker] = []
        runtime.error_context.publish(errors)
        try:
            shared_input = runtime.cache.get(stage - 1, input_text)

            async def branch(command: Command, index: int) -> BranchResult:
                return await self.run_branch(stage, index, command, shared_input, errors, len(commands))

            branches = await self.run_branches(commands, branch)
            if any(result.retry_signal is not None for result in branches):
                return StageFailure(RETRY_IN_PARALLEL_STAGE)
            collected = [] if errors else collect_marker_shaped(branches)
            errors.extend(collected)
            self.publish_final(errors, collected)
            aggregate = self._inner._aggregate(branches, errors, shared_input)
            runtime.cache.set(stage, aggregate)
            return StageSuccess(aggregate)
        except Exception as exc:
            return StageFailure(str(exc))

    async def run_branch(
        self, stage: int, index: int, command: Command, shared_input: object, errors: list[Marker], total: int
    ) -> BranchResult:
        return await self._inner._run_branch(stage, index, command, shared_input, errors)  # type: ignore[arg-type]

    async def run_branches(self, commands: Sequence[Command], branch: Branch) -> list[BranchResult]:
        return await run_with_concurrency(
            commands, self._runtime.parallel_cap, branch, ordered=True, pace_ms=self._runtime.delay_ms
        )

    def publish_final(self, errors: list[Marker], collected: list[Marker]) -> None:
        self._runtime.error_context.publish(errors)

    def _pool(self, commands: Sequence[Command]) -> tuple[int, _PaceGate | None]:
        cap = self._runtime.parallel_cap
        pace = self._runtime.delay_ms
        workers = worker_count(default_parallel_limit() if cap is None else cap, len(commands))
        return workers, _PaceGate(pace) if pace is not None and pace > 0 else None


async def _gather_workers(workers: int, work: Callable[[], Awaitable[None]]) -> None:
    tasks = [asyncio.ensure_future(work()) for _ in range(workers)]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


class _SharedCursorRunner(_RunnerVariant):
    """Reserves the result slot, yields so the sibling workers can reserve theirs, then reads the command cursor."""

    __slots__ = ()

    async def run_branches(self, commands: Sequence[Command], branch: Branch) -> list[BranchResult]:
        workers, gate = self._pool(commands)
        slots: list[BranchResult | None] = [None] * len(commands)
        reserved = dispatched = 0

        async def work() -> None:
            nonlocal reserved, dispatched
            while True:
                if gate is not None:
                    await gate.pass_gate()
                if reserved >= len(commands):
                    return
                slot = reserved
                reserved += 1
                await asyncio.sleep(0)
                # The mistake: the shared cursor is read after the await, assuming
                # the workers resume in the order they reserved their slots.
                command = commands[dispatched]
                dispatched += 1
                slots[slot] = await branch(command, slot)

        await _gather_workers(workers, work)
        return [result for result in slots if result is not None]


class _CompletionOrderRunner(_RunnerVariant):
    """Collects results as branches complete, then orders them by when each branch checked in."""

    __slots__ = ()

    async def run_branches(self, commands: Sequence[Command], branch: Branch) -> list[BranchResult]:
        workers, gate = self._pool(commands)
        completed: list[tuple[int, BranchResult]] = []
        cursor = arrivals = 0

        async def work() -> None:
            nonlocal cursor, arrivals
            while True:
                if gate is not None:
                    await gate.pass_gate()
                if cursor >= len(commands):
                    return
                index = cursor
                cursor += 1
                await asyncio.sleep(0)
                # The mistake: the check-in number stands for the declaration
                # position, which holds only while ties resume first in, first out.
                arrival = arrivals
                arrivals += 1
                completed.append((arrival, await branch(commands[index], index)))

        await _gather_workers(workers, work)
        return [result for _, result in sorted(completed, key=lambda pair: pair[0])]


class _EarlyErrorsRunner(_RunnerVariant):
    """The branch that finishes last publishes a copy of the errors, after one yield for its siblings."""

    __slots__ = ("_finished",)

    def __init__(self, runtime: ParallelRuntime) -> None:
        super().__init__(runtime)
        self._finished = 0

    async def run_branches(self, commands: Sequence[Command], branch: Branch) -> list[BranchResult]:
        self._finished = 0
        return await super().run_branches(commands, branch)

    async def run_branch(
        self, stage: int, index: int, command: Command, shared_input: object, errors: list[Marker], total: int
    ) -> BranchResult:
        own: list[Marker] = []
        result = await super().run_branch(stage, index, command, shared_input, own, total)
        self._finished += 1
        closing = self._finished == total
        # The mistake: one yield is assumed to let every sibling that finished
        # at this instant report its marker before the last one publishes.
        await asyncio.sleep(0)
        errors.extend(own)
        if closing:
            self._runtime.error_context.publish(list(errors))
        return result

    def publish_final(self, errors: list[Marker], collected: list[Marker]) -> None:
        if collected:
            self._runtime.error_context.publish(list(errors))


class SharedCursorExecutor(PipelineExecutor):
    """Race: a worker reads the shared command cursor after an ``await``, so under ties it may run another branch's command."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._runner = _SharedCursorRunner(self)  # type: ignore[assignment]


class CompletionOrderExecutor(PipelineExecutor):
    """Race: the aggregate is built in completion order, keyed by a check-in number that is declaration order only under FIFO."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._runner = _CompletionOrderRunner(self)  # type: ignore[assignment]


class EarlyErrorsExecutor(PipelineExecutor):
    """Race: the errors are published when the last branch to finish has yielded once, not when all have reported."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._runner = _EarlyErrorsRunner(self)  # type: ignore[assignment]


RACE_FAULTS = ("SharedCursorExecutor", "CompletionOrderExecutor", "EarlyErrorsExecutor")
