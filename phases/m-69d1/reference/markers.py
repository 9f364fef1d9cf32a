"""Error markers of parallel branches and the error list they are published in.

A branch that raises does not fail its stage: it becomes a marker
``{index, key, message, error, value}`` in the aggregate, in that key order
(spec R4.1). When no branch raised, a second pass also collects branch outputs
that merely look like markers (R4.4). The markers of the running stage are
published in an :class:`ErrorContext`, live, so that ``latest_errors`` shows
them while the branches still run (R4.3).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .serialization import compact_json, js_string
from .types import BranchResult, StructuredValue
from .values import extract_stage_value

__all__ = [
    "DIRECTIVE_ERROR_PREFIX",
    "ErrorContext",
    "Marker",
    "build_marker",
    "collect_marker_shaped",
    "format_error",
    "marker_value",
]

Marker = dict[str, Any]
"""An error marker: a dict with ``index``, ``key``, ``message``, ``error`` and usually ``value``."""

DIRECTIVE_ERROR_PREFIX = "Directive error ("


def format_error(error: object) -> str:
    """Return the message a marker shows for ``error`` (spec R4.2).

    A ``Directive error (...): `` prefix is dropped together with any
    `` at line ...`` location after it; other messages are kept whole. A
    string is itself; anything else is its compact JSON (which falls back to
    its JavaScript string).
    """
    if isinstance(error, BaseException):
        message = str(error)
        if message.startswith(DIRECTIVE_ERROR_PREFIX):
            _, separator, rest = message.partition(": ")
            if separator:
                message = rest
            message = message.split(" at line ", 1)[0]
        return message
    if isinstance(error, str):
        return error
    return compact_json(error)


def build_marker(index: int, error: BaseException, branch_input: StructuredValue) -> Marker:
    """Return the marker for branch ``index`` that raised ``error`` on ``branch_input``."""
    message = format_error(error)
    return {
        "index": index,
        "key": index,
        "message": message,
        "error": message,
        "value": extract_stage_value(branch_input),
    }


def marker_value(marker: Marker) -> StructuredValue:
    """Wrap a marker as the branch's value: an ``object`` with its compact JSON as text."""
    return StructuredValue(type="object", text=compact_json(marker), data=marker)


def collect_marker_shaped(branches: Sequence[BranchResult]) -> list[Marker]:
    """Second pass: markers for branch outputs that carry both ``message`` and ``error`` (R4.4).

    Run only when no branch raised. The branch's own value is left as it is;
    a missing ``value`` key stays missing in the marker.
    """
    collected: list[Marker] = []
    for position, branch in enumerate(branches):
        candidate = extract_stage_value(branch.value)
        if not isinstance(candidate, dict) or "message" not in candidate or "error" not in candidate:
            continue
        index = candidate.get("index")
        key = candidate.get("key")
        message, error = candidate["message"], candidate["error"]
        marker: Marker = {
            "index": index if isinstance(index, (int, float)) and not isinstance(index, bool) else position,
            "key": key if key is not None else position,
            "message": js_string(message if message is not None else error),
            "error": js_string(error if error is not None else message),
        }
        if "value" in candidate:
            marker["value"] = candidate["value"]
        collected.append(marker)
    return collected


class ErrorContext:
    """The published error list of the most recent parallel stage.

    Publishing keeps the very list object, so markers appended while branches
    run are visible at once. Sequential stages never touch it.
    """

    __slots__ = ("_latest", "_publications")

    def __init__(self) -> None:
        self._latest: list[Marker] = []
        self._publications = 0

    def __repr__(self) -> str:
        return f"ErrorContext(latest_errors={len(self._latest)}, publications={self._publications})"

    def publish(self, errors: list[Marker]) -> None:
        """Make ``errors`` the current list, replacing whatever an earlier stage or retry left."""
        self._latest = errors
        self._publications += 1

    def reset(self) -> None:
        """Forget every published list (a new run starts)."""
        self._latest = []
        self._publications = 0

    @property
    def latest_errors(self) -> list[Marker]:
        """The current list itself (not a copy)."""
        return self._latest

    @property
    def publications(self) -> int:
        """How many lists were published since the last reset."""
        return self._publications
