"""The phase ledger: every phase of a refactor program the harness knows, in the order they were opened.

``phases/LEDGER.json`` lists the phases, each a :class:`Phase`: its ticket id
and title, the objective, the base revision it started from, the modules it
is expected to touch, the snapshot directory holding its frozen "before", and
once closed the revision its gate passed on and the path of its evidence
note. At most one phase is open at a time. JSON rather than TOML for the same
reason as the snapshot manifest: the standard library writes it.

:func:`read_ledger` validates the whole file once (a wrong key is one
:class:`~harness.errors.PhaseError` line naming the file and the key);
:func:`write_ledger` replaces it atomically.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final, Literal, final

from harness.baselines import write_atomic
from harness.errors import PhaseError, describe_json_error

__all__ = [
    "LEDGER_PATH",
    "PHASES_FOLDER",
    "Ledger",
    "Phase",
    "phase_folder",
    "read_ledger",
    "render_ledger",
    "validate_phase_id",
    "write_ledger",
]

PHASES_FOLDER: Final = "phases"
LEDGER_PATH: Final = f"{PHASES_FOLDER}/LEDGER.json"
SCHEMA_VERSION: Final = 1
# A ticket id such as ``m-69d1``: it names a folder, so no separators and no leading dot.
_PHASE_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_TEXT_KEYS: Final = ("id", "title", "objective", "base", "reference", "status")

PhaseStatus = Literal["open", "closed"]


def validate_phase_id(text: str) -> str:
    """``text`` if it can name a phase (letters, digits, ``-`` and ``_``); :class:`PhaseError` otherwise."""
    if not _PHASE_ID.fullmatch(text):
        raise PhaseError(f"{text!r}: not a phase id (letters, digits, '-' and '_', such as m-69d1)")
    return text


def phase_folder(phase_id: str) -> str:
    """The folder of one phase, relative to the project root: its snapshot and its note live there."""
    return f"{PHASES_FOLDER}/{phase_id}"


@final
@dataclass(frozen=True, slots=True)
class Phase:
    """One phase of the program; ``closed_revision`` and ``note`` are set once it has closed."""

    id: str
    title: str
    objective: str
    base: str
    reference: str
    touches: tuple[str, ...]
    status: PhaseStatus = "open"
    closed_revision: str | None = None
    note: str | None = None

    def closed(self, revision: str, note: str) -> Phase:
        """This phase, closed at ``revision`` with its note at ``note``."""
        return replace(self, status="closed", closed_revision=revision, note=note)


@final
@dataclass(frozen=True, slots=True)
class Ledger:
    """The phases in the order they were opened."""

    phases: tuple[Phase, ...] = ()

    @property
    def open_phase(self) -> Phase | None:
        """The phase now open, if any."""
        return next((phase for phase in self.phases if phase.status == "open"), None)

    @property
    def closed_phases(self) -> tuple[Phase, ...]:
        return tuple(phase for phase in self.phases if phase.status == "closed")

    def find(self, phase_id: str, *, where: Path | str) -> Phase:
        """The phase ``phase_id``; :class:`PhaseError` naming the known ids otherwise."""
        for phase in self.phases:
            if phase.id == phase_id:
                return phase
        known = ", ".join(phase.id for phase in self.phases) or "none yet"
        raise PhaseError(f"{phase_id}: no such phase in {where} (known: {known})")

    def with_phase(self, phase: Phase) -> Ledger:
        """The ledger with ``phase`` replacing the one of the same id, or appended."""
        ids = [known.id for known in self.phases]
        if phase.id in ids:
            index = ids.index(phase.id)
            return Ledger((*self.phases[:index], phase, *self.phases[index + 1:]))
        return Ledger((*self.phases, phase))


def read_ledger(project_root: Path) -> Ledger:
    """The ledger of ``project_root``; an empty one when there is no ledger file yet."""
    path = project_root / LEDGER_PATH
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Ledger()
    except OSError as exc:
        raise PhaseError(f"{LEDGER_PATH}: cannot be read: {exc.strerror or exc}") from None
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise PhaseError(f"{LEDGER_PATH}: not UTF-8: {exc}") from None
    except json.JSONDecodeError as exc:
        raise PhaseError(f"{LEDGER_PATH}: not readable JSON: {describe_json_error(exc)}") from None
    if not isinstance(document, dict) or document.get("schema_version") != SCHEMA_VERSION:
        raise PhaseError(f"{LEDGER_PATH}: schema_version: expected {SCHEMA_VERSION}")
    entries = document.get("phases")
    if not isinstance(entries, list):
        raise PhaseError(f"{LEDGER_PATH}: phases: expected a list of phase tables")
    phases = tuple(_parse_phase(entry, f"phases[{index}]") for index, entry in enumerate(entries))
    ids = [phase.id for phase in phases]
    duplicated = next((phase_id for phase_id in ids if ids.count(phase_id) > 1), None)
    if duplicated is not None:
        raise PhaseError(f"{LEDGER_PATH}: phases: {duplicated} is listed twice")
    if sum(phase.status == "open" for phase in phases) > 1:
        raise PhaseError(f"{LEDGER_PATH}: phases: more than one phase is open")
    return Ledger(phases)


def _parse_phase(entry: object, key: str) -> Phase:
    if not isinstance(entry, dict):
        raise PhaseError(f"{LEDGER_PATH}: {key}: expected a table")
    for name in _TEXT_KEYS:
        if not isinstance(entry.get(name), str):
            raise PhaseError(f"{LEDGER_PATH}: {key}.{name}: expected a string")
    if entry["status"] not in ("open", "closed"):
        raise PhaseError(f"{LEDGER_PATH}: {key}.status: expected \"open\" or \"closed\", got {entry['status']!r}")
    touches = entry.get("touches")
    if not isinstance(touches, list) or not all(isinstance(item, str) for item in touches):
        raise PhaseError(f"{LEDGER_PATH}: {key}.touches: expected a list of module paths")
    closed = entry["status"] == "closed"
    for name in ("closed_revision", "note"):
        value = entry.get(name)
        if closed and not isinstance(value, str):
            raise PhaseError(f"{LEDGER_PATH}: {key}.{name}: expected a string for a closed phase")
        if not closed and value is not None:
            raise PhaseError(f"{LEDGER_PATH}: {key}.{name}: only a closed phase has one")
    try:
        validate_phase_id(entry["id"])
    except PhaseError as exc:
        raise PhaseError(f"{LEDGER_PATH}: {key}.id: {exc}") from None
    return Phase(
        id=entry["id"],
        title=entry["title"],
        objective=entry["objective"],
        base=entry["base"],
        reference=entry["reference"],
        touches=tuple(touches),
        status=entry["status"],
        closed_revision=entry.get("closed_revision"),
        note=entry.get("note"),
    )


def render_ledger(ledger: Ledger) -> str:
    """The ledger as the text of ``LEDGER.json`` (two-space indent, final newline)."""
    phases = []
    for phase in ledger.phases:
        entry: dict[str, object] = {
            "id": phase.id,
            "title": phase.title,
            "objective": phase.objective,
            "status": phase.status,
            "base": phase.base,
            "reference": phase.reference,
            "touches": list(phase.touches),
        }
        if phase.status == "closed":
            entry["closed_revision"] = phase.closed_revision
            entry["note"] = phase.note
        phases.append(entry)
    document = {"schema_version": SCHEMA_VERSION, "phases": phases}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write_ledger(project_root: Path, ledger: Ledger) -> None:
    """Replace the ledger file atomically (a reader sees the old ledger or the new one)."""
    path = project_root / LEDGER_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, render_ledger(ledger))
