"""Repro files: a failing generated scenario, written where a maintainer can replay it.

When a property fails, :func:`recording_failures` writes the failing scenario
as ``artifacts/repro/TEST.toml`` (the folder can be moved with
``HARNESS_REPRO_DIR``) and adds its path to the failure message. Hypothesis
replays the shrunk example last, so the file left behind is the minimal one.
``harness repro FILE`` runs it on the reference and a candidate and shows
where they differ; copying the file into the baseline corpus pins the
regression for good. A file with a ``schedule`` (written by the schedule
property) replays the candidate under exactly that order of same-instant
ties and compares its schedule-independent observation with the reference's
under FIFO.

A property run under ``--candidate MODULE:ATTR`` records that candidate in
the file, as a first comment line (``# candidate: MODULE:ATTR``) that the
scenario loader ignores, and the hint it prints names it too, so the replay,
verbatim or with the file alone, runs the executor that failed.
:func:`recorded_candidate` reads it back.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final, final

from harness.baselines import write_atomic
from harness.candidates import BUILTIN_IMPLEMENTATIONS, Implementation
from harness.compare import Difference, diff_observations
from harness.observation import Observation, observe
from harness.schedule_invariants import schedule_independent
from harness.scheduling import TieOrder
from harness.scenario.loader import load_scenario
from harness.scenario.model import Scenario
from harness.scenario.writer import scenario_text
from harness.testing import describe_disagreement
from harness.report.timeline import render_divergence

__all__ = [
    "REPRO_DIR_ENV",
    "ReproOutcome",
    "recorded_candidate",
    "recording_failures",
    "repro_dir",
    "replay",
    "replay_command",
    "write_repro",
]

REPRO_DIR_ENV: Final = "HARNESS_REPRO_DIR"
DEFAULT_REPRO_DIR: Final = Path("artifacts") / "repro"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_CANDIDATE_LINE = re.compile(r"# candidate: (?P<spec>\S+)")


def repro_dir() -> Path:
    """Where repro files go: ``HARNESS_REPRO_DIR``, else ``artifacts/repro`` under the current folder."""
    return Path(os.environ.get(REPRO_DIR_ENV) or DEFAULT_REPRO_DIR)


def write_repro(scenario: Scenario, label: str, *, candidate: Implementation | None = None) -> Path:
    """Write ``scenario`` as ``<repro dir>/<label>.toml`` (atomically) and return the path.

    A ``candidate`` named ``MODULE:ATTR`` is recorded in the file's first line.
    """
    stem = _UNSAFE.sub("-", label).strip("-") or "scenario"
    path = repro_dir() / f"{stem}.toml"
    named = replace(scenario, name=stem, description=f"repro of {label}")
    spec = _recordable(candidate)
    header = f"# candidate: {spec}\n" if spec else ""
    write_atomic(path, header + scenario_text(named, ".toml"))
    return path


def _recordable(candidate: Implementation | None) -> str | None:
    # The built-in names need no recording: the default candidate is the
    # extracted executor, and the reference as a candidate replays nothing.
    if candidate is None or candidate.name in BUILTIN_IMPLEMENTATIONS:
        return None
    return candidate.name


def recorded_candidate(path: Path | str) -> str | None:
    """The ``MODULE:ATTR`` a repro file was written under, or ``None`` (also for an unreadable file)."""
    try:
        with open(path, encoding="utf-8") as handle:
            first = handle.readline()
    except (OSError, UnicodeDecodeError):
        return None
    match = _CANDIDATE_LINE.fullmatch(first.strip())
    return match["spec"] if match else None


def replay_command(path: Path, candidate: Implementation | None = None) -> str:
    """The command line that replays ``path`` on the same candidate."""
    spec = _recordable(candidate)
    return f"harness repro {path}" + (f" --candidate {spec}" if spec else "")


@contextmanager
def recording_failures(
    scenario: Scenario, label: str, *, candidate: Implementation | None = None
) -> Iterator[None]:
    """On an ``AssertionError`` in the block, write the scenario as a repro file and name it in the message.

    Pass the ``candidate`` under test so that the file and the replay hint name it.
    """
    try:
        yield
    except AssertionError as failure:
        path = write_repro(scenario, label, candidate=candidate)
        raise AssertionError(f"{failure}\nrepro file: {path}  (replay: {replay_command(path, candidate)})") from failure


@final
@dataclass(frozen=True, slots=True)
class ReproOutcome:
    """A replay: both observations and their differences."""

    reference: Observation
    candidate: Observation
    differences: tuple[Difference, ...]
    schedule: tuple[int, ...] = ()

    @property
    def agree(self) -> bool:
        return not self.differences

    def report(self) -> str:
        """What a maintainer reads: the verdict, the differences by path, both timelines."""
        disagreement = describe_disagreement(self.reference, self.candidate, limit=40)
        if disagreement is not None and self.schedule:
            schedule = ", ".join(map(str, self.schedule))
            return f"schedule [{schedule}] against the reference under FIFO, schedule-independent parts:\n{disagreement}"
        if disagreement is not None:
            return disagreement
        names = (self.reference["implementation"], self.candidate["implementation"])
        head = f"{names[1]} agrees with {names[0]} on {self.reference['scenario']}"
        return "\n".join([head, render_divergence(self.reference["timeline"], self.candidate["timeline"], labels=names)])


def replay(
    path: Path | str, candidate: Implementation, *, reference: Implementation | None = None
) -> ReproOutcome:
    """Run a repro file on ``reference`` (the frozen snapshot by default) and on ``candidate``."""
    if reference is None:
        reference = BUILTIN_IMPLEMENTATIONS["reference"]
    scenario = load_scenario(path)
    pinned = observe(scenario, reference)
    if not scenario.schedule:
        observed = observe(scenario, candidate)
        return ReproOutcome(pinned, observed, tuple(diff_observations(pinned, observed)))
    observed = observe(scenario, candidate, ties=TieOrder(scenario.schedule))
    expected, projected = schedule_independent(pinned), schedule_independent(observed)
    return ReproOutcome(expected, projected, tuple(diff_observations(expected, projected)), scenario.schedule)
