"""Comparing observations: a list of differences, each named by its path.

A difference reads ``stages[1].errors[0].message: 'boom' != 'Boom'``: the path
into the observation document, then the left value and the right value.
Keys that name the implementation rather than its behaviour are skipped.
Values compare strictly: ``1``, ``1.0`` and ``true`` are three different
things in a JSON baseline, so they differ here too.

One change to a value shows up under several paths: the output's ``data``
and ``text``, each branch's view of it, and the stage that produced it
(``output.data[2]``, ``output.branches[2].text``, ``stages[1].data[2]``).
:func:`group_differences` folds such repeats into one
:class:`DifferenceGroup`, so that a report shows each change once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, final

from harness.observation import BEHAVIOUR_EXCLUDED_KEYS

__all__ = ["ABSENT", "Difference", "DifferenceGroup", "diff_observations", "format_differences", "group_differences"]


@final
class _Absent:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<absent>"


ABSENT: Final = _Absent()
"""Stands for a key or item one side has and the other lacks."""


@final
@dataclass(frozen=True, slots=True)
class Difference:
    """One place where two observations disagree."""

    path: str
    left: Any
    right: Any

    def __str__(self) -> str:
        left, right = _shown_pair(repr(self.left), repr(self.right))
        return f"{self.path or '<root>'}: {left} != {right}"

    def to_document(self, left_name: str, right_name: str) -> dict[str, Any]:
        """The difference as JSON: ``path``, each side's value under its name, and ``text`` as printed.

        A side that lacks the key or item is left out of the document.
        """
        document: dict[str, Any] = {"path": self.path}
        for name, value in ((left_name, self.left), (right_name, self.right)):
            if value is not ABSENT:
                document[name] = value
        document["text"] = str(self)
        return document


_SHOWN_CHARS: Final = 120
_CONTEXT_CHARS: Final = 40


def _shown_pair(left: str, right: str) -> tuple[str, str]:
    """Both texts shortened to about 120 characters around their first difference, cut at the same place."""
    if len(left) <= _SHOWN_CHARS and len(right) <= _SHOWN_CHARS:
        return left, right
    common = next((i for i, (a, b) in enumerate(zip(left, right)) if a != b), min(len(left), len(right)))
    start = max(0, common - _CONTEXT_CHARS)
    return _window(left, start), _window(right, start)


def _window(text: str, start: int) -> str:
    end = start + _SHOWN_CHARS - 6
    head = "..." if start > 0 else ""
    tail = "..." if end < len(text) else ""
    return head + text[start:end] + tail


def diff_observations(
    left: Mapping[str, Any],
    right: Mapping[str, Any],
    *,
    ignore: Iterable[str] = BEHAVIOUR_EXCLUDED_KEYS,
) -> list[Difference]:
    """Every difference between two observations, in document order; top-level ``ignore`` keys are skipped."""
    skipped = frozenset(ignore)
    differences: list[Difference] = []
    keys = [key for key in _ordered_keys(left, right) if key not in skipped]
    for key in keys:
        _diff(left.get(key, ABSENT), right.get(key, ABSENT), key, differences)
    return differences


def _ordered_keys(left: Mapping[str, Any], right: Mapping[str, Any]) -> list[str]:
    return list(left) + [key for key in right if key not in left]


def _same_scalar(left: object, right: object) -> bool:
    return type(left) is type(right) and left == right


def _diff(left: Any, right: Any, path: str, out: list[Difference]) -> None:
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        for key in _ordered_keys(left, right):
            _diff(left.get(key, ABSENT), right.get(key, ABSENT), f"{path}.{key}" if path else str(key), out)
        if list(left) != list(right) and set(left) == set(right):
            out.append(Difference(f"{path}<key order>", list(left), list(right)))
        return
    if _is_list(left) and _is_list(right):
        for index in range(max(len(left), len(right))):
            _diff(
                left[index] if index < len(left) else ABSENT,
                right[index] if index < len(right) else ABSENT,
                f"{path}[{index}]",
                out,
            )
        return
    if not _same_scalar(left, right):
        out.append(Difference(path, left, right))


def _is_list(value: object) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


@final
@dataclass(frozen=True, slots=True)
class DifferenceGroup:
    """One change: its first difference in document order and the other paths that repeat it."""

    difference: Difference
    also: tuple[str, ...] = ()

    @property
    def paths(self) -> tuple[str, ...]:
        return (self.difference.path, *self.also)


# A path into a value's ``text`` or ``data`` view (``output.text``,
# ``stages[1].data[2]``, ``output.branches[0].data.key``); only these are
# folded together. Equal numbers elsewhere (two calls' ``end_ms`` both 10 != 20)
# are separate facts that merely look alike.
_VALUE_VIEW: Final = re.compile(r"(?:^|\.)(?:text|data)(?:$|[.\[<])")


def group_differences(differences: Sequence[Difference]) -> list[DifferenceGroup]:
    """The differences with each change once: value views that disagree the same way form one group.

    Two differences are one change when both paths lie in a value's ``text``
    or ``data`` view and both sides are equal, type included (``'a' != 'c'``
    at ``output.data[0]``, ``output.branches[0].text`` and
    ``stages[1].data[0]``). Any other difference is a group of its own.
    Groups keep the document order of their first difference.
    """
    groups: list[tuple[Difference, list[str]]] = []
    by_change: dict[tuple[object, ...], list[str]] = {}
    for difference in differences:
        if _VALUE_VIEW.search(difference.path):
            key = (type(difference.left), repr(difference.left), type(difference.right), repr(difference.right))
            repeated = by_change.get(key)
            if repeated is not None:
                repeated.append(difference.path)
                continue
            by_change[key] = []
            groups.append((difference, by_change[key]))
        else:
            groups.append((difference, []))
    return [DifferenceGroup(first, tuple(also)) for first, also in groups]


def format_differences(differences: Sequence[Difference], *, limit: int = 20, indent: str = "    ") -> str:
    """The differences one per line, at most ``limit`` of them, with a count of the rest."""
    lines = [f"{indent}{difference}" for difference in differences[:limit]]
    if len(differences) > limit:
        lines.append(f"{indent}... and {len(differences) - limit} more")
    return "\n".join(lines)
