"""JavaScript-compatible text: ``js_number``, ``js_string`` and ``compact_json`` (spec R0.1, R0.2)."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.pipeline import MISSING, StructuredValue, compact_json, js_string
from harness.pipeline.serialization import js_number, js_trim, js_truthy

# What JavaScript's String(x) prints for each double.
JS_NUMBER_TEXTS = [
    (0.0, "0"),
    (-0.0, "0"),
    (2.0, "2"),
    (2.5, "2.5"),
    (-2.5, "-2.5"),
    (0.1, "0.1"),
    (0.30000000000000004, "0.30000000000000004"),
    (123.456, "123.456"),
    (1e20, "100000000000000000000"),
    (1e21, "1e+21"),
    (1.23e21, "1.23e+21"),
    (1e100, "1e+100"),
    (9007199254740992.0, "9007199254740992"),
    (1e-6, "0.000001"),
    (1.2345e-5, "0.000012345"),
    (1e-7, "1e-7"),
    (1.5e-7, "1.5e-7"),
    (5e-324, "5e-324"),
    (1.7976931348623157e308, "1.7976931348623157e+308"),
    (math.nan, "NaN"),
    (math.inf, "Infinity"),
    (-math.inf, "-Infinity"),
]


@pytest.mark.parametrize(("number", "text"), JS_NUMBER_TEXTS)
def test_js_number_writes_what_javascript_writes(number: float, text: str) -> None:
    """R0.2: floats read as JavaScript numbers (fixed for 1e-7 <= |x| < 1e21, exponent otherwise)."""
    assert js_number(number) == text


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_js_number_round_trips_every_finite_double(number: float) -> None:
    """R0.2: the text is the shortest one that reads back as the same double."""
    text = js_number(number)
    assert float(text) == number
    assert not text.endswith(".0")
    assert "e+0" not in text and "e-0" not in text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "null"),
        (MISSING, "undefined"),
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (-42, "-42"),
        (3.0, "3"),
        (2.5, "2.5"),
        (math.nan, "NaN"),
        (math.inf, "Infinity"),
        (-math.inf, "-Infinity"),
        ("plain", "plain"),
        ("", ""),
        ([1, None, "a", [2, 3], True], "1,,a,2,3,true"),
        ([MISSING, 1], ",1"),
        ([], ""),
        ((1, 2), "1,2"),
        ({"a": 1}, "[object Object]"),
        ({}, "[object Object]"),
        ([{"a": 1}, 2], "[object Object],2"),
        (object(), "[object Object]"),
    ],
)
def test_js_string_examples(value: object, text: str) -> None:
    """R0.2: ``js_string`` is JavaScript's ``String(x)``; ``None`` is ``null``, never ``None``."""
    assert js_string(value) == text


@pytest.mark.parametrize(
    ("value", "truthy"),
    [
        (None, False), (MISSING, False), (False, False), (0, False), (0.0, False), (-0.0, False),
        (math.nan, False), ("", False),
        (True, True), (1, True), (-1, True), (0.5, True), (math.inf, True), ("0", True), (" ", True),
        ([], True), ({}, True), ([0], True), (object(), True),
    ],
)
def test_js_truthy_is_javascripts_if(value: object, truthy: bool) -> None:
    """JavaScript's truthiness: an empty array or object is true, NaN false (Python says the opposite)."""
    assert js_truthy(value) is truthy


@pytest.mark.parametrize(
    ("text", "trimmed"),
    [
        (" \t\n\r\v\f x \u00a0", "x"),
        ("\ufeff\u2028\u2029\u3000\u202f\u205f\u1680\u2000\u200a", ""),
        ("\u001c", "\u001c"),  # Python's strip() removes these two; JavaScript's trim() keeps them
        ("\u0085", "\u0085"),
        ("\u200b", "\u200b"),  # a zero-width space is no whitespace in either
    ],
)
def test_js_trim_removes_what_javascripts_trim_removes(text: str, trimmed: str) -> None:
    """ECMAScript's WhiteSpace and LineTerminator, not Python's idea of whitespace."""
    assert js_trim(text) == trimmed


def test_js_string_renders_a_cyclic_list_element_as_empty() -> None:
    """R0.2 with R0.1: JavaScript's join writes a list that contains itself as an empty element."""
    cyclic: list[object] = [1]
    cyclic.append(cyclic)
    assert js_string(cyclic) == "1,"
    nested: list[object] = [1]
    nested.append([2, nested])
    assert js_string(nested) == "1,2,"


def test_compact_json_spec_example() -> None:
    """R0.1: the spec's example, key order kept, ``2.0`` as ``2``, ``é`` as is."""
    assert compact_json({"b": 1, "a": [1, 2.0, None, "é"]}) == '{"b":1,"a":[1,2,null,"é"]}'


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (7, "7"),
        (2.0, "2"),
        (0.5, "0.5"),
        (1e21, "1e+21"),
        (math.nan, "null"),
        (math.inf, "null"),
        (-math.inf, "null"),
        ("x", '"x"'),
        ((1, "a"), '[1,"a"]'),
        ([], "[]"),
        ({}, "{}"),
        ({"z": 1, "a": 2, "m": 3}, '{"z":1,"a":2,"m":3}'),
        (
            {1: "int", None: "none", False: "bool", 2.5: "float"},
            '{"1":"int","null":"none","false":"bool","2.5":"float"}',
        ),
        ({"kept": 1, "gone": MISSING}, '{"kept":1}'),
        ([MISSING], "[null]"),
        ({"nested": {"list": [{"deep": [None]}]}}, '{"nested":{"list":[{"deep":[null]}]}}'),
    ],
)
def test_compact_json_writes_json_stringify_text(value: object, text: str) -> None:
    """R0.1: no spaces, insertion order, JS numbers, NaN and infinities as ``null``, keys as strings."""
    assert compact_json(value) == text


def test_compact_json_keeps_non_ascii_and_escapes_control_characters() -> None:
    """R0.1: printable non-ASCII is written as is; control characters use the JSON escapes."""
    assert compact_json("é 日本 🙂") == '"é 日本 🙂"'
    assert compact_json('a"b\\c') == '"a\\"b\\\\c"'
    assert compact_json("\n\t\r\b\f") == '"\\n\\t\\r\\b\\f"'
    assert compact_json("\x01\x1f") == '"\\u0001\\u001f"'


def test_compact_json_replaces_structured_values_by_their_data() -> None:
    """R0.1: a structured value nested anywhere is written as its ``data``, not its text."""
    inner = StructuredValue(type="object", text="ignored", data={"k": [1, 2.0]})
    assert compact_json({"v": inner, "list": [inner]}) == '{"v":{"k":[1,2]},"list":[{"k":[1,2]}]}'
    assert compact_json(inner) == '{"k":[1,2]}'


def test_compact_json_of_a_shared_but_acyclic_member_is_written_twice() -> None:
    """R0.1: only a true cycle fails; the same list reached twice is not one."""
    shared = [1]
    assert compact_json({"a": shared, "b": [shared]}) == '{"a":[1],"b":[[1]]}'


def test_compact_json_of_a_circular_dict_falls_back_to_js_string() -> None:
    """R0.1: a circular dict cannot be serialized, so the result is ``[object Object]``."""
    circular: dict[str, object] = {"name": "loop"}
    circular["self"] = circular
    assert compact_json(circular) == "[object Object]"
    assert compact_json([circular]) == "[object Object]"


def test_compact_json_of_a_circular_list_falls_back_to_js_string() -> None:
    """R0.1: a circular list falls back to ``js_string`` instead of raising."""
    circular: list[object] = ["a"]
    circular.append(circular)
    assert compact_json(circular) == "a,"


def test_compact_json_of_an_unserializable_value_falls_back_to_js_string() -> None:
    """R0.1: any member that JSON cannot express makes the whole value fall back to ``js_string``."""
    assert compact_json(object()) == "[object Object]"
    assert compact_json({1, 2}) == "[object Object]"
    assert compact_json([1, object()]) == "1,[object Object]"
    assert compact_json({"a": object()}) == "[object Object]"


JSON_LIKE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


@given(JSON_LIKE)
def test_compact_json_agrees_with_the_json_module_on_plain_data(value: object) -> None:
    """R0.1: without floats, the text is ``json.dumps`` with compact separators and raw non-ASCII."""
    assert compact_json(value) == json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def test_a_list_met_twice_side_by_side_is_written_both_times() -> None:
    """Only a list inside itself is cut short: one shared twice (not nested) is written in full each time.

    The planted mistake, tried in a temporary copy: the cycle guard that
    forgets to release a list after writing it, which wrote the second
    occurrence as empty text.
    """
    shared = [1, "two"]
    assert js_string([shared, shared]) == "1,two,1,two"
    assert compact_json({"a": shared, "b": shared}) == '{"a":[1,"two"],"b":[1,"two"]}'
    looped: list[object] = [1]
    looped.append(looped)
    assert js_string(looped) == "1,"


def test_missing_reads_as_missing() -> None:
    """``MISSING`` (JavaScript's undefined) names itself in reprs, as in error messages and test output."""
    assert repr(MISSING) == "MISSING"
    assert repr([MISSING]) == "[MISSING]"
