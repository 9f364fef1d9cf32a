"""Where a snapshot's source comes from: the area in the working tree, or the area at a git revision.

An :class:`AreaSource` hands out the area's ``.py`` files as bytes, keyed by
their path inside the area (``cache.py``, ``sub/x.py``), and says which
revision they are. :class:`GitRevisionSource` reads with ``git ls-tree`` and
``git show`` only, so reading an old revision never touches the working tree.
Git runs without a shell; every failure becomes a one-line
:class:`~harness.errors.SnapshotError`.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol, final

from harness.errors import SnapshotError

__all__ = [
    "AreaSource",
    "GitRevisionSource",
    "WorkingTreeSource",
    "area_is_dirty",
    "head_commit",
]


class AreaSource(Protocol):
    """The ``.py`` files of an area at one point of its history."""

    @property
    def revision(self) -> str:
        """What the manifest records as the source revision."""
        ...

    def files(self) -> Mapping[str, bytes]:
        """Every ``.py`` file of the area, by its ``/``-separated path inside the area."""
        ...


def _git(project_root: Path, arguments: Sequence[str]) -> subprocess.CompletedProcess[bytes] | None:
    try:
        return subprocess.run(["git", *arguments], cwd=project_root, capture_output=True, check=False)
    except OSError:  # no git on PATH
        return None


def _is_checkout(project_root: Path) -> bool:
    done = _git(project_root, ["rev-parse", "--is-inside-work-tree"])
    return done is not None and done.returncode == 0 and done.stdout.strip() == b"true"


def head_commit(project_root: Path) -> str | None:
    """The full hash of ``HEAD``, or ``None`` outside a git checkout (or before the first commit)."""
    done = _git(project_root, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])
    return done.stdout.decode().strip() if done is not None and done.returncode == 0 else None


def area_is_dirty(project_root: Path, area: str) -> bool:
    """Whether ``area`` has uncommitted changes (staged, unstaged or untracked); false outside git."""
    done = _git(project_root, ["status", "--porcelain", "--untracked-files=all", "--", area])
    return done is not None and done.returncode == 0 and bool(done.stdout.strip())


@final
class WorkingTreeSource:
    """The area as it is on disk now; its revision is ``HEAD`` (``+changes`` when the area is dirty)."""

    __slots__ = ("_directory", "_revision")

    def __init__(self, project_root: Path, area: str) -> None:
        self._directory = project_root / area
        if not (self._directory / "__init__.py").is_file():
            raise SnapshotError(f"{area}: not a package directory (no {area}/__init__.py)")
        head = head_commit(project_root)
        if head is None:
            self._revision = "working tree (not a git checkout)"
        else:
            self._revision = head + ("+changes" if area_is_dirty(project_root, area) else "")

    def __repr__(self) -> str:
        return f"WorkingTreeSource({str(self._directory)!r})"

    @property
    def revision(self) -> str:
        return self._revision

    def files(self) -> Mapping[str, bytes]:
        found: dict[str, bytes] = {}
        for directory, subdirectories, names in os.walk(self._directory):
            subdirectories[:] = sorted(d for d in subdirectories if not d.startswith(".") and d != "__pycache__")
            for name in sorted(names):
                if name.endswith(".py"):
                    path = Path(directory) / name
                    found[path.relative_to(self._directory).as_posix()] = path.read_bytes()
        return found


@final
class GitRevisionSource:
    """The area as committed at ``rev``, read from git's object store.

    Raises :class:`SnapshotError` when ``project_root`` is not a git checkout,
    git cannot resolve ``rev`` to a commit, or the commit has no package at ``area``.
    """

    __slots__ = ("_area", "_commit", "_files", "_root")

    def __init__(self, project_root: Path, rev: str, area: str) -> None:
        if not _is_checkout(project_root):
            raise SnapshotError(f"{project_root}: not a git checkout, so --reference/--rev {rev} cannot be read")
        done = _git(project_root, ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"])
        if done is None or done.returncode != 0:
            raise SnapshotError(f"{rev}: unknown revision in {project_root}")
        self._root, self._area, self._commit = project_root, area.strip("/"), done.stdout.decode().strip()
        self._files = self._read()

    def __repr__(self) -> str:
        return f"GitRevisionSource({self._commit[:12]}, {self._area!r})"

    @property
    def revision(self) -> str:
        return self._commit

    def files(self) -> Mapping[str, bytes]:
        return self._files

    def folder(self, folder: str) -> dict[str, bytes]:
        """Every file under ``folder`` (relative to the project root) at this commit, by path inside it."""
        # ``--full-name`` spells paths from the top of the repository, which is
        # what ``git show COMMIT:PATH`` expects even when the project is a subfolder.
        folder = folder.strip("/")
        listed = _git(self._root, ["ls-tree", "-r", "-z", "--full-name", "--name-only", self._commit, "--", folder])
        names = [name for name in (listed.stdout.decode().split("\0") if listed else []) if name]
        inside = f"{self._top_prefix()}{folder}/"
        files: dict[str, bytes] = {}
        for name in sorted(name for name in names if name.startswith(inside)):
            shown = _git(self._root, ["show", f"{self._commit}:{name}"])
            if shown is None or shown.returncode != 0:
                raise SnapshotError(f"{self._commit[:12]}: cannot read {name}")
            files[name.removeprefix(inside)] = shown.stdout
        return files

    def _read(self) -> dict[str, bytes]:
        files = {path: data for path, data in self.folder(self._area).items() if path.endswith(".py")}
        if "__init__.py" not in files:
            raise SnapshotError(f"{self._commit[:12]}: has no package {self._area} (no {self._area}/__init__.py)")
        return files

    def _top_prefix(self) -> str:
        done = _git(self._root, ["rev-parse", "--show-prefix"])
        return done.stdout.decode().strip() if done is not None and done.returncode == 0 else ""
