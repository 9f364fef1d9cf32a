"""Survivor verdicts, shared by the mutation drivers (``power.py`` for mutmut, ``refactor_power.py``).

A survivor (a mutant the corpus did not kill) is explained by a one-line
verdict in a TOML file per module, ``[verdicts]`` keyed by the driver's
survivor key, reviewed like code. A verdict is ``equivalent: WHY`` (no input
can tell the mutant from the code: the why says so) or ``unreachable: WHY``
(no scenario can build or see what differs: the why names the scenario keys
considered). Keys end in a digest of the diff's changed lines only, so a
verdict survives moved lines and renumbered mutants. A verdict whose mutant no
longer survives is stale: a scenario now kills it, or the code changed.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final

KINDS: Final = ("equivalent", "unreachable")


def changed_lines_digest(diff: str) -> str:
    """A digest of a unified diff's removed and added lines, stripped: it survives line moves and renumbering."""
    changed = [
        line[1:].strip() for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    return hashlib.sha256("\n".join(changed).encode()).hexdigest()[:10]


def load_verdicts(folder: Path, stems: Iterable[str] | None = None) -> dict[str, str]:
    """Every verdict of the folder's ``*.toml`` files (one per module, or those of ``stems``); a key given twice is an error."""
    verdicts: dict[str, str] = {}
    wanted = None if stems is None else set(stems)
    for path in sorted(folder.glob("*.toml")):
        if wanted is not None and path.stem not in wanted:
            continue
        document = tomllib.loads(path.read_text(encoding="utf-8"))
        for key, value in document.get("verdicts", {}).items():
            if key in verdicts:
                raise SystemExit(f"{path}: verdicts.{key}: given twice")
            verdicts[str(key)] = str(value)
    return verdicts


def verdict_kind(verdict: str) -> str | None:
    """``equivalent`` or ``unreachable`` as the verdict starts, else None (a verdict that says neither)."""
    kind = verdict.partition(":")[0].strip().lower()
    return kind if kind in KINDS else None


def stale_verdicts(verdicts: Mapping[str, str], surviving: Iterable[str]) -> list[str]:
    """The keys of the verdicts whose mutant is not among the surviving keys, sorted."""
    alive = set(surviving)
    return sorted(key for key in verdicts if key not in alive)
