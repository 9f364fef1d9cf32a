"""The frozen reference as a generated, self-contained snapshot: build, pin, freeze, load, materialize."""

from __future__ import annotations

from harness.snapshot.freeze import FreezeRequest, FreezeResult, freeze
from harness.snapshot.generate import REFERENCE_NAME, check_self_contained, generate_snapshot
from harness.snapshot.loading import implementation_from_snapshot, import_snapshot, parse_reference, reference_at
from harness.snapshot.manifest import (
    DEFAULT_ENTRY,
    MANIFEST_NAME,
    ExecutorEntry,
    FileProblem,
    Manifest,
    file_digests,
    parse_manifest,
    read_manifest,
    render_manifest,
    snapshot_files,
    verify_snapshot,
)
from harness.snapshot.sources import AreaSource, GitRevisionSource, WorkingTreeSource, area_is_dirty, head_commit

__all__ = [
    "DEFAULT_ENTRY",
    "MANIFEST_NAME",
    "REFERENCE_NAME",
    "AreaSource",
    "ExecutorEntry",
    "FileProblem",
    "FreezeRequest",
    "FreezeResult",
    "GitRevisionSource",
    "Manifest",
    "WorkingTreeSource",
    "area_is_dirty",
    "check_self_contained",
    "file_digests",
    "freeze",
    "generate_snapshot",
    "head_commit",
    "implementation_from_snapshot",
    "import_snapshot",
    "parse_manifest",
    "parse_reference",
    "read_manifest",
    "reference_at",
    "render_manifest",
    "snapshot_files",
    "verify_snapshot",
]
