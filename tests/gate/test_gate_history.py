"""What changed since the base: git plumbing and the touched-module table rows."""

from __future__ import annotations

from pathlib import Path

from harness.gate.history import changed_modules, resolve_commit, root_commit, touched_modules
from harness.gate.types import TouchedModule

from gate_planting import PlantedProject, area_module


def test_root_and_named_commits_are_resolved(planted: PlantedProject) -> None:
    first = planted.commit("first")
    second = planted.commit("second")
    planted.git("tag", "v1", first)

    assert root_commit(planted.root) == first
    assert resolve_commit(planted.root, "v1") == first
    assert resolve_commit(planted.root, "HEAD") == second
    assert resolve_commit(planted.root, "no-such-thing") is None
    assert resolve_commit(planted.root, "--all") is None


def test_outside_a_repository_there_is_nothing_to_resolve(tmp_path: Path) -> None:
    assert root_commit(tmp_path) is None
    assert resolve_commit(tmp_path, "HEAD") is None


def test_changed_modules_cover_edits_additions_deletions_and_untracked_files(
    planted: PlantedProject,
) -> None:
    area = planted.area
    planted.module("kept", '"""Kept."""\n')
    planted.module("edited", '"""Edited."""\n')
    planted.module("removed", '"""Removed."""\n')
    planted.write(f"{planted.package}/outside.py", "x = 1\n")
    base = planted.commit("base")
    planted.module("edited", '"""Edited again."""\n')
    planted.module("staged", '"""Staged."""\n')
    planted.git("add", f"{area}/staged.py")
    (planted.root / area / "removed.py").unlink()
    planted.module("untracked", '"""Untracked."""\n')
    planted.write(f"{area}/notes.txt", "not a module\n")
    planted.write(f"{planted.package}/outside.py", "x = 2\n")
    planted.write(".gitignore", "ignored.py\n")
    planted.write(f"{area}/ignored.py", "")

    assert changed_modules(planted.root, base, area) == (
        f"{area}/edited.py",
        f"{area}/removed.py",
        f"{area}/staged.py",
        f"{area}/untracked.py",
    )


def test_paths_stay_relative_to_the_project_inside_a_larger_repository(
    planted: PlantedProject,
) -> None:
    planted.write("../README", "the repository starts above the project\n")
    planted.git("init", "-q", "..")
    planted.git("add", "-A")
    planted.git("commit", "-q", "-m", "base")
    base = planted.git("rev-parse", "HEAD").strip()
    assert not (planted.root / ".git").exists()
    planted.module("new", '"""New."""\n')

    assert changed_modules(planted.root, base, planted.area) == (f"{planted.area}/new.py",)


def test_touched_modules_carry_line_counts_and_ownership() -> None:
    modules = [
        area_module("pkg/runner.py", '"""Runs stages.\n\nMore words.\n"""\nx = 1\n'),
        area_module("pkg/bare.py", "x = 1\n"),
    ]

    assert touched_modules(["pkg/bare.py", "pkg/gone.py", "pkg/runner.py"], modules) == (
        TouchedModule("pkg/bare.py", 1, "(no docstring)"),
        TouchedModule("pkg/gone.py", None, "(deleted since the base revision)"),
        TouchedModule("pkg/runner.py", 5, "Runs stages."),
    )
