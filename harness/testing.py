"""Scenario tests in users' own suites: load a scenario, run it, assert two executors agree.

The pytest plugin hands a :class:`ScenarioHarness` to tests as the
``harness`` fixture, bound to the candidate chosen with ``--candidate``::

    def test_two_branches(harness):
        harness.assert_agree("scenarios/two-branches.toml")

A disagreement fails the test with the differences by path and both
timelines, the first divergence marked.
"""

from __future__ import annotations

from pathlib import Path
from typing import final

from harness.candidates import BUILTIN_IMPLEMENTATIONS, Implementation
from harness.compare import diff_observations, format_differences
from harness.observation import Observation, observe
from harness.scenario.loader import load_scenario
from harness.scenario.model import Scenario
from harness.report.timeline import render_divergence

__all__ = ["DisagreementError", "ScenarioHarness", "describe_disagreement"]


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
        render_divergence(reference["timeline"], candidate["timeline"], labels=names),
    ])


@final
class ScenarioHarness:
    """Loads scenarios relative to ``root`` and runs them on ``candidate`` and the reference."""

    __slots__ = ("candidate", "reference", "root")

    def __init__(
        self,
        *,
        candidate: Implementation,
        reference: Implementation | None = None,
        root: Path | None = None,
    ) -> None:
        self.candidate = candidate
        self.reference = reference if reference is not None else BUILTIN_IMPLEMENTATIONS["reference"]
        self.root = root

    def __repr__(self) -> str:
        return f"ScenarioHarness(candidate={self.candidate.name!r}, root={str(self.root) if self.root else None!r})"

    def load(self, path: Path | str) -> Scenario:
        """Read a scenario file; a relative path is taken from ``root``."""
        resolved = Path(path)
        if self.root is not None and not resolved.is_absolute():
            resolved = self.root / resolved
        return load_scenario(resolved)

    def observe(self, scenario: Scenario | Path | str, implementation: Implementation | None = None) -> Observation:
        """Run a scenario (or the file it is in) on ``implementation``, the candidate by default."""
        loaded = scenario if isinstance(scenario, Scenario) else self.load(scenario)
        return observe(loaded, implementation or self.candidate)

    def assert_agree(self, scenario: Scenario | Path | str) -> Observation:
        """Assert the candidate observes exactly what the reference does; return the candidate's observation."""
        loaded = scenario if isinstance(scenario, Scenario) else self.load(scenario)
        reference = observe(loaded, self.reference)
        candidate = observe(loaded, self.candidate)
        report = describe_disagreement(reference, candidate)
        if report is not None:
            raise DisagreementError(report)
        return candidate
