"""Choosing which scenarios a ``harness check`` runs: ``-k EXPR`` as in pytest.

``-k`` takes pytest's own keyword expressions (``order and not capped``,
``retry or marker``) and evaluates them with pytest's own parser,
:class:`_pytest.mark.expression.Expression`, so the grammar, the operators
and the error messages are exactly those of ``pytest -k``: one less
language to learn, and none to maintain here. The module is private to
pytest but has kept its ``compile``/``evaluate`` surface since pytest 6;
pytest is a run-time dependency of the harness anyway.

As in pytest, a word matches when it is a case-insensitive substring of one
of the scenario's names: its file stem and the folders of its path as the
check found it (``baselines/retry/x.toml``: ``x``, ``retry``, ``baselines``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import final

from _pytest.mark.expression import Expression

from harness.errors import HarnessError

__all__ = ["InvalidExpressionError", "KeywordSelection", "scenario_keywords"]


class InvalidExpressionError(HarnessError, ValueError):
    """A ``-k`` expression pytest cannot parse; the message is pytest's own."""


def scenario_keywords(path: Path) -> tuple[str, ...]:
    """The names ``-k`` words match against: the file stem, then its folders (innermost first)."""
    folders = tuple(part for part in reversed(path.parent.parts) if part not in ("", ".", "/"))
    return (path.stem, *folders)


@final
@dataclass(frozen=True, slots=True)
class _Keywords:
    """pytest's matcher protocol over one scenario's names: a word matches a substring of any of them."""

    names: tuple[str, ...]

    def __call__(self, word: str, /, **kwargs: str | int | bool | None) -> bool:
        if kwargs:  # pytest's ``name(key=value)`` form matches markers' arguments, which scenarios lack
            return False
        lowered = word.lower()
        return any(lowered in name.lower() for name in self.names)


@final
@dataclass(frozen=True, slots=True)
class KeywordSelection:
    """A compiled ``-k`` expression; :meth:`select` keeps the scenario files it matches, in order."""

    text: str
    expression: Expression

    @classmethod
    def compile(cls, text: str) -> KeywordSelection:
        """Parse ``text`` as pytest would; raises InvalidExpressionError with pytest's message."""
        try:
            return cls(text, Expression.compile(text))
        except Exception as exc:  # SyntaxError on pytest 9, ParseError on older pytest 8
            raise InvalidExpressionError(f"-k {text!r}: {exc}") from None

    def matches(self, path: Path) -> bool:
        """Whether the scenario file at ``path`` is selected."""
        return self.expression.evaluate(_Keywords(scenario_keywords(path)))

    def select(self, paths: Sequence[Path]) -> list[Path]:
        """The paths the expression selects, in their given order."""
        return [path for path in paths if self.matches(path)]
