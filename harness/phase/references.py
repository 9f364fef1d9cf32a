"""The phases' frozen "befores" as implementations: by phase id, and the set ``harness check`` runs by default.

Every phase of the ledger names the snapshot directory holding its "before".
Phase 6's is the configured snapshot (``harness/reference``, imported as the
package :mod:`harness.reference`, the reference that records baselines); a
phase opened with ``harness phase open`` freezes its own under
``phases/ID/reference``. Those lie outside every package, so they are
imported the way ``--reference REV`` imports a revision: with
:func:`~harness.snapshot.import_snapshot`, under a name of their own
(``_harness_phase_m_69d1_<digest>``), sharing nothing with the area or with
another snapshot. One machinery, several snapshots.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from harness.candidates import BUILTIN_IMPLEMENTATIONS, Implementation
from harness.gate.config import load_reference_settings
from harness.phase.ledger import LEDGER_PATH, Ledger, Phase, read_ledger
from harness.snapshot import MANIFEST_NAME, implementation_from_snapshot, import_snapshot, read_manifest

__all__ = ["default_references", "phase_reference", "phase_snapshots", "reference_for_phase_id"]


def phase_reference(project_root: Path, phase: Phase) -> Implementation:
    """The executor of ``phase``'s frozen before, labelled with the phase id.

    The configured snapshot is the builtin ``reference``; any other is
    imported from its directory. Raises :class:`~harness.errors.SnapshotError`
    (one line) when the snapshot is missing or cannot be imported.
    """
    _, _, primary = load_reference_settings(project_root)
    if phase.reference == primary:
        return BUILTIN_IMPLEMENTATIONS["reference"]
    directory = project_root / phase.reference
    manifest = read_manifest(directory)
    # The digest keeps a re-frozen snapshot from reusing the module objects of the old one.
    digest = hashlib.sha256((directory / MANIFEST_NAME).read_bytes()).hexdigest()[:12]
    name = f"_harness_phase_{phase.id.replace('-', '_')}_{digest}"
    package = import_snapshot(directory, name)
    return implementation_from_snapshot(package, manifest.executor, label=phase.id)


def phase_snapshots(project_root: Path, ledger: Ledger | None = None) -> tuple[str, ...]:
    """The snapshot directories of the ledger's phases other than the configured one, in ledger order."""
    _, _, primary = load_reference_settings(project_root)
    phases = (ledger if ledger is not None else read_ledger(project_root)).phases
    return tuple(dict.fromkeys(phase.reference for phase in phases if phase.reference != primary))


def default_references(project_root: Path) -> tuple[Implementation, ...]:
    """What ``harness check`` compares a candidate with when no ``--reference`` is given.

    The configured snapshot first (phase 6's inline executor, the design's
    side-by-side reference and the one that records baselines), then every
    other phase's before in the order the phases were opened: each is an
    independent executor of the same behaviour, so a candidate must agree
    with all of them.
    """
    ledger = read_ledger(project_root)
    references = [BUILTIN_IMPLEMENTATIONS["reference"]]
    remaining = list(phase_snapshots(project_root, ledger))
    for phase in ledger.phases:
        if phase.reference in remaining:
            remaining.remove(phase.reference)
            references.append(phase_reference(project_root, phase))
    return tuple(references)


def reference_for_phase_id(project_root: Path, spec: str) -> Implementation | None:
    """The before of the phase ``spec`` names (``--reference m-c639``), or ``None`` if no phase has that id."""
    if not (project_root / LEDGER_PATH).is_file():
        return None
    ledger = read_ledger(project_root)
    if not any(phase.id == spec for phase in ledger.phases):
        return None
    return phase_reference(project_root, ledger.find(spec, where=LEDGER_PATH))
