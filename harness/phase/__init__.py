"""Refactor phases as things the harness knows: the ledger, each phase's frozen before, open and close.

A phase is opened by its ticket id and title (:func:`open_phase`), assessed
while it is under way (:func:`assess_phase`) and closed by the gate
(:func:`close_phase`), which writes its evidence note under ``phases/ID/``.
This package uses the snapshot, the check and the gate; none of them uses it.
"""

from __future__ import annotations

from harness.phase.ledger import LEDGER_PATH, PHASES_FOLDER, Ledger, Phase, phase_folder, read_ledger, write_ledger
from harness.phase.references import default_references, phase_reference, phase_snapshots, reference_for_phase_id
from harness.phase.workflow import (
    OpenedPhase,
    OpenRequest,
    Readiness,
    assess_phase,
    close_phase,
    describe_readiness,
    open_phase,
    open_phase_or_fail,
)

__all__ = [
    "LEDGER_PATH",
    "PHASES_FOLDER",
    "Ledger",
    "OpenRequest",
    "OpenedPhase",
    "Phase",
    "Readiness",
    "assess_phase",
    "close_phase",
    "default_references",
    "describe_readiness",
    "open_phase",
    "open_phase_or_fail",
    "phase_folder",
    "phase_reference",
    "phase_snapshots",
    "read_ledger",
    "reference_for_phase_id",
    "write_ledger",
]
