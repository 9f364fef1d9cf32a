"""Import a snapshot under an isolated module name, and materialize the area at any git revision.

A snapshot imports only itself, relatively, so it can live under any package
name. :func:`import_snapshot` loads a snapshot directory as a fresh package
(``_harness_frozen_…``, ``_harness_reference_…``) with its own module
objects, types and context variables, sharing nothing with
:mod:`harness.pipeline` or with another snapshot. :func:`reference_at` builds
the snapshot of the area at a git revision into a temporary directory and
returns its executor as an :class:`~harness.candidates.Implementation`.
"""

from __future__ import annotations

import atexit
import importlib
import importlib.util
import inspect
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Final
from types import ModuleType

from harness.candidates import Implementation
from harness.errors import CandidateError, SnapshotError
from harness.executor_api import ExecutorApi
from harness.snapshot.generate import generate_snapshot
from harness.snapshot.manifest import DEFAULT_ENTRY, MANIFEST_NAME, ExecutorEntry, parse_manifest
from harness.snapshot.sources import GitRevisionSource

__all__ = [
    "REVISION_LABEL",
    "implementation_from_snapshot",
    "import_snapshot",
    "parse_reference",
    "reference_at",
]

REVISION_LABEL: Final = "reference@"
"""The name of a reference built from a revision starts with this; the rest is its ``--reference`` spec."""


def import_snapshot(directory: Path, name: str) -> ModuleType:
    """Import the package in ``directory`` as ``name`` (once per process); :class:`SnapshotError` if it fails."""
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    spec = importlib.util.spec_from_file_location(
        name, directory / "__init__.py", submodule_search_locations=[str(directory)]
    )
    if spec is None or spec.loader is None:
        raise SnapshotError(f"{directory}: not an importable package")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        for loaded_name in [key for key in sys.modules if key == name or key.startswith(name + ".")]:
            del sys.modules[loaded_name]
        raise SnapshotError(f"{directory}: cannot import the snapshot: {type(exc).__name__}: {exc}") from None
    return module


def implementation_from_snapshot(package: ModuleType, entry: ExecutorEntry, *, label: str) -> Implementation:
    """The executor ``entry`` names in an imported snapshot, with the snapshot's API, called ``label``."""
    try:
        module = importlib.import_module(f"{package.__name__}.{entry.module}")
    except Exception as exc:
        raise SnapshotError(f"{label}: cannot import {entry.module}: {type(exc).__name__}: {exc}") from None
    executor = getattr(module, entry.attribute, None)
    if not inspect.isclass(executor) or not inspect.iscoroutinefunction(getattr(executor, "execute", None)):
        raise SnapshotError(f"{label}: {entry} is not an executor class with an async execute(value)")
    try:
        api = ExecutorApi.from_module(package)
    except CandidateError as exc:
        raise SnapshotError(f"{label}: {exc}") from None
    return Implementation(label, executor, api)


def parse_reference(spec: str) -> tuple[str, ExecutorEntry]:
    """Split ``REV`` or ``REV:MODULE:CLASS`` into the revision and the executor entry."""
    if spec.count(":") >= 2:
        rev, module, attribute = spec.rsplit(":", 2)
        return rev, ExecutorEntry.parse(f"{module}:{attribute}", where=f"--reference {spec}")
    return spec, DEFAULT_ENTRY


_MATERIALIZED: dict[tuple[Path, str, ExecutorEntry], Implementation] = {}


def _kept_at(source: GitRevisionSource, snapshot: str | None) -> dict[str, bytes]:
    """The kept modules of the snapshot committed at the source's revision, if it has one."""
    if snapshot is None:
        return {}
    files = source.folder(snapshot)
    if MANIFEST_NAME not in files:
        return {}
    where = f"{source.revision[:12]}:{snapshot}/{MANIFEST_NAME}"
    manifest = parse_manifest(files[MANIFEST_NAME], where=where)
    return {name: files[name] for name in manifest.kept if name in files}


def reference_at(
    project_root: Path, spec: str, *, area: str, package: str, snapshot: str | None = None
) -> Implementation:
    """The executor of ``area`` at the git revision ``spec`` (``REV`` or ``REV:MODULE:CLASS``).

    The area's files are read with git (the working tree is never written),
    rewritten into a self-contained package in a temporary directory that is
    removed at exit, and imported as ``_harness_reference_<commit>``. When the
    revision has a frozen snapshot at ``snapshot``, its kept modules come
    along, so ``REV:reference:ReferenceExecutor`` names phase 6's inline
    executor before and after it moved out of the area. Raises
    :class:`SnapshotError` with one line: not a git checkout, unknown
    revision, no such area, an area that imports outside itself.
    """
    rev, entry = parse_reference(spec)
    source = GitRevisionSource(project_root, rev, area)
    key = (project_root.resolve(), source.revision, entry)
    known = _MATERIALIZED.get(key)
    if known is not None:
        return known
    where = f"{rev}:{area}"
    kept = _kept_at(source, snapshot)
    files = generate_snapshot(source.files(), package=package, entry=entry, kept=kept, where=where)
    suffix = "" if entry == DEFAULT_ENTRY else f"_{entry.module.replace('.', '_')}_{entry.attribute}"
    # The label is itself a --reference spec after its prefix, so a repro file can record it.
    entry_label = "" if entry == DEFAULT_ENTRY else f":{entry}"
    name = f"_harness_reference_{source.revision[:12]}{suffix}"
    holder = Path(tempfile.mkdtemp(prefix="harness-reference-"))
    atexit.register(shutil.rmtree, holder, ignore_errors=True)
    directory = holder / name
    for path, data in files.items():
        target = directory / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    implementation = implementation_from_snapshot(
        import_snapshot(directory, name), entry, label=f"{REVISION_LABEL}{source.revision[:12]}{entry_label}"
    )
    _MATERIALIZED[key] = implementation
    return implementation
