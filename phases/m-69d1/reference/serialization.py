"""JavaScript-compatible text for values: ``js_string`` and ``compact_json``.

The reference outputs of the executor were produced by a JavaScript runtime, so
every text the executor builds from a number, a list or a dict must read the
way ``String(x)`` and ``JSON.stringify(x)`` would write it. The standard
library's :mod:`json` comes close but writes ``2.0`` and ``NaN`` and knows
nothing of :class:`~harness.pipeline.types.StructuredValue`, so the encoder is
written here; strings are still escaped by :func:`json.dumps`.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from collections.abc import Mapping
from typing import Final, final

from .types import StructuredValue

__all__ = ["MISSING", "Missing", "compact_json", "js_number", "js_string", "js_trim", "js_truthy"]


@final
class Missing:
    """The type of :data:`MISSING`, Python's stand-in for JavaScript ``undefined``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = Missing()


class _NotSerializable(Exception):
    """Raised inside the encoder to fall back to ``js_string`` for the whole value."""


def js_number(value: float) -> str:
    """Return the text JavaScript's ``String(number)`` gives for ``value``.

    Integral values print without a fraction, and the switch between fixed and
    exponent notation follows ECMAScript (fixed for 1e-7 <= |x| < 1e21), which
    differs from Python's ``repr`` (``1e-05`` in Python is ``0.00001`` in JS).
    """
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    # repr() gives the shortest digits that round-trip, as ECMAScript asks for.
    shortest = Decimal(repr(abs(value))).normalize().as_tuple()
    significant = "".join(str(digit) for digit in shortest.digits)
    count = len(significant)
    point = int(shortest.exponent) + count  # value == 0.<significant> * 10**point
    if count <= point <= 21:
        return sign + significant + "0" * (point - count)
    if 0 < point <= 21:
        return sign + significant[:point] + "." + significant[point:]
    if -6 < point <= 0:
        return sign + "0." + "0" * (-point) + significant
    shown = point - 1
    head = significant[0] + ("." + significant[1:] if count > 1 else "")
    return f"{sign}{head}e{'+' if shown >= 0 else '-'}{abs(shown)}"


def js_string(value: object) -> str:
    """Return JavaScript's ``String(value)`` for a Python value.

    ``None`` is ``"null"``, booleans are ``"true"``/``"false"``, lists join their
    items with ``,`` (``None`` items becoming empty), and any other object is
    ``"[object Object]"``.
    """
    if value is MISSING:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return js_number(value)
    if isinstance(value, str):
        return value
    if isinstance(value, StructuredValue):
        return value.text
    if isinstance(value, (list, tuple)):
        return _join(value, set())
    return "[object Object]"


# ECMAScript's WhiteSpace and LineTerminator code points, which `String.prototype.trim`
# removes. Python's str.strip() differs: it keeps U+FEFF and removes U+001C..U+001F and U+0085.
_JS_WHITESPACE: Final = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def js_trim(text: str) -> str:
    """Return JavaScript's ``text.trim()``."""
    return text.strip(_JS_WHITESPACE)


def js_truthy(value: object) -> bool:
    """Return whether JavaScript reads ``value`` as true (``if (value)``).

    ``null``, ``undefined``, ``false``, ``0``, ``NaN`` and ``""`` are false;
    every array and object is true, the empty ones included (unlike Python).
    """
    if value is None or value is MISSING or value is False:
        return False
    if isinstance(value, (int, float)):
        return value == value and value != 0
    if isinstance(value, str):
        return value != ""
    return True


def _join(items: list[object] | tuple[object, ...], active: set[int]) -> str:
    """JavaScript's ``items.join(",")``: a list met again inside itself is written as empty."""
    if id(items) in active:
        return ""
    active.add(id(items))
    try:
        return ",".join(
            "" if item is None or item is MISSING
            else _join(item, active) if isinstance(item, (list, tuple))
            else js_string(item)
            for item in items
        )
    finally:
        active.discard(id(items))


def compact_json(value: object) -> str:
    """Serialize ``value`` like ``JSON.stringify`` without indentation.

    Key order is kept, non-ASCII characters stay as they are, structured values
    are replaced by their ``data``, integral floats lose their fraction and
    non-finite floats become ``null``. A value that cannot be serialized (a
    cycle, an unknown object) yields ``js_string(value)`` instead, so a circular
    dict gives ``[object Object]``.
    """
    try:
        return _encode(value, set())
    except (_NotSerializable, RecursionError):
        return js_string(value)


def _encode(value: object, active: set[int]) -> str:
    if isinstance(value, StructuredValue):
        return _encode(value.data, active)
    if value is None or value is MISSING:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return js_number(value) if math.isfinite(value) else "null"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple, Mapping)):
        if id(value) in active:
            raise _NotSerializable
        active.add(id(value))
        try:
            if isinstance(value, Mapping):
                members = (
                    f"{json.dumps(js_string(key), ensure_ascii=False)}:{_encode(item, active)}"
                    for key, item in value.items()
                    if item is not MISSING
                )
                return "{" + ",".join(members) + "}"
            return "[" + ",".join(_encode(item, active) for item in value) + "]"
        finally:
            active.discard(id(value))
    raise _NotSerializable
