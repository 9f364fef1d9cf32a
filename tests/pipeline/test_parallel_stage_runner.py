"""The parallel-stage runner on a fake runtime (spec 11.3, section 10).

:class:`FakeRuntime` is the runtime of the spec's runner tests: the shared
input is always the text ``seed``, the cap is 4 with no pacing, the error
context records every published list, and effects only record that they ran.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from harness.pipeline import Command, ParallelRuntime, ParallelStageRunner, StageContext, StructuredValue
from harness.pipeline import parallel_stage_runner as runner_module
from harness.pipeline.cache import StageOutputCache
from harness.pipeline.descriptors import SecurityDescriptor
from harness.pipeline.markers import ErrorContext, Marker
from harness.pipeline.types import StageFailure, StageResult, StageSuccess
from harness.pipeline.values import finalize_stage_output, text_value


class SeedCache(StageOutputCache):
    """A cache whose every read is a fresh ``seed`` text value, and which records every write."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[int] = []
        self.writes: list[tuple[int, StructuredValue]] = []

    def get(self, index: int, fallback_text: str) -> StructuredValue:
        self.reads.append(index)
        return text_value("seed")

    def set(self, index: int, value: StructuredValue) -> None:
        self.writes.append((index, value))
        super().set(index, value)


class RecordingErrorContext(ErrorContext):
    """An error context that keeps every list it was asked to publish."""

    def __init__(self) -> None:
        super().__init__()
        self.published: list[list[Marker]] = []

    def publish(self, errors: list[Marker]) -> None:
        self.published.append(errors)
        super().publish(errors)


class FakeRuntime:
    """A :class:`ParallelRuntime` with a seed cache, a recording error context and recorded effects."""

    def __init__(self, *, parallel_cap: int | None = 4, delay_ms: int | None = None) -> None:
        self._parallel_cap = parallel_cap
        self._delay_ms = delay_ms
        self._cache = SeedCache()
        self._errors = RecordingErrorContext()
        self.inputs: list[StructuredValue] = []
        self.effect_runs: list[tuple[str, str]] = []

    def __repr__(self) -> str:
        return f"FakeRuntime(parallel_cap={self._parallel_cap}, delay_ms={self._delay_ms})"

    @property
    def parallel_cap(self) -> int | None:
        return self._parallel_cap

    @property
    def delay_ms(self) -> int | None:
        return self._delay_ms

    @property
    def cache(self) -> SeedCache:
        return self._cache

    @property
    def error_context(self) -> RecordingErrorContext:
        return self._errors

    def branch_context(self, stage: int, index: int) -> StageContext:
        return StageContext(stage=stage, total_stages=1, attempt=1, global_attempt=1, try_=1, parallel_index=index)

    async def execute_command(self, command: Command, value: StructuredValue, context: StageContext) -> object:
        self.inputs.append(value)
        raw = command.run(value)
        return await raw if inspect.isawaitable(raw) else raw

    async def run_effects(self, command: Command, value: StructuredValue, context: StageContext) -> None:
        self.effect_runs.append((command.name, value.text))


class BrokenContextRuntime(FakeRuntime):
    """A runtime that cannot build the context of one branch: a setup failure (R3.8)."""

    def __init__(self, broken_index: int) -> None:
        super().__init__()
        self._broken_index = broken_index

    def branch_context(self, stage: int, index: int) -> StageContext:
        if index == self._broken_index:
            raise RuntimeError(f"no context for branch {index}")
        return super().branch_context(stage, index)


class FinalizeRecorder:
    """Stands in for ``finalize_stage_output`` in the runner: records each call, then finalizes for real."""

    def __init__(self) -> None:
        self.calls: list[tuple[StructuredValue, object, tuple[SecurityDescriptor | None, ...]]] = []

    def __repr__(self) -> str:
        return f"FinalizeRecorder(calls={len(self.calls)})"

    def __call__(
        self,
        value: StructuredValue,
        stage_input: StructuredValue,
        raw_output: object,
        *hints: SecurityDescriptor | None,
    ) -> StructuredValue:
        self.calls.append((value, raw_output, hints))
        return finalize_stage_output(value, stage_input, raw_output, *hints)


@pytest.fixture
def finalize_calls(monkeypatch: pytest.MonkeyPatch) -> FinalizeRecorder:
    """Record the runner's calls of ``finalize_stage_output``."""
    recorder = FinalizeRecorder()
    monkeypatch.setattr(runner_module, "finalize_stage_output", recorder)
    return recorder


def returning(name: str, result: object, *, after_ms: int = 0, labels: tuple[str, ...] = ()) -> Command:
    """A branch that waits ``after_ms`` virtual milliseconds, then returns ``result``."""

    async def run(value: StructuredValue) -> object:
        await asyncio.sleep(after_ms / 1000)
        return result

    return Command(name, run, labels=labels)


def raising(name: str, message: str) -> Command:
    """A branch that raises ``Exception(message)``."""

    def run(value: StructuredValue) -> object:
        raise Exception(message)

    return Command(name, run)


def run_group(
    run_virtual: Callable[..., Any], runtime: FakeRuntime, branches: Sequence[Command], stage: int = 0
) -> StageResult:
    """Run ``branches`` as the group at ``stage`` with input text ``seed``."""
    result: StageResult = run_virtual(ParallelStageRunner(runtime).run(stage, branches, "seed"))
    return result


def test_the_fake_runtime_satisfies_the_protocol() -> None:
    """Section 10: the runner reaches the executor only through ``ParallelRuntime``."""
    runtime: ParallelRuntime = FakeRuntime()
    assert repr(ParallelStageRunner(runtime)) == "ParallelStageRunner(runtime=FakeRuntime)"


def test_ordering_with_slow_and_fast_branches(
    run_virtual: Callable[..., Any], virtual_loop: asyncio.AbstractEventLoop
) -> None:
    """Spec 11.3.1 / R3.6: declaration order whatever the completion order; effects run per branch."""
    runtime = FakeRuntime()
    result = run_group(
        run_virtual,
        runtime,
        [returning("slow", "slow-result", after_ms=15), returning("fast", "fast-result", after_ms=1)],
    )
    assert isinstance(result, StageSuccess)
    assert result.output.data == ["slow-result", "fast-result"]
    assert runtime.effect_runs == [("fast", "fast-result"), ("slow", "slow-result")]
    assert round(virtual_loop.time() * 1000) == 15


def test_markers(run_virtual: Callable[..., Any]) -> None:
    """Spec 11.3.2 / R4.1, R4.3: a raising branch is a marker in place; the list, published twice, has it alone."""
    runtime = FakeRuntime()
    result = run_group(
        run_virtual,
        runtime,
        [returning("one", "one-ok"), raising("fail", "branch exploded"), returning("three", "three-ok")],
    )
    assert isinstance(result, StageSuccess)
    data = result.output.data
    assert (data[0], data[2]) == ("one-ok", "three-ok")
    assert {"index": 1, "key": 1, "value": "seed"}.items() <= data[1].items()
    assert "branch exploded" in data[1]["message"]
    published = runtime.error_context.published
    assert len(published) == 2 and published[0] is published[1]
    assert len(published[-1]) == 1
    assert published[-1][0] is data[1]
    assert runtime.effect_runs == [("one", "one-ok"), ("three", "three-ok")]


def test_retry_rejection(run_virtual: Callable[..., Any]) -> None:
    """Spec 11.3.3 / R5.4: any branch retry signal fails the stage with exactly this message."""
    runtime = FakeRuntime()
    result = run_group(run_virtual, runtime, [returning("retrying", "retry"), returning("stable", "ok")])
    assert result == StageFailure("retry not supported in parallel stage")
    assert runtime.effect_runs == [("stable", "ok")]
    assert runtime.cache.writes == []
    assert len(runtime.error_context.published) == 1


def test_retry_rejection_waits_for_every_branch(
    run_virtual: Callable[..., Any], virtual_loop: asyncio.AbstractEventLoop
) -> None:
    """R5.4/R3.7: the rejection is decided only after the slowest branch finished."""
    runtime = FakeRuntime()
    result = run_group(run_virtual, runtime, [returning("retrying", "retry"), returning("late", "ok", after_ms=40)])
    assert result == StageFailure("retry not supported in parallel stage")
    assert round(virtual_loop.time() * 1000) == 40
    assert runtime.effect_runs == [("late", "ok")]


def test_descriptor_merge(run_virtual: Callable[..., Any], finalize_calls: FinalizeRecorder) -> None:
    """Spec 11.3.4 / R6.4: the aggregate is finalized with the merge of the branches' label descriptors."""
    runtime = FakeRuntime()
    result = run_group(
        run_virtual,
        runtime,
        [returning("left", "left-result", labels=("alpha",)), returning("right", "right-result", labels=("beta",))],
    )
    assert isinstance(result, StageSuccess)
    aggregate_calls = [hints for _, raw, hints in finalize_calls.calls if isinstance(raw, list)]
    assert len(aggregate_calls) == 1
    first_hint = aggregate_calls[0][0]
    assert first_hint is not None and {"alpha", "beta"} <= set(first_hint.labels)
    assert len(runtime.cache.writes) == 1
    assert runtime.cache.writes[0] == (0, result.output)
    assert result.output.descriptor.labels == ("alpha", "beta")


def test_the_aggregate_shape(run_virtual: Callable[..., Any]) -> None:
    """Section 6: ``array``, compact JSON text, metadata ``stages``, ``errors`` then ``security``."""
    runtime = FakeRuntime()
    result = run_group(run_virtual, runtime, [returning("a", {"k": 1.0}), returning("b", [1, "x"])], stage=3)
    assert isinstance(result, StageSuccess)
    aggregate = result.output
    assert (aggregate.type, aggregate.text, aggregate.data) == ("array", '[{"k":1},[1,"x"]]', [{"k": 1.0}, [1, "x"]])
    assert list(aggregate.metadata or {}) == ["stages", "errors", "security"]
    stages = (aggregate.metadata or {})["stages"]
    assert [stage.text for stage in stages] == ['{"k":1}', '[1,"x"]']
    assert (aggregate.metadata or {})["errors"] == []
    assert runtime.cache.reads == [2]
    assert runtime.cache.writes == [(3, aggregate)]


def test_each_branch_gets_its_own_copy_of_the_input(run_virtual: Callable[..., Any]) -> None:
    """R3.1/D5: every branch sees the same input text and data, each in its own value."""
    runtime = FakeRuntime()
    run_group(run_virtual, runtime, [returning("a", "1"), returning("b", "2"), returning("c", "3")])
    assert [value.text for value in runtime.inputs] == ["seed"] * 3
    assert len({id(value) for value in runtime.inputs}) == 3


def test_second_pass_collects_marker_shaped_outputs_when_nothing_raised(run_virtual: Callable[..., Any]) -> None:
    """R4.4: with no raise, an output with ``message`` and ``error`` is published as a marker too."""
    runtime = FakeRuntime()
    shaped = {"message": "bad", "error": "E1", "key": "a"}
    result = run_group(run_virtual, runtime, [returning("ok", "fine"), returning("shaped", shaped)])
    assert isinstance(result, StageSuccess)
    assert runtime.error_context.latest_errors == [{"index": 1, "key": "a", "message": "bad", "error": "E1"}]
    assert result.output.data[1] is shaped


def test_second_pass_is_skipped_when_a_branch_raised(run_virtual: Callable[..., Any]) -> None:
    """R4.4 (spec 12.9): once one branch raised, marker-shaped outputs are not collected."""
    runtime = FakeRuntime()
    shaped = {"message": "bad", "error": "E1"}
    run_group(run_virtual, runtime, [returning("shaped", shaped), raising("fail", "boom")])
    assert [marker["message"] for marker in runtime.error_context.latest_errors] == ["boom"]


def test_a_setup_failure_fails_the_stage_after_cancelling_the_others(
    run_virtual: Callable[..., Any], now_ms: Callable[[], int]
) -> None:
    """R3.8: a failure outside a branch's guarded block fails the whole stage; siblings are cancelled."""
    observed: list[str] = []

    async def patient(value: StructuredValue) -> str:
        try:
            await asyncio.sleep(0.05)
        except asyncio.CancelledError:
            observed.append(f"cancelled at {now_ms()}")
            raise
        return "never"

    runtime = BrokenContextRuntime(broken_index=1)
    result = run_group(run_virtual, runtime, [Command("patient", patient), returning("b", "b")])
    assert result == StageFailure("no context for branch 1")
    assert observed == ["cancelled at 0"]
    assert runtime.cache.writes == []
    assert len(runtime.error_context.published) == 1
