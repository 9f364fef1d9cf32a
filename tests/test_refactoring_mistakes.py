"""Five refactoring mistakes, each caught by ``harness check`` on a corpus scenario.

Each test plants one mistake a refactoring developer could make in a
temporary copy of the project (``harness/`` and ``baselines/`` copied to
``tmp_path``; the committed tree is never touched), runs ``python -m harness
check`` on that copy as a subprocess, with the copy first on ``PYTHONPATH``,
and asserts that the check fails (exit 1) naming the scenario that pins the
behaviour. The scenarios use the keys that made these behaviours reachable:
``mutates_input``, ``set_env``, ``runs``, ``interrupts`` and the failing
command's name in the observation.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from planting import copy_project, harness_in, plant



@dataclass(frozen=True, slots=True)
class Mistake:
    """One planted mistake: the file, the exact text replaced, and the scenario that must catch it."""

    file: str
    original: str
    planted: str
    scenario: str


MISTAKES = {
    "branches-share-one-input": Mistake(
        "harness/pipeline/parallel_stage_runner.py",
        "branch_input = clone_for_branch(shared_input)",
        "branch_input = shared_input",
        "mutates-input-branch-isolation",
    ),
    "env-limit-read-once-per-executor": Mistake(
        "harness/pipeline/executor.py",
        "        self._parallel_cap = parallel_cap\n",
        "        from harness.pipeline.concurrency import default_parallel_limit\n\n"
        "        self._parallel_cap = parallel_cap if parallel_cap is not None else default_parallel_limit()\n",
        "env-set-by-command-for-later-group",
    ),
    "published-errors-never-reset": Mistake(
        "harness/pipeline/executor.py",
        "        self._errors.reset()\n",
        "",
        "runs-two-published-errors-reset",
    ),
    "siblings-not-cancelled-on-base-exception": Mistake(
        "harness/pipeline/concurrency.py",
        "        for task in tasks:\n            task.cancel()\n",
        "",
        "interrupt-in-branch-cancels-siblings",
    ),
    "failure-under-the-wrong-command": Mistake(
        "harness/pipeline/execution_loop_runner.py",
        "command=runtime.failed_command_name(step.stage + shift)",
        "command=runtime.failed_command_name(step.stage)",
        "kind-literal-fail-message",
    ),
}


def project_copy(tmp_path: Path, scenarios: list[str]) -> Path:
    """A copy of ``harness/`` and of the named corpus scenarios with their baselines."""
    return copy_project(tmp_path / "project", scenarios)


def planted_copy(tmp_path: Path, mistake: Mistake) -> Path:
    """A project copy with ``mistake`` planted; fails if the code no longer holds the replaced text."""
    copy = project_copy(tmp_path, [mistake.scenario])
    plant(copy / mistake.file, mistake.original, mistake.planted)
    return copy


def run_check(copy: Path, scenarios: list[str]) -> subprocess.CompletedProcess[str]:
    """``python -m harness check`` on the copy's scenarios, importing the copy's code."""
    return harness_in(copy, "check", *(f"baselines/{scenario}.toml" for scenario in scenarios))


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_each_planted_mistake_fails_the_check_on_its_scenario(tmp_path: Path, name: str) -> None:
    """Issue 11: the planted mistake makes ``harness check`` exit 1 with the pinning scenario a mismatch."""
    mistake = MISTAKES[name]
    result = run_check(planted_copy(tmp_path, mistake), [mistake.scenario])
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"MISMATCH         {mistake.scenario}\n" in result.stdout
    assert "candidate extracted differs from the reference" in result.stdout or "reference differs from the pinned" in result.stdout
    assert "total: 0 passed, 1 failed" in result.stdout


def test_the_unplanted_copy_passes(tmp_path: Path) -> None:
    """The same copy without a mistake matches on every scenario the mistakes use, so the failures are theirs."""
    scenarios = sorted({mistake.scenario for mistake in MISTAKES.values()})
    result = run_check(project_copy(tmp_path, scenarios), scenarios)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"total: {len(scenarios)} passed, 0 failed" in result.stdout
