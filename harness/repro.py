"""Repro files: a failing scenario, written with what produced it, so that one command replays it.

When a property fails, :func:`recording_failures` writes the failing scenario
as ``artifacts/repro/LABEL.toml`` (the folder can be moved with
``HARNESS_REPRO_DIR``) and adds its path and the replay command to the
failure message. Hypothesis replays the shrunk example last, so the file
left behind is the minimal one; ``harness check --explore`` writes one the
same way. A file with a ``schedule`` replays the candidate under exactly
that order of same-instant ties and compares its schedule-independent
observation with the reference's under FIFO.

Every file opens with comment lines (the scenario loader skips them, so the
file stays a scenario that can be copied into ``baselines/``) recording its
:class:`Provenance`::

    # repro file: replay with `harness repro artifacts/repro/schedule-candidate.toml`
    # origin: property tests/properties/test_schedule_properties.py::test_tie_order...[candidate]
    # candidate: tests.race_faults:CompletionOrderExecutor
    # reference: reference
    # profile: harness-dev
    # seed: derandomized

``harness repro FILE`` replays on the recorded candidate and reference (the
schedule is the scenario's own key), so the printed hint needs no flag; a
recorded candidate that cannot be imported is an error, never a replay on
another executor. The candidate is recorded by the name that imports it from
a shell in the current folder (:func:`~harness.candidates.portable_spec`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Final, final

from hypothesis import core as hypothesis_core
from hypothesis import settings

from harness.baselines import write_atomic
from harness.candidates import BUILTIN_IMPLEMENTATIONS, Implementation, portable_spec
from harness.compare import Difference, diff_observations
from harness.observation import Observation, observe
from harness.schedule_invariants import schedule_independent
from harness.scheduling import TieOrder
from harness.scenario.loader import load_scenario
from harness.scenario.model import Scenario
from harness.scenario.writer import scenario_text
from harness.snapshot.loading import REVISION_LABEL
from harness.testing import describe_disagreement
from harness.report.timeline import render_divergence

__all__ = [
    "REPRO_DIR_ENV",
    "Provenance",
    "ReproOutcome",
    "read_provenance",
    "recording_failures",
    "repro_dir",
    "replay",
    "replay_command",
    "write_repro",
]

REPRO_DIR_ENV: Final = "HARNESS_REPRO_DIR"
DEFAULT_REPRO_DIR: Final = Path("artifacts") / "repro"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_HEADER_LINE = re.compile(r"# (?P<key>[a-z ]+): (?P<value>.+)")


def repro_dir() -> Path:
    """Where repro files go: ``HARNESS_REPRO_DIR``, else ``artifacts/repro`` under the current folder."""
    return Path(os.environ.get(REPRO_DIR_ENV) or DEFAULT_REPRO_DIR)


@final
@dataclass(frozen=True, slots=True)
class Provenance:
    """What produced a repro file: where it failed, on which candidate against which reference.

    ``candidate`` and ``reference`` are what ``--candidate`` and
    ``--reference`` accept (``reference`` is the frozen snapshot); ``profile``
    and ``seed`` say how hypothesis drew it, when it did.
    """

    origin: str
    candidate: str
    reference: str = "reference"
    profile: str | None = None
    seed: str | None = None

    @classmethod
    def of(
        cls,
        origin: str,
        candidate: Implementation,
        reference: Implementation | None = None,
        *,
        profile: str | None = None,
        seed: str | None = None,
    ) -> Provenance:
        """The provenance of a failure of ``candidate``, each implementation by the name that imports it."""
        oracle = "reference" if reference is None else reference.name.removeprefix(REVISION_LABEL)
        return cls(origin, portable_spec(candidate), oracle, profile, seed)

    def header(self, path: Path) -> str:
        """The comment lines a repro file at ``path`` opens with."""
        lines = [f"# repro file: replay with `{replay_command(path)}`"]
        for field in fields(self):
            value = getattr(self, field.name)
            if value is not None:
                lines.append(f"# {field.name}: {' '.join(str(value).split())}")
        return "\n".join(lines) + "\n"


def read_provenance(path: Path | str) -> Provenance | None:
    """The provenance a repro file records, or ``None`` for a file without one (or unreadable)."""
    recorded: dict[str, str] = {}
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                match = _HEADER_LINE.fullmatch(line.strip())
                if match is None:
                    break
                recorded[match["key"]] = match["value"]
    except (OSError, UnicodeDecodeError):
        return None
    if "candidate" not in recorded:
        return None
    # Files of earlier versions carry the candidate line alone.
    recorded.setdefault("origin", "an earlier harness (only the candidate recorded)")
    known = {field.name for field in fields(Provenance)}
    return Provenance(**{key: value for key, value in recorded.items() if key in known})


def write_repro(scenario: Scenario, label: str, *, provenance: Provenance) -> Path:
    """Write ``scenario`` as ``<repro dir>/<label>.toml`` (atomically), opening with ``provenance``; return the path."""
    stem = _UNSAFE.sub("-", label).strip("-") or "scenario"
    path = repro_dir() / f"{stem}.toml"
    named = replace(scenario, name=stem, description=f"repro of {label}")
    write_atomic(path, provenance.header(path) + scenario_text(named, ".toml"))
    return path


def replay_command(path: Path) -> str:
    """The command line that replays ``path`` as it was recorded: the file names everything else."""
    return f"harness repro {path}"


@contextmanager
def recording_failures(
    scenario: Scenario,
    label: str,
    *,
    candidate: Implementation,
    reference: Implementation | None = None,
) -> Iterator[None]:
    """On an ``AssertionError`` in the block, write the scenario as a repro file and name it in the message.

    ``candidate`` is the implementation under test (the reference itself when
    a property checks the reference) and ``reference`` the oracle (default:
    the frozen snapshot); both are recorded, with the test and hypothesis's
    profile, so that the replay command printed needs no flag.
    """
    __tracebackhide__ = True
    try:
        yield
    except AssertionError as failure:
        provenance = Provenance.of(
            _running_test(label), candidate, reference, profile=_profile(), seed=_seed()
        )
        path = write_repro(scenario, label, provenance=provenance)
        raise AssertionError(f"{failure}\nrepro file: {path}  (replay: {replay_command(path)})") from failure


def _running_test(label: str) -> str:
    # pytest names the running test in this variable ("FILE::TEST (call)").
    current = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]
    return f"property {current or label}"


def _profile() -> str:
    return settings.get_current_profile_name()


def _seed() -> str:
    # ``--hypothesis-seed`` sets this; hypothesis offers no public way to read it back.
    forced = getattr(hypothesis_core, "global_force_seed", None)
    if forced is not None:
        return str(forced)
    return "derandomized" if settings.default.derandomize else "random (the file holds the shrunk example)"


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
