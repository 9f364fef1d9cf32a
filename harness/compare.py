"""Comparing observations: a list of differences, each named by its path.

A difference reads ``stages[1].errors[0].message: 'boom' != 'Boom'``: the path
into the observation document, then the left value and the right value.
Keys that name the implementation rather than its behaviour are skipped.
Values compare strictly: ``1``, ``1.0`` and ``true`` are three different
things in a JSON baseline, so they differ here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, final

from harness.observation import BEHAVIOUR_EXCLUDED_KEYS

__all__ = ["ABSENT", "Difference", "diff_observations", "format_differences"]


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
        return f"{self.path or '<root>'}: {_shown(self.left)} != {_shown(self.right)}"


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


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


def format_differences(differences: Sequence[Difference], *, limit: int = 20, indent: str = "    ") -> str:
    """The differences one per line, at most ``limit`` of them, with a count of the rest."""
    lines = [f"{indent}{difference}" for difference in differences[:limit]]
    if len(differences) > limit:
        lines.append(f"{indent}... and {len(differences) - limit} more")
    return "\n".join(lines)
