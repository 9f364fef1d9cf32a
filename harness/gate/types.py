"""Values the gate passes between its checks, its command runner and its note.

Every value is a frozen dataclass without behaviour; the modules that produce
them own the logic. :class:`Rule` names the guardrails in the order the note
reports them.
"""

from __future__ import annotations

import ast
import enum
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "AllowedSmallModule",
    "AreaModule",
    "CommandOutcome",
    "Finding",
    "GuardrailReport",
    "PackageLocation",
    "PhaseHeading",
    "ReferenceReport",
    "Rule",
    "TouchedModule",
]


class Rule(enum.StrEnum):
    """What a finding breaks: one of the six guardrails, or ``analysis`` for a module
    the gate could not read at all (a syntax error, say)."""

    ANALYSIS = "analysis"
    SMALL_MODULE = "small-module"
    CALLBACK_INJECTION = "callback-injection"
    DUPLICATE_LOGIC = "duplicate-logic"
    DUPLICATE_TYPE = "duplicate-type"
    IMPORT_CYCLE = "import-cycle"
    FROZEN_REFERENCE = "frozen-reference"


@dataclass(frozen=True, slots=True)
class Finding:
    """One breach of a guardrail, at ``path:line`` (path relative to the project root)."""

    rule: str
    path: str
    line: int
    message: str


@dataclass(frozen=True, slots=True)
class PackageLocation:
    """Where the area lives: its directory and how Python imports it.

    ``import_root`` is the directory that goes on ``sys.path``; ``package`` is
    the dotted name of the area and ``top_package`` the first part of it.
    """

    project_root: Path
    import_root: Path
    area: str
    package: str
    top_package: str


@dataclass(frozen=True, slots=True, eq=False)
class AreaModule:
    """One ``.py`` file of the area, read and parsed once.

    ``tree`` is ``None`` when the file does not parse; ``error_line`` then
    holds the line of the syntax error.
    """

    path: str
    name: str
    text: str
    lines: int
    tree: ast.Module | None
    error_line: int = 0


@dataclass(frozen=True, slots=True)
class AllowedSmallModule:
    """A module under the line minimum that the rule allows, with the reason."""

    path: str
    lines: int
    kind: str


@dataclass(frozen=True, slots=True)
class ReferenceReport:
    """What the frozen-reference check saw: the snapshot, its manifest's revision, and its importers in the area.

    ``source_revision`` is ``None`` when the manifest could not be read;
    ``files`` counts the files the manifest pins.
    """

    path: str
    source_revision: str | None
    files: int
    importers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GuardrailReport:
    """Everything the guardrail checks found in one area.

    ``imports_checked`` is false when no import graph could be built, so the
    import rules did not run; ``reference`` is ``None`` then, and also when
    no frozen reference is configured.
    """

    modules: tuple[AreaModule, ...]
    findings: tuple[Finding, ...]
    allowed_small: tuple[AllowedSmallModule, ...]
    imports_checked: bool
    reference: ReferenceReport | None
    snapshots: tuple[ReferenceReport, ...] = ()


@dataclass(frozen=True, slots=True)
class PhaseHeading:
    """The phase a gate run closes, as its note names it: ticket id, title, objective and remarks.

    ``expected`` are the modules the phase said it would touch; ``remarks``
    is Markdown the team wrote for the note (what got in the way, say).
    """

    id: str
    title: str
    objective: str
    expected: tuple[str, ...] = ()
    remarks: str = ""


@dataclass(frozen=True, slots=True)
class TouchedModule:
    """A module of the area changed since the base revision.

    ``lines`` is ``None`` when the module was deleted.
    """

    path: str
    lines: int | None
    ownership: str


@dataclass(frozen=True, slots=True)
class CommandOutcome:
    """One configured command, run once: exit code, wall time, parsed counts, output tail."""

    command: str
    exit_code: int
    duration_s: float
    summary: str
    tail: tuple[str, ...] = ()
