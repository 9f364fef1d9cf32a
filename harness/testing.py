"""Scenario tests in users' own suites: load a scenario, run it, assert two executors agree.

The pytest plugin hands a :class:`ScenarioHarness` to tests as the
``harness`` fixture, bound to the candidate chosen with ``--candidate``::

    def test_two_branches(harness):
        harness.assert_agree("scenarios/two-branches.toml")

A disagreement fails the test with the differences by path and both
timelines, the first divergence marked. Given an :class:`AgreementLog`
(the plugin's ``--harness-html FILE``), every comparison is also kept for
the HTML report.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, final

from harness.candidates import BUILTIN_IMPLEMENTATIONS, Implementation
from harness.check import ScenarioResult
from harness.compare import diff_observations, format_differences
from harness.observation import Observation, observe
from harness.scenario.loader import load_scenario
from harness.scenario.model import Scenario
from harness.report.junit import TimedResult
from harness.report.timeline import render_divergence

__all__ = ["AgreementLog", "DisagreementError", "ScenarioHarness", "describe_disagreement"]


class DisagreementError(AssertionError):
    """Two implementations observed differently on one scenario."""


def describe_disagreement(reference: Observation, candidate: Observation, *, limit: int = 20) -> str | None:
    """The report of how ``candidate`` differs from ``reference``, or ``None`` when they agree."""
    differences = diff_observations(reference, candidate)
    if not differences:
        return None
    names = (str(reference["implementation"]), str(candidate["implementation"]))
    return "\n".join([
        f"{names[1]} differs from {names[0]} on scenario {reference['scenario']!r}"
        f" (path: {names[0]} != {names[1]}):",
        format_differences(differences, limit=limit),
        render_divergence(
            reference["timeline"], candidate["timeline"], labels=names, events=(reference["events"], candidate["events"])
        ),
    ])


@final
class AgreementLog:
    """Every comparison ``assert_agree`` made in a test session, as results of a check for the HTML report.

    Entries travel as JSON text (:meth:`dumps`, :meth:`extend_from`), so that
    each pytest-xdist worker can hand its own to the controller.
    """

    __slots__ = ("_entries",)

    def __init__(self) -> None:
        self._entries: list[dict[str, Any]] = []

    def __repr__(self) -> str:
        return f"AgreementLog({len(self._entries)} comparisons)"

    def record(self, path: str, name: str, reference: Observation, candidate: Observation, seconds: float) -> None:
        self._entries.append(
            {"path": path, "name": name, "reference": reference, "candidate": candidate, "seconds": seconds}
        )

    def dumps(self) -> str:
        return json.dumps(self._entries)

    def extend_from(self, text: str) -> None:
        self._entries.extend(json.loads(text))

    def results(self) -> list[TimedResult]:
        """One result per comparison, ``mismatch`` with its differences or ``match``."""
        timed: list[TimedResult] = []
        for entry in self._entries:
            differences = tuple(diff_observations(entry["reference"], entry["candidate"]))
            status = "mismatch" if differences else "match"
            result = ScenarioResult(
                entry["path"], entry["name"], status, None, differences, (), entry["reference"], entry["candidate"]
            )
            timed.append(TimedResult(result, entry["seconds"]))
        return timed


@final
class ScenarioHarness:
    """Loads scenarios relative to ``root`` and runs them on ``candidate`` and the reference."""

    __slots__ = ("candidate", "log", "reference", "root")

    def __init__(
        self,
        *,
        candidate: Implementation,
        reference: Implementation | None = None,
        root: Path | None = None,
        log: AgreementLog | None = None,
    ) -> None:
        self.candidate = candidate
        self.reference = reference if reference is not None else BUILTIN_IMPLEMENTATIONS["reference"]
        self.root = root
        self.log = log

    def __repr__(self) -> str:
        return f"ScenarioHarness(candidate={self.candidate.name!r}, root={str(self.root) if self.root else None!r})"

    def load(self, path: Path | str) -> Scenario:
        """Read a scenario file; a relative path is taken from ``root``."""
        return load_scenario(self._resolve(path))

    def _resolve(self, path: Path | str) -> Path:
        resolved = Path(path)
        return self.root / resolved if self.root is not None and not resolved.is_absolute() else resolved

    def observe(self, scenario: Scenario | Path | str, implementation: Implementation | None = None) -> Observation:
        """Run a scenario (or the file it is in) on ``implementation``, the candidate by default."""
        loaded = scenario if isinstance(scenario, Scenario) else self.load(scenario)
        return observe(loaded, implementation or self.candidate)

    def assert_agree(self, scenario: Scenario | Path | str) -> Observation:
        """Assert the candidate observes exactly what the reference does; return the candidate's observation."""
        loaded = scenario if isinstance(scenario, Scenario) else self.load(scenario)
        started = time.perf_counter()
        reference = observe(loaded, self.reference)
        candidate = observe(loaded, self.candidate)
        if self.log is not None:
            where = loaded.name if isinstance(scenario, Scenario) else str(self._resolve(scenario))
            self.log.record(where, loaded.name, reference, candidate, time.perf_counter() - started)
        report = describe_disagreement(reference, candidate)
        if report is not None:
            raise DisagreementError(report)
        return candidate
