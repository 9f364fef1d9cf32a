"""Error markers of parallel branches and the published error list (spec R4.1-R4.4)."""

from __future__ import annotations

import pytest

from harness.pipeline import StructuredValue, compact_json, format_error, normalize_output
from harness.pipeline.markers import ErrorContext, build_marker, collect_marker_shaped, marker_value
from harness.pipeline.types import BranchResult


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (Exception("Directive error (run): denied by policy at line 4, column 10"), "denied by policy"),
        ("plain", "plain"),
        ({"code": 403}, '{"code":403}'),
        (
            Exception("Inline effect @show failed: Directive error (show): x at line 3"),
            "Inline effect @show failed: Directive error (show): x at line 3",
        ),
    ],
)
def test_format_error_spec_examples(error: object, message: str) -> None:
    """R4.2: the spec's four examples."""
    assert format_error(error) == message


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (Exception("boom:seed"), "boom:seed"),
        (Exception("failed at line 3"), "failed at line 3"),
        (Exception("Directive error (run): a: b at line 1 at line 2"), "a: b"),
        (Exception("Directive error (run): no location"), "no location"),
        (Exception("Directive error (run) no separator at line 2"), "Directive error (run) no separator"),
        (ValueError(""), ""),
        (None, "null"),
        (5, "5"),
        ([1, "a", None], '[1,"a",null]'),
        (object(), "[object Object]"),
    ],
)
def test_format_error_other_cases(error: object, message: str) -> None:
    """R4.2: the prefix is dropped up to the first ``": "`` and the message cut at its first location."""
    assert format_error(error) == message


def test_build_marker_has_the_spec_keys_in_order() -> None:
    """R4.1: keys ``index, key, message, error, value``; value is the branch input's data."""
    data = {"payload": [1]}
    marker = build_marker(2, Exception("Directive error (run): denied at line 1"), StructuredValue("object", "t", data))
    assert list(marker) == ["index", "key", "message", "error", "value"]
    assert marker == {"index": 2, "key": 2, "message": "denied", "error": "denied", "value": data}
    assert marker["value"] is data


def test_marker_spec_example_text() -> None:
    """R4.1 example: group input ``"seed"``, branch 1 raised ``boom:seed``."""
    marker = build_marker(1, Exception("boom:seed"), normalize_output("seed"))
    assert compact_json(marker) == '{"index":1,"key":1,"message":"boom:seed","error":"boom:seed","value":"seed"}'


def test_marker_value_wraps_the_marker_as_an_object() -> None:
    """R3.2 step 3: a marker becomes an ``object`` value, text its compact JSON, empty descriptor."""
    marker = build_marker(0, Exception("x"), normalize_output("in"))
    value = marker_value(marker)
    assert (value.type, value.text) == ("object", compact_json(marker))
    assert value.data is marker
    assert value.descriptor.is_empty()


def branches_returning(*raws: object) -> list[BranchResult]:
    """Successful branch results whose outputs are the normalized ``raws``."""
    return [BranchResult(value=normalize_output(raw)) for raw in raws]


def test_second_pass_spec_example() -> None:
    """R4.4 example: a marker-shaped output without ``value`` gives a marker without ``value``."""
    collected = collect_marker_shaped(branches_returning({"message": "bad", "error": "E1", "key": "a"}))
    assert collected == [{"index": 0, "key": "a", "message": "bad", "error": "E1"}]
    assert list(collected[0]) == ["index", "key", "message", "error"]


def test_second_pass_needs_both_message_and_error() -> None:
    """R4.4: only dicts with BOTH ``message`` and ``error`` keys are collected, at their positions."""
    collected = collect_marker_shaped(
        branches_returning(
            {"message": "only message"},
            {"error": "only error"},
            "text",
            ["message", "error"],
            {"message": "m", "error": "e", "value": None},
        )
    )
    assert collected == [{"index": 4, "key": 4, "message": "m", "error": "e", "value": None}]


@pytest.mark.parametrize(
    ("shape", "index", "key"),
    [
        ({"index": 7}, 7, 0),
        ({"index": 2.5}, 2.5, 0),
        ({"index": True}, 0, 0),
        ({"index": "3"}, 0, 0),
        ({"key": None}, 0, 0),
        ({"key": 0}, 0, 0),
        ({"key": ""}, 0, ""),
        ({"key": "k", "index": None}, 0, "k"),
    ],
)
def test_second_pass_index_and_key(shape: dict[str, object], index: object, key: object) -> None:
    """R4.4: ``index`` kept when numeric (not bool), ``key`` kept unless absent or ``None``."""
    marker = collect_marker_shaped(branches_returning({"message": "m", "error": "e", **shape}))[0]
    assert (marker["index"], marker["key"]) == (index, key)


@pytest.mark.parametrize(
    ("message", "error", "shown"),
    [
        ("m", "e", ("m", "e")),
        (None, "e", ("e", "e")),
        ("m", None, ("m", "m")),
        (None, None, ("null", "null")),
        ({"a": 1}, 404, ("[object Object]", "404")),
        (False, [1, 2], ("false", "1,2")),
    ],
)
def test_second_pass_message_and_error_text(message: object, error: object, shown: tuple[str, str]) -> None:
    """R4.4 with R0.2: each falls back to the other when ``None``; both are ``js_string`` text."""
    marker = collect_marker_shaped(branches_returning({"message": message, "error": error}))[0]
    assert (marker["message"], marker["error"]) == shown


def test_second_pass_reads_the_data_of_structured_outputs() -> None:
    """R4.4: the candidate is the branch output's data, wherever the dict came from."""
    wrapped = StructuredValue(type="text", text="looks plain", data={"message": "m", "error": "e", "value": 1})
    assert collect_marker_shaped([BranchResult(value=wrapped)]) == [
        {"index": 0, "key": 0, "message": "m", "error": "e", "value": 1}
    ]


def test_error_context_publishes_the_live_list() -> None:
    """R4.3: publishing keeps the very list, so later appends are visible; a new publish replaces it."""
    context = ErrorContext()
    assert context.latest_errors == []
    errors: list[dict[str, object]] = []
    context.publish(errors)
    assert context.latest_errors is errors
    errors.append({"index": 0})
    assert context.latest_errors == [{"index": 0}]
    replacement: list[dict[str, object]] = []
    context.publish(replacement)
    assert context.latest_errors is replacement
    assert context.publications == 2
    context.reset()
    assert (context.latest_errors, context.publications) == ([], 0)
