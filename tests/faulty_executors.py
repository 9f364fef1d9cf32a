"""Executors with one planted fault each, to show that the checks find them; and the catalogue of them.

Each is a small subclass of the extracted executor that changes one thing,
mostly what the runner sees through its ``ParallelRuntime``: realistic
mistakes a refactoring could make. Name one as a candidate with
``faulty_executors:NAME`` (the ``tests`` folder is on the import path).
:data:`FAULTS` lists them with the property that must find each; the suite
checks that it does, and ``benchmarks/bench_faults.py`` measures how fast.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, replace
from typing import Final

from harness.pipeline import PipelineExecutor, StructuredValue, compact_json, default_parallel_limit
from harness.pipeline.cache import StageOutputCache
from harness.pipeline.invocation import split_command_result
from harness.pipeline.markers import ErrorContext, Marker
from harness.pipeline.parallel_stage_runner import RETRY_IN_PARALLEL_STAGE
from harness.pipeline.state_machine import is_retry_signal
from harness.pipeline.types import Command, StageContext, StageFailure, StageResult, StageRetry


class _RewritingCache(StageOutputCache):
    """A cache that rewrites each parallel aggregate as it is stored (the runner stores nothing else)."""

    __slots__ = ("_owner",)

    def __init__(self, owner: StageOutputCache) -> None:
        super().__init__()
        self._owner = owner

    def get(self, index: int, fallback_text: str) -> StructuredValue:
        return self._owner.get(index, fallback_text)

    def set(self, index: int, value: StructuredValue) -> None:
        self.rewrite(value)
        self._owner.set(index, value)

    def rewrite(self, value: StructuredValue) -> None:
        raise NotImplementedError


class _ReversingCache(_RewritingCache):
    def rewrite(self, value: StructuredValue) -> None:
        value.data.reverse()
        value.text = compact_json(value.data)


class _LabelDroppingCache(_RewritingCache):
    def rewrite(self, value: StructuredValue) -> None:
        labels = value.descriptor.labels
        value.descriptor = replace(value.descriptor, labels=labels[:-1])


class _FirstBranchLabelsCache(_RewritingCache):
    def rewrite(self, value: StructuredValue) -> None:
        branches = (value.metadata or {}).get("stages") or []
        if len(branches) < 2:
            return
        kept = list(self._owner.get(-1, "").descriptor.labels) + list(branches[0].descriptor.labels)
        value.descriptor = replace(value.descriptor, labels=tuple(dict.fromkeys(kept)))


class ReversedOrderExecutor(PipelineExecutor):
    """Fault: parallel outputs in reverse declaration order."""

    @property
    def cache(self) -> StageOutputCache:
        return _ReversingCache(self._cache)


class IgnoresCapExecutor(PipelineExecutor):
    """Fault: every branch of a group runs at once, whatever the cap."""

    @property
    def parallel_cap(self) -> int | None:
        return 1_000_000


class DropsLabelExecutor(PipelineExecutor):
    """Fault: a parallel stage's output loses its last label."""

    @property
    def cache(self) -> StageOutputCache:
        return _LabelDroppingCache(self._cache)


class UnpacedExecutor(PipelineExecutor):
    """Fault: branches start without pacing."""

    @property
    def delay_ms(self) -> int | None:
        return None


class CapPlusOneExecutor(PipelineExecutor):
    """Fault: one branch more than the cap runs at once."""

    @property
    def parallel_cap(self) -> int | None:
        cap = self._parallel_cap if self._parallel_cap is not None else default_parallel_limit()
        return max(cap, 1) + 1


class _SortingErrorContext(ErrorContext):
    __slots__ = ()

    def publish(self, errors: list[Marker]) -> None:
        errors.sort(key=lambda marker: marker["index"])
        super().publish(errors)


class SortedMarkersExecutor(PipelineExecutor):
    """Fault: error markers sorted by branch index instead of kept in completion order."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._errors = _SortingErrorContext()


class FirstBranchLabelsExecutor(PipelineExecutor):
    """Fault: a parallel stage keeps only the first branch's labels (and the input's)."""

    @property
    def cache(self) -> StageOutputCache:
        return _FirstBranchLabelsCache(self._cache)


class _CompletionOrderCache(_RewritingCache):
    """Puts the aggregate's data in the order its branches finished (the owner records it)."""

    __slots__ = ("_finished",)

    def __init__(self, owner: StageOutputCache, finished: list[int]) -> None:
        super().__init__(owner)
        self._finished = finished

    def get(self, index: int, fallback_text: str) -> StructuredValue:
        self._finished.clear()  # the runner reads its shared input once, before any branch starts
        return super().get(index, fallback_text)

    def rewrite(self, value: StructuredValue) -> None:
        order = [index for index in self._finished if index < len(value.data)]
        if sorted(order) == list(range(len(value.data))):
            value.data[:] = [value.data[index] for index in order]
            value.text = compact_json(value.data)


class CompletionOrderExecutor(PipelineExecutor):
    """Fault: parallel outputs in the order the branches finished, not in declaration order."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._finished: list[int] = []

    @property
    def cache(self) -> StageOutputCache:
        return _CompletionOrderCache(self._cache, self._finished)

    async def execute_command(self, command: Command, value: StructuredValue, context: StageContext) -> object:
        try:
            return await super().execute_command(command, value, context)
        finally:
            if context.parallel_index is not None:
                self._finished.append(context.parallel_index)


def _explicit_or_environment_cap(executor: PipelineExecutor) -> int:
    cap = executor._parallel_cap
    return cap if cap is not None else default_parallel_limit()


class UnpacedAtCapOneExecutor(PipelineExecutor):
    """Fault: no pacing when the cap is 1 ("one at a time needs no pacing")."""

    @property
    def delay_ms(self) -> int | None:
        return None if _explicit_or_environment_cap(self) == 1 else self._delay_ms


class PacedFromCompletionExecutor(PipelineExecutor):
    """Fault: a branch also waits the pacing delay after the previous branch finished."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._last_end: float | None = None

    async def execute_command(self, command: Command, value: StructuredValue, context: StageContext) -> object:
        loop = asyncio.get_running_loop()
        if self._delay_ms and self._last_end is not None:
            wait = self._last_end + self._delay_ms / 1000 - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
        try:
            return await super().execute_command(command, value, context)
        finally:
            self._last_end = loop.time()


class CapZeroFromEnvironmentExecutor(PipelineExecutor):
    """Fault: a cap of 0 reads as "no cap" and falls back to the environment's limit (``if not cap``)."""

    @property
    def parallel_cap(self) -> int | None:
        return self._parallel_cap or None


class _TextValueErrorContext(ErrorContext):
    __slots__ = ()

    def publish(self, errors: list[Marker]) -> None:
        for marker in errors:
            if "value" in marker and not isinstance(marker["value"], str):
                marker["value"] = compact_json(marker["value"])
        super().publish(errors)


class MarkerValueFromTextExecutor(PipelineExecutor):
    """Fault: an error marker's value is the branch input's text rather than its data."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._errors = _TextValueErrorContext()


class _FailedLabelsCache(_RewritingCache):
    """Adds the labels of the commands whose branches failed to the aggregate's labels and taint."""

    __slots__ = ("_entries",)

    def __init__(self, owner: StageOutputCache, entries: tuple[object, ...]) -> None:
        super().__init__(owner)
        self._entries = entries

    def set(self, index: int, value: StructuredValue) -> None:
        group = self._entries[index - 1]
        errors = (value.metadata or {}).get("errors") or []
        if isinstance(group, tuple):
            failed = [marker["index"] for marker in errors if marker["index"] in range(len(group))]
            kept = [label for index in failed for label in group[index].labels]
            descriptor = value.descriptor
            value.descriptor = replace(
                descriptor,
                labels=tuple(dict.fromkeys((*descriptor.labels, *kept))),
                taint=tuple(dict.fromkeys((*descriptor.taint, *kept))),
            )
        self._owner.set(index, value)


class FailedBranchKeepsLabelsExecutor(PipelineExecutor):
    """Fault: a branch that failed still contributes its command's labels to the aggregate."""

    @property
    def cache(self) -> StageOutputCache:
        return _FailedLabelsCache(self._cache, self._entries)


class _DefaultJsonCache(_RewritingCache):
    def rewrite(self, value: StructuredValue) -> None:
        value.text = json.dumps(value.data)


class DefaultJsonWriterExecutor(PipelineExecutor):
    """Fault: the aggregate's text written by ``json.dumps`` defaults (spaced separators, ASCII escapes, 1e-07)."""

    @property
    def cache(self) -> StageOutputCache:
        return _DefaultJsonCache(self._cache)


class RetryDecidedEarlyExecutor(PipelineExecutor):
    """Fault: once a branch asks for a retry, branches not yet started are skipped instead of run."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._retrying: set[int | None] = set()

    async def execute_command(self, command: Command, value: StructuredValue, context: StageContext) -> object:
        if context.stage in self._retrying:
            return {"value": "retry"}
        raw = await super().execute_command(command, value, context)
        if is_retry_signal(split_command_result(raw)[0]):
            self._retrying.add(context.stage)
        return raw


class GroupRetryAcceptedExecutor(PipelineExecutor):
    """Fault: a retry asked inside a parallel group is accepted and re-runs the stage before it."""

    async def run_stage(self, stage: int, input_text: str, context: StageContext) -> StageResult:
        result = await super().run_stage(stage, input_text, context)
        if isinstance(result, StageFailure) and result.message == RETRY_IN_PARALLEL_STAGE:
            return StageRetry(reason=RETRY_IN_PARALLEL_STAGE)
        return result


class RetryRequestAfterStartExecutor(PipelineExecutor):
    """Fault: ``STAGE_RETRY_REQUEST`` is recorded after the ``STAGE_START`` of the stage it re-runs."""

    async def execute(self, value: object) -> StructuredValue:
        try:
            return await super().execute(value)
        finally:
            events = self._events
            for position in range(len(events) - 1):
                if events[position].type == "STAGE_RETRY_REQUEST" and events[position + 1].type == "STAGE_START":
                    events[position], events[position + 1] = events[position + 1], events[position]


@dataclass(frozen=True, slots=True)
class PlantedFault:
    """One catalogue entry: a faulty executor, the area it breaks, the property that must find it."""

    name: str
    area: str
    executor: str
    found_by: str
    description: str

    @property
    def candidate(self) -> str:
        """The ``--candidate`` spelling of the faulty executor."""
        return f"faulty_executors:{self.executor}"


FAULTS: Final = (
    PlantedFault("outputs-reversed", "order", "ReversedOrderExecutor", "declaration-order",
                 "aggregate data in reverse declaration order"),
    PlantedFault("outputs-in-completion-order", "order", "CompletionOrderExecutor", "declaration-order",
                 "aggregate data in the order the branches finished"),
    PlantedFault("unpaced", "pacing", "UnpacedExecutor", "schedule", "branches start without pacing"),
    PlantedFault("unpaced-at-cap-1", "pacing", "UnpacedAtCapOneExecutor", "schedule",
                 "no pacing when the cap is 1"),
    PlantedFault("paced-from-completion", "pacing", "PacedFromCompletionExecutor", "schedule",
                 "a branch also waits the delay after the previous branch finished"),
    PlantedFault("cap-ignored", "caps", "IgnoresCapExecutor", "cap", "every branch of a group runs at once"),
    PlantedFault("cap-plus-one", "caps", "CapPlusOneExecutor", "cap", "one branch more than the cap runs at once"),
    PlantedFault("cap-0-from-environment", "caps", "CapZeroFromEnvironmentExecutor", "cap",
                 "a cap of 0 falls back to the environment's limit instead of one worker"),
    PlantedFault("markers-sorted-by-index", "markers", "SortedMarkersExecutor", "markers",
                 "error markers sorted by branch index, not in completion order"),
    PlantedFault("marker-value-from-text", "markers", "MarkerValueFromTextExecutor", "markers",
                 "a marker's value is the input's text, not its data"),
    PlantedFault("last-label-dropped", "labels", "DropsLabelExecutor", "labels",
                 "a parallel stage's output loses its last label"),
    PlantedFault("first-branch-labels-only", "labels", "FirstBranchLabelsExecutor", "labels",
                 "the aggregate keeps only the first branch's labels and the input's"),
    PlantedFault("failed-branch-keeps-labels", "labels", "FailedBranchKeepsLabelsExecutor", "labels",
                 "a branch that failed still contributes its command's labels"),
    PlantedFault("aggregate-text-by-json-dumps", "aggregate text", "DefaultJsonWriterExecutor", "side-by-side",
                 "the aggregate's text written by json.dumps defaults instead of the compact JavaScript form"),
    PlantedFault("retry-decided-early", "retries", "RetryDecidedEarlyExecutor", "schedule",
                 "branches not started when a sibling asks for a retry are skipped"),
    PlantedFault("retry-in-group-accepted", "retries", "GroupRetryAcceptedExecutor", "retry-rejection",
                 "a retry asked inside a group re-runs the stage before it instead of failing"),
    PlantedFault("retry-request-after-start", "events", "RetryRequestAfterStartExecutor", "events",
                 "STAGE_RETRY_REQUEST recorded after the STAGE_START it causes"),
)
"""Every planted fault; ``found_by`` names a property of ``parallel_properties.PROPERTIES``."""
