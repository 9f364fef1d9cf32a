"""``harness fuzz``: the property tests on fresh seeds until a time budget is spent, by workers sharing one database.

Each worker is a loop of pytest processes (rounds) under the ``fuzz``
profile, each drawing from fresh random seeds (never ``--hypothesis-seed``:
hypothesis leaves the example database alone under a forced seed), its counts written through
``HARNESS_FUZZ_STATS`` (:mod:`harness.fuzz.counting`) and its failures as
JUnit XML. Every worker reads and writes the same example database
(``HARNESS_EXAMPLE_DB``: a directory, or a Redis that workers on other
machines share), so a failure one worker found and shrank is replayed first
by every later round, and its shrunk scenario is written as a repro file by
the property itself (:func:`harness.repro.recording_failures`). Once the
budget is spent no round starts; a round still running gets a grace period to
finish its shrinking, then is stopped. A failure is distinct by its test and
where its exceptions were raised (the ``path:line: Type`` line pytest ends
each traceback with), which is how hypothesis tells one bug from another: two
workers that shrink one bug to different examples report it once, by the
report that has a repro file and the shortest first line.

Rounds, not one endless pytest session: hypothesis counts examples, not time,
and a session that ends writes its JUnit report and repro files; a round is
short (the profile's 500 examples a property, seconds to a minute), so the budget is overrun by at
most one grace period.

A ``SIGTERM`` to the command (a cancelled CI job, a ``kill``) is turned into
an exit through the same ``finally`` that stops the workers at the end of the
budget, so no pytest round outlives the command that started it; a signal
that arrives while a round is being started waits until the worker holds it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import sys
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TextIO, final

from harness.fuzz.counting import STATS_ENV, ExampleCounts, read_counts
from harness.fuzz.database import EXAMPLE_DB_ENV

__all__ = ["Failure", "FuzzPlan", "FuzzReport", "distinct_failures", "failures_in_junit", "run_fuzz"]

PROFILE: Final = "fuzz"
POLL_S: Final = 0.5
# The traceback in the report also shows the source line that formats this
# text (``repro file: {path}``), so a path never starts with a brace.
_REPRO = re.compile(r"repro file: ([^\s{]\S*)")
# pytest ends each traceback section of a report with where it was raised: "path:line: Type".
_RAISED_AT = re.compile(r"^\S+:\d+: [A-Za-z_][\w.]*$", re.MULTILINE)


@final
@dataclass(frozen=True, slots=True)
class FuzzPlan:
    """What to fuzz, for how long, with how many workers, and where the results go."""

    minutes: float
    workers: int
    paths: tuple[str, ...]
    out: Path
    database: str | None = None
    pytest_args: tuple[str, ...] = ()
    grace_s: float = 30.0
    max_rounds: int | None = None
    """Each worker stops after this many rounds even within the budget (a benchmark's fixed amount of work)."""

    def __post_init__(self) -> None:
        if self.minutes <= 0:
            raise ValueError(f"--minutes: expected a positive number, got {self.minutes}")
        if self.workers < 1:
            raise ValueError(f"--workers: expected at least 1, got {self.workers}")


@final
@dataclass(frozen=True, slots=True)
class Failure:
    """One failure: the test, the first line of its message, its repro file if the property wrote one.

    ``origin`` is where each exception of the failure was raised, innermost
    cause first, as ``path:line: Type``; empty where the report shows none.
    """

    test: str
    message: str
    repro: str | None
    origin: tuple[str, ...] = ()


@final
@dataclass(frozen=True, slots=True)
class FuzzReport:
    """The outcome: counts by property, distinct failures, wall time and the rounds run."""

    counts: ExampleCounts
    failures: tuple[Failure, ...]
    seconds: float
    rounds: int

    @property
    def rate(self) -> float:
        return self.counts.total / self.seconds if self.seconds > 0 else 0.0

    def render(self) -> str:
        lines = [f"{self.counts.total} examples in {self.seconds:.1f} s ({self.rate:.1f}/s), "
                 f"{self.rounds} rounds, {len(self.failures)} distinct failures"]  # fmt: skip
        lines += [f"  {count:>8}  {test}" for test, count in self.counts.examples.items()]
        for failure in self.failures:
            replay = f"harness repro {failure.repro}" if failure.repro else "no repro file (the property writes none)"
            lines.append(f"FAILED {failure.test}: {failure.message}\n  {replay}")
        return "\n".join(lines)


def failures_in_junit(path: Path) -> list[Failure]:
    """The failed and errored test cases of a JUnit XML report (none for a missing or unreadable file)."""
    try:
        tree = ElementTree.parse(path)
    except (OSError, ElementTree.ParseError):
        return []
    found: list[Failure] = []
    for case in tree.iter("testcase"):
        for problem in [*case.findall("failure"), *case.findall("error")]:
            text = problem.get("message") or problem.text or ""
            first = next((line.strip() for line in text.splitlines() if line.strip()), "")
            paths = _REPRO.findall(text) or _REPRO.findall(problem.text or "")
            # pytest's classname is the module's dotted path (tests.properties.test_x): back to a node id.
            module = case.get("classname", "").replace(".", "/")
            test = f"{module}.py::{case.get('name')}" if module else str(case.get("name"))
            origin = tuple(match.group(0) for match in _RAISED_AT.finditer(problem.text or ""))
            found.append(Failure(test, first, paths[-1] if paths else None, origin))
    return found


def distinct_failures(failures: Iterable[Failure]) -> tuple[Failure, ...]:
    """One failure per test and origin, in the order first seen: the one with a repro file and the shortest message.

    A failure without an origin is told apart by its message instead.
    """
    kept: dict[tuple[str, tuple[str, ...] | str], Failure] = {}
    for failure in failures:
        key = (failure.test, failure.origin or failure.message)
        if key not in kept or _rank(failure) < _rank(kept[key]):
            kept[key] = failure
    return tuple(kept.values())


def _rank(failure: Failure) -> tuple[bool, int]:
    # A shorter first line means a smaller example: the first difference of a shrunk scenario.
    return failure.repro is None, len(failure.message)


@final
class _Worker:
    """One worker: at most one running round, its seeds, its folder."""

    def __init__(self, number: int, plan: FuzzPlan, environ: dict[str, str]) -> None:
        self.number = number
        self._plan = plan
        self._environ = environ
        self.process: subprocess.Popen[bytes] | None = None
        self.rounds = 0

    def __repr__(self) -> str:
        return f"_Worker(number={self.number}, rounds={self.rounds})"

    def start_round(self) -> None:
        self.rounds += 1
        junit = self._plan.out / "junit" / f"worker{self.number}-round{self.rounds}.xml"
        command = [sys.executable, "-m", "pytest", *self._plan.paths, "-q", "-p", "no:cacheprovider",
                   "--harness-profile", PROFILE, f"--junitxml={junit}",
                   *self._plan.pytest_args]  # fmt: skip
        log = open(self._plan.out / "logs" / f"worker{self.number}.log", "ab")  # noqa: SIM115 (closed with the round)
        self.process = subprocess.Popen(command, env=self._environ, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def done(self, max_rounds: int | None) -> bool:
        """Whether the worker has run all the rounds it may (never, without a limit)."""
        return max_rounds is not None and self.rounds >= max_rounds

    def finished(self) -> bool:
        return self.process is None or self.process.poll() is not None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def run_fuzz(
    plan: FuzzPlan,
    *,
    progress: TextIO | None = None,
    clock: Callable[[], float] = time.monotonic,
    environ: dict[str, str] | None = None,
) -> FuzzReport:
    """Run ``plan`` to the end of its budget and report; ``progress`` gets one line per update."""
    for folder in ("stats", "junit", "logs", "repro"):
        (plan.out / folder).mkdir(parents=True, exist_ok=True)
    child_environ = dict(os.environ if environ is None else environ)
    child_environ.update({STATS_ENV: str(plan.out / "stats"), "HARNESS_REPRO_DIR": str(plan.out / "repro")})
    child_environ.pop("HARNESS_PROFILE", None)
    if plan.database is not None:
        child_environ[EXAMPLE_DB_ENV] = plan.database
    workers = [_Worker(number, plan, child_environ) for number in range(1, plan.workers + 1)]
    gate = _ExitGate()
    with gate.installed():
        return _run_workers(plan, workers, progress, clock, gate)


@final
class _ExitGate:
    """``SIGTERM`` as ``SystemExit(143)`` (the shell's code for it) and ``SIGINT`` as ``KeyboardInterrupt``, held while a round starts.

    Raised inside ``subprocess.Popen`` after its fork, either would leave a
    started round that no worker holds, which the ``finally`` that stops the
    workers could not reach; a signal that arrives while :meth:`holding` is
    raised once the round is held.
    """

    def __init__(self) -> None:
        self._holding = False
        self._pending: int | None = None

    @contextmanager
    def installed(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # signal handlers can only be set from the main thread
            return
        previous = {number: signal.signal(number, self._handle) for number in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)

    @contextmanager
    def holding(self) -> Iterator[None]:
        self._holding = True
        try:
            yield
        finally:
            self._holding = False
            if self._pending is not None:
                self._raise(self._pending)

    def _handle(self, signum: int, frame: object) -> None:
        if self._holding:
            self._pending = signum
        else:
            self._raise(signum)

    @staticmethod
    def _raise(signum: int) -> None:
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + signum)


def _run_workers(
    plan: FuzzPlan, workers: Sequence[_Worker], progress: TextIO | None, clock: Callable[[], float], gate: _ExitGate
) -> FuzzReport:
    started = clock()
    budget_end, hard_end = started + plan.minutes * 60, started + plan.minutes * 60 + plan.grace_s
    last_line = 0.0
    try:
        while True:
            now = clock()
            for worker in workers:
                if worker.finished() and now < budget_end and not worker.done(plan.max_rounds):
                    with gate.holding():
                        worker.start_round()
            if all(worker.finished() for worker in workers) and (
                now >= budget_end or all(worker.done(plan.max_rounds) for worker in workers)
            ):
                break
            if now >= hard_end:
                break
            if progress is not None and now - last_line >= 5.0:
                last_line = now
                progress.write(_progress_line(plan, now - started, workers) + "\n")
                progress.flush()
            time.sleep(POLL_S)
    finally:
        for worker in workers:
            worker.stop()
    seconds = clock() - started
    return FuzzReport(read_counts([plan.out / "stats"]), _distinct_failures(plan.out / "junit"), seconds,
                      sum(worker.rounds for worker in workers))  # fmt: skip


def _progress_line(plan: FuzzPlan, elapsed: float, workers: Sequence[_Worker]) -> str:
    counts = read_counts([plan.out / "stats"])
    failures = _distinct_failures(plan.out / "junit")
    rate = counts.total / elapsed if elapsed > 0 else 0.0
    budget = plan.minutes * 60
    return (f"fuzz {_clock_text(elapsed)}/{_clock_text(budget)}  workers {len(workers)}  "
            f"{counts.total} examples  {rate:.1f}/s  failures {len(failures)}")  # fmt: skip


def _distinct_failures(folder: Path) -> tuple[Failure, ...]:
    reports = sorted(folder.glob("*.xml"))
    return distinct_failures(failure for report in reports for failure in failures_in_junit(report))


def _clock_text(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"
