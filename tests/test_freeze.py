"""``harness freeze``: the snapshot regenerated from the area, kept modules carried over, written atomically.

Every test runs in a temporary git repository holding a copy of the area,
of the snapshot and of two corpus scenarios with their baselines; planted
changes (a behaviour change in the area, an edit of a kept module, an
interruption) are made in that copy only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from cli_support import run_cli
from planting import copy_project, harness_in, plant

ROOT = Path(__file__).resolve().parents[1]
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
SCENARIOS = ("effect-failing-in-branch", "ref-parallel-basic")
MARKER_KEY = ('"key": index,', '"key": str(index),')


def git(repository: Path, *arguments: str) -> str:
    return subprocess.run([*GIT, *arguments], cwd=repository, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A committed copy of the area, the snapshot and two scenarios; the current folder."""
    root = tmp_path / "project"
    ignore = shutil.ignore_patterns("__pycache__")
    for package in ("pipeline", "reference"):
        shutil.copytree(ROOT / "harness" / package, root / "harness" / package, ignore=ignore)
    (root / "baselines").mkdir()
    for name in SCENARIOS:
        for suffix in (".toml", ".baseline.json"):
            shutil.copy(ROOT / "baselines" / f"{name}{suffix}", root / "baselines" / f"{name}{suffix}")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "the project")
    monkeypatch.chdir(root)
    return root


def manifest(root: Path) -> dict[str, object]:
    return json.loads((root / "harness" / "reference" / "MANIFEST.json").read_text())


def plant_in_area(root: Path, module: str, original: str, planted: str) -> None:
    path = root / "harness" / "pipeline" / module
    text = path.read_text()
    assert text.count(original) == 1
    path.write_text(text.replace(original, planted))


def test_a_clean_area_refreezes_to_the_same_files_and_the_corpus_agrees(project: Path) -> None:
    """The committed snapshot is what freeze generates from the area it was frozen from.

    Only the manifest's source revision moves, and freeze says it rewrote the
    manifest (it once printed "no file changed"); a second freeze changes nothing.
    """
    before = {path: data for path, data in manifest(project)["files"].items()}
    head = git(project, "rev-parse", "HEAD").strip()
    assert manifest(project)["source_revision"] != head

    code, out, err = run_cli("freeze")

    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"froze harness/pipeline at {head} into harness/reference",
        "  reference executor reference:ReferenceExecutor; kept modules: reference.py",
        "  changed  harness/reference/MANIFEST.json",
        f"corpus: all {len(SCENARIOS)} scenarios agree with the new reference",
    ]
    after = manifest(project)
    assert after["files"] == before and after["source_revision"] == head and after["kept"] == ["reference.py"]
    assert run_cli("freeze")[1].splitlines()[2] == "  no file changed"


def test_uncommitted_changes_in_the_area_are_refused_and_nothing_is_written(
    project: Path, folder_state: Callable[[Path], dict[str, object]]
) -> None:
    plant_in_area(project, "markers.py", *MARKER_KEY)
    before = folder_state(project / "harness" / "reference")

    code, out, err = run_cli("freeze")

    assert (code, out) == (2, "")
    assert err == "harness freeze: harness/pipeline: has uncommitted changes; commit them first or pass --force\n"
    assert folder_state(project / "harness" / "reference") == before


def test_force_freezes_the_working_tree_and_says_the_corpus_no_longer_agrees(project: Path) -> None:
    """A planted behaviour change in the area, frozen with --force: the changed file and the disagreement are named."""
    plant_in_area(project, "markers.py", *MARKER_KEY)

    code, out, _ = run_cli("freeze", "--force")

    assert code == 1
    assert "  changed  harness/reference/markers.py" in out
    assert "  changed  harness/reference/MANIFEST.json" in out  # the source revision is now HEAD+changes
    assert out.count("changed  ") == 2
    assert out.splitlines()[-1].startswith(
        "corpus: 1 of 2 scenarios disagree with the new reference: effect-failing-in-branch"
    )
    assert manifest(project)["source_revision"].endswith("+changes")
    assert MARKER_KEY[1] in (project / "harness" / "reference" / "markers.py").read_text()
    assert "from harness" not in (project / "harness" / "reference" / "markers.py").read_text()


def test_a_revision_is_read_from_git_and_the_working_tree_is_left_alone(
    project: Path, folder_state: Callable[[Path], dict[str, object]]
) -> None:
    first = git(project, "rev-parse", "HEAD").strip()
    plant_in_area(project, "markers.py", *MARKER_KEY)
    git(project, "commit", "-qam", "marker keys become strings")
    plant_in_area(project, "values.py", "return value.data if", "return value.text if")  # uncommitted
    area_before = folder_state(project / "harness" / "pipeline")

    code, out, _ = run_cli("freeze", "--rev", first)

    assert code == 0, out
    assert manifest(project)["source_revision"] == first
    assert MARKER_KEY[0] in (project / "harness" / "reference" / "markers.py").read_text()
    assert folder_state(project / "harness" / "pipeline") == area_before


def test_a_kept_module_is_carried_over_and_an_edit_of_it_is_refused(project: Path) -> None:
    kept = project / "harness" / "reference" / "reference.py"
    original = kept.read_bytes()
    assert run_cli("freeze")[0] == 0
    assert kept.read_bytes() == original

    kept.write_bytes(original + b"# edited\n")
    code, _, err = run_cli("freeze")

    assert code == 2
    assert err == f"harness freeze: {kept}: kept module changed since it was frozen; restore it or pass --force\n"


def test_naming_an_executor_releases_the_kept_modules(project: Path) -> None:
    code, out, _ = run_cli("freeze", "--executor", "executor:PipelineExecutor", "--notes", "phase 7")

    assert code == 0, out
    assert "  removed  harness/reference/reference.py" in out
    after = manifest(project)
    assert (after["executor"], after["kept"], after["notes"]) == ("executor:PipelineExecutor", [], "phase 7")
    barrel = (project / "harness" / "reference" / "__init__.py").read_text()
    assert "from .executor import PipelineExecutor, PipelineExecutor as ReferenceExecutor" in barrel
    assert not (project / "harness" / "reference" / "reference.py").exists()


def test_an_interrupted_freeze_leaves_the_old_snapshot(
    project: Path, monkeypatch: pytest.MonkeyPatch, folder_state: Callable[[Path], dict[str, object]]
) -> None:
    """Interrupted at the swap (planted: the first rename raises), the old snapshot stays and no staging remains."""
    plant_in_area(project, "markers.py", *MARKER_KEY)
    before = folder_state(project / "harness" / "reference")

    def interrupted(source: object, target: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "rename", interrupted)
    code, _, err = run_cli("freeze", "--force")
    monkeypatch.undo()

    assert (code, err) == (130, "harness freeze: interrupted\n")
    assert folder_state(project / "harness" / "reference") == before
    assert sorted(path.name for path in (project / "harness").iterdir()) == ["pipeline", "reference"]


def test_a_snapshot_folder_without_a_manifest_is_refused(project: Path) -> None:
    (project / "harness" / "reference" / "MANIFEST.json").unlink()

    code, _, err = run_cli("freeze")

    assert code == 2
    assert "harness/reference: exists without MANIFEST.json" in err and err.count("\n") == 1


def test_freeze_regenerates_a_snapshot_that_no_longer_imports(tmp_path: Path) -> None:
    """A kept module edited against a name only the area has yet (as a merge leaves it): freeze still runs and mends it.

    The CLI imports the frozen reference only when something runs it, so
    ``check`` says in one line what is wrong and how to fix it, and ``freeze
    --force`` regenerates the leaf modules the kept module needs. With the
    reference imported eagerly (as before), both commands died with an
    ImportError traceback: tried in a temporary copy.
    """
    copy = copy_project(tmp_path / "project", list(SCENARIOS))
    with (copy / "harness" / "pipeline" / "state_machine.py").open("a") as area_module:
        area_module.write('\nADDED_BY_THE_AREA: Final = "a name the snapshot does not have yet"\n')
    plant(
        copy / "harness" / "reference" / "reference.py",
        "from __future__ import annotations\n",
        "from __future__ import annotations\n\nfrom .state_machine import ADDED_BY_THE_AREA  # noqa: F401\n",
    )

    broken = harness_in(copy, "check")
    assert broken.returncode == 2, broken.stdout + broken.stderr
    assert broken.stderr.count("\n") == 1 and "Traceback" not in broken.stderr
    assert "harness/reference: the frozen reference cannot be imported (ImportError:" in broken.stderr
    assert "regenerate it with `harness freeze --force`" in broken.stderr

    frozen = harness_in(copy, "freeze", "--force")
    assert frozen.returncode == 0, frozen.stdout + frozen.stderr
    assert "  changed  harness/reference/state_machine.py" in frozen.stdout
    assert f"corpus: all {len(SCENARIOS)} scenarios agree with the new reference" in frozen.stdout

    mended = harness_in(copy, "check")
    assert mended.returncode == 0, mended.stdout + mended.stderr
    assert mended.stdout.rstrip().endswith(f"total: {len(SCENARIOS)} passed, 0 failed")
