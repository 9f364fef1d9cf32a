"""Exceptions of the harness around the executor, one base and a subclass per failure.

Only :func:`harness.cli.main` turns these into a one-line message and an exit
code; library code raises them with the file, the key path and what was
expected, so that the message alone tells the user what to fix.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = [
    "CandidateError",
    "HarnessError",
    "InvalidBaselineError",
    "InvalidConfigError",
    "InvalidInputError",
    "InvalidOutputError",
    "InvalidScenarioError",
    "PhaseError",
    "SnapshotError",
    "describe_json_error",
]


class HarnessError(Exception):
    """Base class of every error the harness raises on purpose."""


class InvalidInputError(HarnessError, ValueError):
    """A user-supplied file is malformed; the message is ``FILE: KEY: WHAT``.

    ``key`` is the dotted key path inside the file (``commands.left.duration_ms``,
    ``stages[1][0]``), or an empty string when the whole file is at fault.
    """

    def __init__(self, path: Path | str, key: str, problem: str) -> None:
        self.path = str(path)
        self.key = key
        self.problem = problem
        where = f"{self.path}: {key}" if key else self.path
        super().__init__(f"{where}: {problem}")


class InvalidScenarioError(InvalidInputError):
    """A scenario file cannot be read as a scenario."""


class InvalidBaselineError(InvalidInputError):
    """A pinned baseline file is unreadable, incomplete or of another schema version."""


class InvalidOutputError(InvalidInputError):
    """A file the harness was asked to write (``--svg``, ``--note``, ``--junit-xml``) cannot be written.

    ``key`` is the option that named it.
    """


class InvalidConfigError(InvalidInputError):
    """The harness configuration (``[tool.harness.*]`` in ``pyproject.toml``) is invalid."""


class CandidateError(HarnessError, ValueError):
    """A ``MODULE:ATTR`` candidate cannot be imported or is not an executor class."""


class SnapshotError(HarnessError, ValueError):
    """A reference snapshot cannot be built, read or imported (``harness freeze``, ``--reference REV``)."""


class PhaseError(HarnessError, ValueError):
    """A phase command cannot be carried out: the ledger is invalid, or the phase is unknown, open or closed."""
def describe_json_error(error: json.JSONDecodeError) -> str:
    """json's complaint with its position: ``Expecting ',' delimiter (at line 1, column 8)``.

    Some of json's messages end in "at", expecting the position after them
    ("Invalid control character at"); the dangling word is dropped.
    """
    return f"{error.msg.removesuffix(' at')} (at line {error.lineno}, column {error.colno})"
