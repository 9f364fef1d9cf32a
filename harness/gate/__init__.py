"""The refactor-phase gate: guardrail checks, phase commands and the evidence note.

Run it with :func:`run_gate`; :func:`check_area` runs the guardrails alone.
"""

from __future__ import annotations

from harness.gate.app import EXIT_FAIL, EXIT_PASS, run_gate
from harness.gate.commands import parse_counts, run_command, run_commands
from harness.gate.config import GateConfig, load_config
from harness.gate.guardrails import check_area
from harness.gate.note import Evidence, render_note, write_note
from harness.gate.types import (
    AllowedSmallModule,
    AreaModule,
    CommandOutcome,
    Finding,
    GuardrailReport,
    PackageLocation,
    PhaseHeading,
    ReferenceReport,
    Rule,
    TouchedModule,
)

__all__ = [
    "EXIT_FAIL",
    "EXIT_PASS",
    "AllowedSmallModule",
    "AreaModule",
    "CommandOutcome",
    "Evidence",
    "Finding",
    "GateConfig",
    "GuardrailReport",
    "PackageLocation",
    "PhaseHeading",
    "ReferenceReport",
    "Rule",
    "TouchedModule",
    "check_area",
    "load_config",
    "parse_counts",
    "render_note",
    "run_command",
    "run_commands",
    "run_gate",
    "write_note",
]
