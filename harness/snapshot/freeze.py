"""``harness freeze``: write the area's executor, as of a revision, as the new self-contained reference.

:func:`freeze` reads the area (the working tree, or a git revision), keeps
the snapshot's *kept* modules (unchanged but for absolute area imports),
generates everything else with
:func:`~harness.snapshot.generate.generate_snapshot`, and replaces the
snapshot directory with the result and a fresh manifest. It reports what
changed since the previous snapshot; the caller checks the corpus against it.

The files are written to a temporary sibling directory first and swapped in
with two renames, so an interrupted freeze leaves the old snapshot in place.

Kept modules hold a "before" that no longer exists in the area (phase 6's
inline-parallel-stage executor). Naming an executor with ``--executor``
releases them: the new snapshot takes that entry from the area and keeps nothing.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import final

from harness.errors import SnapshotError
from harness.snapshot.generate import generate_snapshot
from harness.snapshot.manifest import (
    DEFAULT_ENTRY,
    MANIFEST_NAME,
    ExecutorEntry,
    Manifest,
    file_digests,
    read_manifest,
    render_manifest,
    snapshot_files,
)
from harness.snapshot.sources import AreaSource, GitRevisionSource, WorkingTreeSource, area_is_dirty

__all__ = ["FreezeRequest", "FreezeResult", "freeze"]


@final
@dataclass(frozen=True, slots=True)
class FreezeRequest:
    """What to freeze: ``area`` (a path, dotted as ``package``) into ``snapshot``, both relative to ``project_root``.

    ``rev`` ``None`` reads the working tree; ``executor`` names a new entry
    and releases the kept modules; ``notes`` replaces the manifest's notes;
    ``keep`` names area modules (paths inside the area) the new snapshot keeps
    from now on, as a phase keeps the modules it is about to rewrite.
    """

    project_root: Path
    area: str
    package: str
    snapshot: str
    rev: str | None = None
    force: bool = False
    executor: ExecutorEntry | None = None
    notes: str | None = None
    keep: tuple[str, ...] = ()


@final
@dataclass(frozen=True, slots=True)
class FreezeResult:
    """The snapshot written, and which of its files were added, changed or removed."""

    directory: Path
    manifest: Manifest
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]


def _source(request: FreezeRequest) -> AreaSource:
    if request.rev is not None:
        return GitRevisionSource(request.project_root, request.rev, request.area)
    if not request.force and area_is_dirty(request.project_root, request.area):
        raise SnapshotError(f"{request.area}: has uncommitted changes; commit them first or pass --force")
    return WorkingTreeSource(request.project_root, request.area)


def _kept(directory: Path, previous: Manifest | None, *, force: bool) -> dict[str, bytes]:
    """The kept files of the previous snapshot; a kept file edited since then is refused unless ``force``."""
    if previous is None:
        return {}
    kept: dict[str, bytes] = {}
    for name in previous.kept:
        try:
            data = (directory / name).read_bytes()
        except OSError:
            raise SnapshotError(f"{directory / name}: kept in {MANIFEST_NAME} but unreadable") from None
        if not force and file_digests({name: data})[name] != previous.files.get(name):
            raise SnapshotError(
                f"{directory / name}: kept module changed since it was frozen; restore it or pass --force"
            )
        kept[name] = data
    return kept


def _write_atomically(directory: Path, files: dict[str, bytes]) -> None:
    staging = directory.with_name(f".{directory.name}.freeze-{os.getpid()}")
    retired = directory.with_name(f".{directory.name}.old-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        for path, data in files.items():
            target = staging / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        if directory.exists():
            os.rename(directory, retired)
        os.rename(staging, directory)
    except BaseException:
        if retired.exists() and not directory.exists():
            os.rename(retired, directory)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def freeze(request: FreezeRequest) -> FreezeResult:
    """Write the snapshot; raise :class:`SnapshotError` (one line) and leave the old one when it cannot."""
    directory = request.project_root / request.snapshot
    previous = read_manifest(directory) if (directory / MANIFEST_NAME).exists() else None
    if previous is None and directory.exists() and not request.force:
        raise SnapshotError(
            f"{directory}: exists without {MANIFEST_NAME}, so freeze cannot tell what to keep; move it or pass --force"
        )
    source = _source(request)
    if request.executor is not None:
        entry, kept = request.executor, {}
    else:
        entry = previous.executor if previous is not None else DEFAULT_ENTRY
        kept = _kept(directory, previous, force=request.force)
    files = generate_snapshot(
        source.files(), package=request.package, entry=entry, kept=kept, where=f"{request.area}@{source.revision}"
    )
    notes = request.notes if request.notes is not None else previous.notes if previous is not None else ""
    manifest = Manifest(
        area=request.area,
        source_revision=source.revision,
        executor=entry,
        kept=tuple(sorted(set(kept) | {name for name in request.keep if name in files})),
        notes=notes,
        files=file_digests(files),
    )
    if previous is not None:
        before: dict[str, str] = dict(previous.files)
    else:
        before = file_digests(snapshot_files(directory)) if directory.is_dir() else {}
    # The manifest is rewritten too (a new source revision, say): report it like any file.
    rendered = render_manifest(manifest)
    after = {**manifest.files, **file_digests({MANIFEST_NAME: rendered})}
    if (directory / MANIFEST_NAME).is_file():
        before.update(file_digests({MANIFEST_NAME: (directory / MANIFEST_NAME).read_bytes()}))
    _write_atomically(directory, {**files, MANIFEST_NAME: rendered})
    return FreezeResult(
        directory=directory,
        manifest=manifest,
        added=tuple(sorted(set(after) - set(before))),
        changed=tuple(sorted(p for p in after if p in before and before[p] != after[p])),
        removed=tuple(sorted(set(before) - set(after))),
    )
