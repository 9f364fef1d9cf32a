"""What changed in the area since the base revision, asked of git.

The gate compares the working tree (staged, unstaged and untracked files
alike) with the base commit, so the note describes the change a reviewer is
about to see, committed or not. Git is run without a shell and with ``-z``
output, so no path is ever reinterpreted.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from harness.gate.area import module_ownership
from harness.gate.types import AreaModule, TouchedModule

__all__ = ["changed_modules", "resolve_commit", "root_commit", "touched_modules"]

_DELETED = "(deleted since the base revision)"


def _git(project_root: Path, arguments: Sequence[str]) -> str | None:
    """Run git in ``project_root``; its standard output, or ``None`` if git failed."""
    try:
        completed = subprocess.run(
            ["git", *arguments],
            cwd=project_root,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:  # no git on PATH, or the directory vanished
        return None
    return completed.stdout if completed.returncode == 0 else None


def root_commit(project_root: Path) -> str | None:
    """The repository's first commit (the oldest root), or ``None`` without one."""
    output = _git(project_root, ["rev-list", "--max-parents=0", "HEAD"])
    roots = output.split() if output else []
    return roots[-1] if roots else None


def resolve_commit(project_root: Path, revision: str) -> str | None:
    """The full hash of the commit ``revision`` names, or ``None`` if git cannot resolve it."""
    output = _git(
        project_root,
        ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"],
    )
    return output.strip() if output else None


def changed_modules(project_root: Path, base_commit: str, area: str) -> tuple[str, ...]:
    """Paths of ``.py`` files under ``area`` that differ from ``base_commit``, sorted.

    Includes untracked files that are not ignored; paths are relative to the
    project root even when the repository starts above it.
    """
    diff = _git(
        project_root,
        ["diff", "--name-only", "--relative", "--no-renames", "-z", base_commit, "--", area],
    )
    untracked = _git(project_root, ["ls-files", "--others", "--exclude-standard", "-z", "--", area])
    paths = {
        path
        for output in (diff, untracked)
        if output
        for path in output.split("\0")
        if path.endswith(".py")
    }
    return tuple(sorted(paths))


def touched_modules(
    paths: Sequence[str], modules: Sequence[AreaModule]
) -> tuple[TouchedModule, ...]:
    """Describe each changed path with its line count and ownership line.

    A path that is no longer among ``modules`` was deleted since the base.
    """
    by_path = {module.path: module for module in modules}
    touched: list[TouchedModule] = []
    for path in paths:
        module = by_path.get(path)
        if module is None:
            touched.append(TouchedModule(path=path, lines=None, ownership=_DELETED))
        else:
            touched.append(
                TouchedModule(path=path, lines=module.lines, ownership=module_ownership(module))
            )
    return tuple(touched)
