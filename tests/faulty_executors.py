"""Executors with one planted fault each, to show that the checks find them.

Each is a small subclass of the extracted executor that changes one thing the
runner sees through its ``ParallelRuntime``. Name one as a candidate with
``faulty_executors:NAME`` (the ``tests`` folder is on the import path).
"""

from __future__ import annotations

from dataclasses import replace

from harness.pipeline import PipelineExecutor, StructuredValue, compact_json, default_parallel_limit
from harness.pipeline.cache import StageOutputCache
from harness.pipeline.markers import ErrorContext, Marker


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
