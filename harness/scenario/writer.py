"""Write scenarios back to files: JSON, or TOML through a small emitter.

A scenario drawn by a strategy or shrunk by hypothesis becomes a file a person
can read and replay, in the same format :mod:`harness.scenario.loader` reads.
``tomllib`` only reads TOML and the project takes no TOML-writing dependency
for a format this narrow (strings, numbers, booleans, arrays, inline tables
and the ``[commands.X]`` / ``[effects.X]`` sections), so the emitter is here.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import cast

from harness.scenario.model import Scenario

__all__ = ["dump_scenario", "scenario_text"]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SECTIONS = ("commands", "effects")


def scenario_text(scenario: Scenario, suffix: str) -> str:
    """The text of ``scenario`` as a ``.json`` or ``.toml`` file."""
    document = scenario.to_document()
    if suffix == ".json":
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if suffix == ".toml":
        return _toml_document(document)
    raise ValueError(f"cannot write a scenario as {suffix!r}: use .toml or .json")


def dump_scenario(scenario: Scenario, path: Path | str) -> Path:
    """Write ``scenario`` as JSON (``.json``) or TOML (``.toml``), creating folders; return the path.

    Loading the file gives back an equal scenario when the file stem is the
    scenario's name.  Raises ValueError for another suffix or a value the
    format cannot hold (a null hint or input in TOML, an integer beyond 64
    bits in TOML).
    """
    file = Path(path)
    text = scenario_text(scenario, file.suffix)
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(text, encoding="utf-8")
    return file


def _toml_document(document: Mapping[str, object]) -> str:
    # Every plain key must come before the first [table] header.
    lines = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in document.items() if k not in _SECTIONS]
    for section in _SECTIONS:
        tables = cast(Mapping[str, Mapping[str, object]], document.get(section, {}))
        for name, body in tables.items():
            lines += ["", f"[{section}.{_toml_key(name)}]"]
            lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in body.items()]
    return "\n".join(lines) + "\n"


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            raise ValueError(f"TOML integers are 64-bit; cannot write {value}")
        return str(value)
    if isinstance(value, float):
        # repr() round-trips exactly; str() spells the others nan, inf, -inf as TOML does.
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise ValueError(f"cannot write {value!r} as TOML (TOML has no null); write the scenario as JSON")


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _toml_string(key)


def _toml_string(text: str) -> str:
    # JSON's string escapes are a subset of a TOML basic string's; TOML also
    # wants DEL escaped.  A lone surrogate fails later, when encoding to UTF-8.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007F")
