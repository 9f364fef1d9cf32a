"""How many examples each property ran, written by every pytest process for the fuzz engine and the nightly summary.

With ``HARNESS_FUZZ_STATS=DIR`` set, the harness plugin registers an
:class:`ExampleCounter`: it wraps each property's ``hypothesis.inner_test``
(the hook hypothesis documents for wrapping the function it calls once per
example) to count calls and failed calls, and writes the counts as
``DIR/<host>-<pid>.json`` at most once a second and at the end of the
session, atomically, so that a reader polling the folder never sees half a
file. Every process writes its own file (xdist workers, fuzz workers, shards);
:func:`read_counts` adds them up. The count includes the examples hypothesis
runs while shrinking: they are examples run all the same.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, final

import pytest

__all__ = ["STATS_ENV", "ExampleCounter", "ExampleCounts", "read_counts"]

STATS_ENV: Final = "HARNESS_FUZZ_STATS"
FLUSH_INTERVAL_S: Final = 1.0


@final
@dataclass(frozen=True, slots=True)
class ExampleCounts:
    """Examples run and examples that raised, by test node id."""

    examples: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.examples.values())


@final
class ExampleCounter:
    """A pytest plugin object counting each property's examples into ``folder``."""

    def __init__(self, folder: Path, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._path = Path(folder) / f"{socket.gethostname()}-{os.getpid()}.json"
        self._examples: Counter[str] = Counter()
        self._failed: Counter[str] = Counter()
        self._clock = clock
        self._flushed = clock()

    def __repr__(self) -> str:
        return f"ExampleCounter(path={str(self._path)!r}, examples={sum(self._examples.values())})"

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            handle = getattr(getattr(item, "obj", None), "hypothesis", None)
            if handle is not None and hasattr(handle, "inner_test"):
                handle.inner_test = self._counting(item.nodeid, handle.inner_test)

    def pytest_sessionfinish(self) -> None:
        self.flush()

    def _counting(self, nodeid: str, inner: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self._examples[nodeid] += 1
            try:
                return inner(*args, **kwargs)
            except BaseException:
                self._failed[nodeid] += 1
                raise
            finally:
                if self._clock() - self._flushed >= FLUSH_INTERVAL_S:
                    self.flush()

        return counted

    def flush(self) -> None:
        """Write the counts so far (atomically: a temporary file renamed over the last one)."""
        self._flushed = self._clock()
        self._path.parent.mkdir(parents=True, exist_ok=True)
        scratch = self._path.with_suffix(".tmp")
        scratch.write_text(json.dumps({"examples": self._examples, "failed": self._failed}), encoding="utf-8")
        os.replace(scratch, self._path)


def read_counts(folders: Iterable[Path]) -> ExampleCounts:
    """The sum of every count file under ``folders`` (recursively); an unreadable file counts nothing."""
    examples: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    for folder in folders:
        for path in sorted(Path(folder).rglob("*.json")):
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
                examples.update({str(k): int(v) for k, v in document["examples"].items()})
                failed.update({str(k): int(v) for k, v in document["failed"].items()})
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                continue
    return ExampleCounts(dict(sorted(examples.items())), dict(sorted(failed.items())))
