"""The side-by-side check sees a mistake in any module of the area, with no baseline at all.

Each test works in a temporary copy of the project (``harness/`` and a few
corpus scenarios, no ``*.baseline.json``), plants one realistic mistake in one
module of the copy's ``harness/pipeline``, and runs ``python -m harness check``
there as a subprocess with the copy first on ``PYTHONPATH``. The reference is
the copy's self-contained snapshot, which holds its own copy of every module,
so only the candidate carries the mistake and the check reports a MISMATCH.

Without the isolation the same mistakes are invisible: when the reference is
rebuilt from the mistaken area (``harness freeze --force`` in the copy, what a
reference importing the area's modules amounts to), both sides agree.
:func:`test_a_reference_built_from_the_area_is_blind_to_the_same_mistakes`
shows it, and ``HARNESS_TEST_WITHOUT_ISOLATION=1 python -m pytest
tests/test_reference_isolation.py`` makes every planted-mistake test below
run that way, so they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from planting import ROOT, copy_project, harness_in, plant

WITHOUT_ISOLATION = os.environ.get("HARNESS_TEST_WITHOUT_ISOLATION") == "1"


@dataclass(frozen=True)
class Mistake:
    """One realistic mistake: in ``module`` of the area, ``original`` becomes ``planted``; ``scenario`` shows it."""

    module: str
    original: str
    planted: str
    scenario: str
    why: str


MISTAKES = {
    "concurrency": Mistake(
        "concurrency.py",
        "return value if value >= 1 else DEFAULT_PARALLEL_LIMIT",
        "return value if value != 0 else DEFAULT_PARALLEL_LIMIT",
        "env-invalid-limit-negative",
        "a negative PIPELINE_PARALLEL_LIMIT is kept instead of falling back to 4",
    ),
    "markers": Mistake(
        "markers.py",
        '"key": index,\n        "message": message,',
        '"key": str(index),\n        "message": message,',
        "effect-failing-in-branch",
        "a raising branch's marker gets its key as a string",
    ),
    "values": Mistake(
        "values.py",
        "text = content if isinstance(content, str) else compact_json(raw)",
        "text = compact_json(raw)",
        "shape-object-with-content",
        "an object's text ignores its content string",
    ),
    "descriptors": Mistake(
        "descriptors.py",
        "return tuple(dict.fromkeys(items))",
        "return tuple(sorted(set(items)))",
        "label-disjoint-branch-labels",
        "labels de-duplicated through a set lose their order",
    ),
    "state_machine": Mistake(
        "state_machine.py",
        "if context.attempt_number > MAX_RETRIES_PER_CONTEXT:",
        "if context.attempt_number >= MAX_RETRIES_PER_CONTEXT:",
        "retry-limit-two-stages",
        "the per-context retry limit is off by one",
    ),
}


def plant_mistake(copy: Path, mistake: Mistake) -> None:
    plant(copy / "harness" / "pipeline" / mistake.module, mistake.original, mistake.planted)


def test_the_copy_s_modules_are_the_ones_imported(tmp_path: Path) -> None:
    """The subprocesses run the copy (with its planted mistakes), not the installed project."""
    copy = copy_project(tmp_path, [], folder="scenarios", baselines=False)
    probe = (
        "import harness.pipeline.markers as m, harness.reference.markers as r, harness.cli as c; "
        "print(m.__file__, r.__file__, c.__file__)"
    )
    environment = {**os.environ, "PYTHONPATH": str(copy)}
    shown = subprocess.run(
        [sys.executable, "-c", probe], cwd=copy, env=environment, capture_output=True, text=True, check=True
    ).stdout.split()
    assert [Path(path).parent.parent for path in shown[:2]] == [copy / "harness"] * 2
    assert Path(shown[2]).parent == copy / "harness"


@pytest.mark.parametrize("area_module", sorted(MISTAKES))
def test_a_mistake_in_the_area_is_a_side_by_side_mismatch_without_baselines(tmp_path: Path, area_module: str) -> None:
    """Planted in a temporary copy (see the module docstring): each mistake alone makes ``harness check`` fail."""
    mistake = MISTAKES[area_module]
    copy = copy_project(tmp_path, [mistake.scenario], folder="scenarios", baselines=False)
    plant_mistake(copy, mistake)
    if WITHOUT_ISOLATION:
        assert harness_in(copy, "freeze", "--force").returncode == 0

    checked = harness_in(copy, "check", "scenarios")

    assert checked.returncode == 1, f"{mistake.why} went unseen:\n{checked.stdout}{checked.stderr}"
    assert f"MISMATCH         {mistake.scenario}" in checked.stdout
    assert "candidate extracted differs from the reference (path: reference != candidate):" in checked.stdout
    assert "reference differs from the pinned baseline" not in checked.stdout  # there is no baseline
    assert checked.stdout.rstrip().endswith("total: 0 passed, 1 failed")


def test_a_reference_built_from_the_area_is_blind_to_the_same_mistakes(tmp_path: Path) -> None:
    """The control: with every mistake planted and the reference re-frozen from that area, the check sees nothing.

    This is the blindness the snapshot removes: a reference sharing the
    area's modules moves with them, and without baselines nothing notices.
    """
    copy = copy_project(tmp_path, [mistake.scenario for mistake in MISTAKES.values()], folder="scenarios", baselines=False)
    for mistake in MISTAKES.values():
        plant_mistake(copy, mistake)
    assert harness_in(copy, "check", "scenarios").returncode == 1  # the snapshot still sees them

    frozen = harness_in(copy, "freeze", "--force")
    assert frozen.returncode == 0, frozen.stderr
    checked = harness_in(copy, "check", "scenarios")

    assert checked.returncode == 1  # every scenario is unpinned, none mismatches
    assert "MISMATCH" not in checked.stdout
    assert sum(line.startswith("UNPINNED ") for line in checked.stdout.splitlines()) == len(MISTAKES)


# Phase 7 (m-69d1) moved the execution loop into its own module. Both frozen
# befores hold their own loop (phase 6's inline reference, phase 7's kept
# executor.py), so a mistake in the new module is a mismatch against each.
LOOP_MISTAKES = {
    "iteration-limit": Mistake(
        "execution_loop_runner.py",
        "if executions > MAX_STAGE_EXECUTIONS:",
        "if executions >= MAX_STAGE_EXECUTIONS:",
        "retry-from-self-iteration-limit",
        "the iteration limit trips one stage execution early",
    ),
    "failure-numbering": Mistake(
        "execution_loop_runner.py",
        'f"Pipeline failed at stage {step.stage + 1}: {step.message}"',
        'f"Pipeline failed at stage {step.stage}: {step.message}"',
        "fail-sequential-stage",
        "a failed stage is numbered by mlld's internal index, not the index + 1 mlld prints",
    ),
}


@pytest.mark.parametrize("name", sorted(LOOP_MISTAKES))
def test_a_mistake_in_the_execution_loop_runner_is_a_mismatch_against_both_befores(tmp_path: Path, name: str) -> None:
    """Planted in a temporary copy holding the phase ledger and both befores, with no baseline.

    The default check fails against phase 6's reference first; ``--reference
    m-69d1`` shows phase 7's before sees it alone. Under
    ``HARNESS_TEST_WITHOUT_ISOLATION=1`` both befores are re-frozen as the
    area's own executor (the loop then comes from the mistaken module) and
    the test fails, as it must.
    """
    mistake = LOOP_MISTAKES[name]
    copy = copy_project(tmp_path, [mistake.scenario], folder="scenarios", baselines=False)
    shutil.copytree(ROOT / "phases", copy / "phases", ignore=shutil.ignore_patterns("__pycache__"))
    plant_mistake(copy, mistake)
    if WITHOUT_ISOLATION:
        for phase in ((), ("--phase", "m-69d1")):
            released = harness_in(copy, "freeze", *phase, "--force", "--executor", "executor:PipelineExecutor")
            assert released.returncode == 0, released.stderr

    by_default = harness_in(copy, "check", "scenarios")
    against_before = harness_in(copy, "check", "scenarios", "--reference", "m-69d1")

    for checked, which in ((by_default, "the reference"), (against_before, "the reference m-69d1")):
        assert checked.returncode == 1, f"{mistake.why} went unseen by {which}:\n{checked.stdout}{checked.stderr}"
        assert f"MISMATCH         {mistake.scenario}" in checked.stdout
        assert f"candidate extracted differs from {which} (path: reference != candidate):" in checked.stdout
        assert "differs from the pinned baseline" not in checked.stdout  # there is no baseline
