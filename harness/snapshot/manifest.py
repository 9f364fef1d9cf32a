"""The snapshot's manifest: where the frozen reference came from, and the sha256 of every file.

``MANIFEST.json`` sits in the snapshot directory. It records the area the
snapshot was taken from, the source revision, the executor entry that is the
reference (``module:Class`` inside the snapshot), the *kept* modules that
``harness freeze`` carries over instead of regenerating, free-text notes on
why the reference is pinned where it is, and one digest per file. JSON rather
than TOML because the standard library writes it; ``tomllib`` only reads.
:func:`verify_snapshot` is what the gate runs: a changed, added or missing
file is named.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal, final

from harness.errors import SnapshotError

__all__ = [
    "DEFAULT_ENTRY",
    "MANIFEST_NAME",
    "ExecutorEntry",
    "FileProblem",
    "Manifest",
    "file_digests",
    "parse_manifest",
    "read_manifest",
    "render_manifest",
    "snapshot_files",
    "verify_snapshot",
]

MANIFEST_NAME: Final = "MANIFEST.json"
SCHEMA_VERSION: Final = 1


@final
@dataclass(frozen=True, slots=True)
class ExecutorEntry:
    """The executor class a snapshot exposes as its reference: ``module:Class``, module dotted inside the area."""

    module: str
    attribute: str

    @classmethod
    def parse(cls, text: str, *, where: str) -> ExecutorEntry:
        """Read ``module:Class``; raise :class:`SnapshotError` naming ``where`` otherwise."""
        module, separator, attribute = text.partition(":")
        if not separator or not all(part.isidentifier() for part in module.split(".")) or not attribute.isidentifier():
            raise SnapshotError(f"{where}: expected MODULE:CLASS (a module of the area and a class), got {text!r}")
        return cls(module, attribute)

    def __str__(self) -> str:
        return f"{self.module}:{self.attribute}"


DEFAULT_ENTRY: Final = ExecutorEntry("executor", "PipelineExecutor")
"""The executor a snapshot exposes unless told otherwise: the area's own ``executor:PipelineExecutor``."""


@final
@dataclass(frozen=True, slots=True)
class Manifest:
    """What ``MANIFEST.json`` says; ``files`` maps each path inside the snapshot to its sha256."""

    area: str
    source_revision: str
    executor: ExecutorEntry
    kept: tuple[str, ...] = ()
    notes: str = ""
    files: Mapping[str, str] = field(default_factory=dict)


@final
@dataclass(frozen=True, slots=True)
class FileProblem:
    """One file of a snapshot that does not match its manifest."""

    path: str
    problem: Literal["changed", "added", "missing"]

    def __str__(self) -> str:
        return {
            "changed": f"{self.path}: changed since the snapshot was frozen (sha256 differs from {MANIFEST_NAME})",
            "added": f"{self.path}: not in {MANIFEST_NAME} (added after the snapshot was frozen)",
            "missing": f"{self.path}: listed in {MANIFEST_NAME} but missing",
        }[self.problem]


def file_digests(files: Mapping[str, bytes]) -> dict[str, str]:
    """The sha256 hex digest of every file, sorted by path."""
    return {path: hashlib.sha256(files[path]).hexdigest() for path in sorted(files)}


def render_manifest(manifest: Manifest) -> bytes:
    """The manifest as the bytes of ``MANIFEST.json`` (sorted, two-space indent, final newline)."""
    document = {
        "schema_version": SCHEMA_VERSION,
        "area": manifest.area,
        "source_revision": manifest.source_revision,
        "executor": str(manifest.executor),
        "kept": list(manifest.kept),
        "notes": manifest.notes,
        "files": dict(sorted(manifest.files.items())),
    }
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def read_manifest(directory: Path) -> Manifest:
    """Read ``directory/MANIFEST.json``; raise :class:`SnapshotError` naming the file and key otherwise."""
    path = directory / MANIFEST_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SnapshotError(f"{path}: missing (run `harness freeze` to create the snapshot)") from None
    except OSError as exc:
        raise SnapshotError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    return parse_manifest(data, where=str(path))


def parse_manifest(data: bytes, *, where: str) -> Manifest:
    """The manifest in ``data``; :class:`SnapshotError` names ``where`` and the key otherwise."""
    path = where
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SnapshotError(f"{path}: not readable JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("schema_version") != SCHEMA_VERSION:
        raise SnapshotError(f"{path}: schema_version: expected {SCHEMA_VERSION}")
    for key in ("area", "source_revision", "executor", "notes"):
        if not isinstance(document.get(key), str):
            raise SnapshotError(f"{path}: {key}: expected a string")
    kept, files = document.get("kept"), document.get("files")
    if not isinstance(kept, list) or not all(isinstance(item, str) for item in kept):
        raise SnapshotError(f"{path}: kept: expected a list of file names")
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        raise SnapshotError(f"{path}: files: expected a table of path = sha256")
    return Manifest(
        area=document["area"],
        source_revision=document["source_revision"],
        executor=ExecutorEntry.parse(document["executor"], where=f"{path}: executor"),
        kept=tuple(kept),
        notes=document["notes"],
        files=files,
    )


def snapshot_files(directory: Path) -> dict[str, bytes]:
    """Every file of a snapshot directory but the manifest and ``__pycache__``, by relative path."""
    found: dict[str, bytes] = {}
    for folder, subdirectories, names in os.walk(directory):
        subdirectories[:] = sorted(d for d in subdirectories if d != "__pycache__")
        for name in sorted(names):
            path = Path(folder) / name
            relative = path.relative_to(directory).as_posix()
            if relative != MANIFEST_NAME:
                found[relative] = path.read_bytes()
    return found


def verify_snapshot(directory: Path, manifest: Manifest) -> list[FileProblem]:
    """Every file that differs from the manifest: changed, added or missing, sorted by path."""
    actual = file_digests(snapshot_files(directory))
    problems = [
        FileProblem(path, "changed" if path in actual else "missing")
        for path, digest in manifest.files.items()
        if actual.get(path) != digest
    ]
    problems += [FileProblem(path, "added") for path in actual if path not in manifest.files]
    return sorted(problems, key=lambda problem: problem.path)
