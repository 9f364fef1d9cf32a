"""Structured values: output normalization, input wrapping, descriptor extraction and finalization.

Spec R0.3, R1.4, R1.5, R7.5-R7.8 and decision D5.
"""

from __future__ import annotations

from typing import Any

import pytest

from harness.pipeline import MISSING, StructuredValue, extract_stage_value, make_descriptor, normalize_output
from harness.pipeline.descriptors import SecurityDescriptor
from harness.pipeline.values import (
    apply_descriptor,
    clone_for_branch,
    extract_descriptor,
    finalize_stage_output,
    wrap_input,
)


def labelled(text: str, *labels: str, data: object = None, **descriptor: Any) -> StructuredValue:
    """A text value carrying a descriptor made of ``labels`` (and any other descriptor fields)."""
    return StructuredValue(
        type="text",
        text=text,
        data=text if data is None else data,
        descriptor=make_descriptor(labels=labels, **descriptor),
    )


def test_extract_stage_value_reads_data_of_structured_values_only() -> None:
    """R0.3: a structured value gives its data; anything else is returned unchanged."""
    payload = {"k": 1}
    assert extract_stage_value(StructuredValue(type="object", text="t", data=payload)) is payload
    assert extract_stage_value(payload) is payload
    assert extract_stage_value("s") == "s"


# --- R1.4, one test per row of the table ---------------------------------


def test_normalize_structured_value_is_the_same_object() -> None:
    """R1.4 row 1: a structured value is returned as is, not copied."""
    value = StructuredValue(type="custom", text="t", data=[1])
    assert normalize_output(value) is value


def test_normalize_none_is_a_null_value() -> None:
    """R1.4 row 2: ``None`` (JS ``null``) is type ``null`` with text ``"null"``."""
    value = normalize_output(None)
    assert (value.type, value.text, value.data) == ("null", "null", None)


def test_normalize_missing_is_empty_text() -> None:
    """R1.4 row 3: ``MISSING`` (JS ``undefined``) is empty text."""
    value = normalize_output(MISSING)
    assert (value.type, value.text, value.data) == ("text", "", "")


def test_normalize_string_is_text() -> None:
    """R1.4 row 4: a string is a ``text`` value of itself."""
    value = normalize_output("hello")
    assert (value.type, value.text, value.data) == ("text", "hello", "hello")


@pytest.mark.parametrize(
    ("raw", "text"),
    [(3, "3"), (-7, "-7"), (2.5, "2.5"), (2.0, "2"), (True, "true"), (False, "false")],
)
def test_normalize_number_or_bool_is_text_keeping_native_data(raw: object, text: str) -> None:
    """R1.4 row 5: numbers and booleans are ``text`` values (not numeric), data kept, JS text."""
    value = normalize_output(raw)
    assert (value.type, value.text) == ("text", text)
    assert value.data is raw


def test_normalize_list_is_a_new_array_of_item_data() -> None:
    """R1.4 row 6 and its example: items' data extracted into a new list, text compact JSON."""
    inner = {"k": 1}
    raw = [StructuredValue(type="text", text="a", data="a"), inner]
    value = normalize_output(raw)
    assert value.type == "array"
    assert value.data == ["a", {"k": 1}]
    assert value.data is not raw
    assert value.data[1] is inner
    assert value.text == '["a",{"k":1}]'


def test_normalize_tuple_is_an_array_list() -> None:
    """R1.4 row 6: a tuple normalizes like a list, to a list."""
    value = normalize_output((1, 2.0, None))
    assert (value.type, value.text, value.data) == ("array", "[1,2,null]", [1, 2.0, None])


def test_normalize_dict_with_content_uses_the_content_as_text() -> None:
    """R1.4 row 7 and its example: an ``object`` of the same dict; text is its ``content`` string."""
    raw = {"content": "hello", "path": "/x"}
    value = normalize_output(raw)
    assert (value.type, value.text) == ("object", "hello")
    assert value.data is raw


def test_normalize_dict_without_string_content_is_its_json() -> None:
    """R1.4 row 7: without a ``content`` string the text is the compact JSON of the dict."""
    assert normalize_output({"content": 5, "b": [1]}).text == '{"content":5,"b":[1]}'
    assert normalize_output({}).text == "{}"


def test_normalize_anything_else_is_text_of_its_json_or_js_string() -> None:
    """R1.4 row 8: any other object is ``text`` with itself as data; its JSON falls back to ``js_string``."""
    marker = object()
    value = normalize_output(marker)
    assert (value.type, value.text) == ("text", "[object Object]")
    assert value.data is marker


# --- R1.5 ---------------------------------------------------------------


def test_wrap_input_string_is_a_text_value_without_descriptor() -> None:
    """R1.5: a string becomes a ``text`` value; nothing to extract, so no metadata."""
    value = wrap_input("seed")
    assert (value.type, value.text, value.data, value.metadata) == ("text", "seed", "seed", None)
    assert value.descriptor.is_empty()


@pytest.mark.parametrize(
    ("raw", "text"),
    [(5, "5"), (None, "null"), ({"a": [1, 2.0]}, '{"a":[1,2]}'), ([1, "x"], '[1,"x"]'), (True, "true")],
)
def test_wrap_input_other_values_are_text_of_their_json(raw: object, text: str) -> None:
    """R1.5: any other value becomes type ``text`` (even a dict or list) with text ``compact_json``."""
    value = wrap_input(raw)
    assert (value.type, value.text) == ("text", text)
    assert value.data is raw


def test_wrap_input_structured_value_is_used_as_is() -> None:
    """R1.5: a structured value is the wrapper itself; its descriptor is re-applied and mirrored."""
    given = labelled("x", "secret")
    value = wrap_input(given)
    assert value is given
    assert value.descriptor.labels == ("secret",)
    assert value.metadata == {"security": value.descriptor}


def test_wrap_input_applies_the_descriptor_found_inside() -> None:
    """R1.5 with R7.5: nested structured values lend their descriptors to the wrapper."""
    value = wrap_input([labelled("a", "x"), {"k": labelled("b", "y")}, "plain"])
    assert value.text == '["a",{"k":"b"},"plain"]'
    assert value.descriptor.labels == ("x", "y")
    assert value.metadata is not None and value.metadata["security"] == value.descriptor


# --- R7.5 -----------------------------------------------------------------


@pytest.mark.parametrize("raw", [None, "text", 3, 2.5, True, {"k": "v"}, ["a", 1], []])
def test_extract_descriptor_finds_none_in_plain_data(raw: object) -> None:
    """R7.5: ``None``, scalars, strings and plain containers carry no descriptor."""
    assert extract_descriptor(raw) is None


def test_extract_descriptor_of_a_structured_value_is_always_present() -> None:
    """R7.5: a structured value gives its descriptor, even an empty one."""
    assert extract_descriptor(StructuredValue(type="text", text="", data="")) == SecurityDescriptor()


def test_extract_descriptor_drops_capability_but_keeps_policy() -> None:
    """R7.5: reading a descriptor back from a value does not carry ``capability``; policy is carried."""
    value = labelled("x", "secret", capability="pipeline", policy_context={"p": 1})
    found = extract_descriptor(value)
    assert found is not None
    assert found.capability is None
    assert found.policy_context == {"p": 1}
    assert found.labels == ("secret",)
    assert value.descriptor.capability == "pipeline"


def test_extract_descriptor_single_member_is_that_descriptor() -> None:
    """R7.5: one descriptor found inside a container is returned as it is."""
    value = labelled("x", "only")
    assert extract_descriptor(["plain", value]) is value.descriptor


def test_extract_descriptor_merges_members_recursively() -> None:
    """R7.5: list elements and dict values are searched recursively and merged in order."""
    found = extract_descriptor({"a": [labelled("1", "first")], "b": {"c": labelled("2", "second")}})
    assert found is not None
    assert found.labels == ("first", "second")


def test_extract_descriptor_ignores_cycles() -> None:
    """R7.5: a container reached again inside itself is skipped."""
    cyclic: list[object] = [labelled("x", "looped")]
    cyclic.append(cyclic)
    found = extract_descriptor(cyclic)
    assert found is not None and found.labels == ("looped",)


# --- R7.6 to R7.8 -------------------------------------------------------------


def test_finalize_merges_in_the_spec_order() -> None:
    """R7.6: input, raw output's, value's own, then each non-``None`` hint in argument order."""
    stage_input = labelled("in", "input")
    raw = ["out", labelled("nested", "raw")]
    value = labelled("out", "own")
    result = finalize_stage_output(
        value, stage_input, raw, make_descriptor(labels=["stage"]), None, make_descriptor(labels=["label"])
    )
    assert result is value
    assert value.descriptor.labels == ("input", "raw", "own", "stage", "label")
    assert value.metadata == {"security": value.descriptor}


def test_finalize_reads_the_value_when_there_is_no_raw_output() -> None:
    """R7.6 item 2: with no raw output the value itself is read, which gives only its own descriptor.

    A structured value's descriptor is its own (R7.5): values nested in its
    data are searched only when they arrive as the raw output.
    """
    value = StructuredValue(
        type="array", text="[]", data=[labelled("a", "inside")], descriptor=make_descriptor(labels=["own"])
    )
    finalize_stage_output(value, labelled("in", "input"), None)
    assert value.descriptor.labels == ("input", "own")
    searched = StructuredValue(type="array", text="[]", data=[])
    finalize_stage_output(searched, labelled("in", "input"), [labelled("a", "inside")])
    assert searched.descriptor.labels == ("input", "inside")


def test_finalize_keeps_capability_of_hints_and_of_the_value_itself() -> None:
    """R7.6 with R7.5: only descriptors read back from values lose ``capability``; hints keep it."""
    value = StructuredValue(type="text", text="v", data="v")
    finalize_stage_output(
        value, labelled("in", "input", capability="from-input"), "v", make_descriptor(capability="hint")
    )
    assert value.descriptor.capability == "hint"
    own = labelled("v", capability="own")
    finalize_stage_output(own, labelled("in"), "v")
    assert own.descriptor.capability == "own"


def test_apply_descriptor_keeps_metadata_key_positions() -> None:
    """R7.8: existing metadata keys keep their place; ``security`` is added last when new."""
    fresh = StructuredValue(type="text", text="t", data="t", metadata={"a": 1, "b": 2})
    descriptor = make_descriptor(labels=["x"])
    assert apply_descriptor(fresh, descriptor) is fresh
    assert list(fresh.metadata or {}) == ["a", "b", "security"]
    assert fresh.descriptor is descriptor
    replaced = StructuredValue(type="text", text="t", data="t", metadata={"security": None, "z": 1})
    apply_descriptor(replaced, descriptor)
    assert list(replaced.metadata or {}) == ["security", "z"]
    assert (replaced.metadata or {})["security"] is descriptor


# --- D5 -------------------------------------------------------------------------


def test_clone_for_branch_deep_copies_the_data() -> None:
    """D5: a branch's input has the shared input's type, text and descriptor and its own copy of the data."""
    data: dict[str, Any] = {"items": [1, {"deep": [2]}]}
    shared = StructuredValue(
        type="object", text="t", data=data, metadata={"m": 1}, descriptor=make_descriptor(labels=["x"])
    )
    clone = clone_for_branch(shared)
    assert clone is not shared
    assert (clone.type, clone.text, clone.descriptor) == (shared.type, shared.text, shared.descriptor)
    assert clone.data == data
    assert clone.data is not data
    assert clone.data["items"] is not data["items"]
    assert clone.data["items"][1]["deep"] is not data["items"][1]["deep"]
    assert clone.metadata == {"m": 1} and clone.metadata is not shared.metadata
    clone.data["items"].append(3)
    assert data == {"items": [1, {"deep": [2]}]}


def test_clone_for_branch_copies_a_member_whose_descriptor_has_a_policy_context() -> None:
    """D5: a described member's descriptor is shared by the copy, never copied field by field.

    The descriptor's read-only ``policy_context`` proxy cannot be deep-copied;
    without ``SecurityDescriptor.__deepcopy__`` (checked by removing it in a
    temporary copy) this raised ``cannot pickle 'mappingproxy' object``.
    """
    member = labelled("a", "member", policy_context={"scope": "team"})
    shared = StructuredValue(type="object", text="t", data={"first": member})
    clone = clone_for_branch(shared)
    copied = clone.data["first"]
    assert copied is not member and copied.text == "a"
    assert copied.descriptor is member.descriptor
    assert dict(copied.descriptor.policy_context or {}) == {"scope": "team"}


def test_a_list_held_twice_gives_the_descriptor_of_two_equal_lists() -> None:
    """Sharing is not nesting: a member list met a second time is read again, as its copy would be (R7.5).

    The planted mistake, tried in a temporary copy: the guard against cycles
    that forgets to release a container once read, which skipped the second
    occurrence and returned the one member descriptor unmerged (its taint in
    another order than a merge gives).
    """
    member = StructuredValue(
        type="text", text="t", data="t", descriptor=make_descriptor(labels=("secret",), taint=("upload",))
    )
    inner = [member]
    copied = [StructuredValue(type="text", text="t", data="t", descriptor=member.descriptor)]
    assert extract_descriptor([inner, inner]) == extract_descriptor([inner, copied])
    assert extract_descriptor({"a": inner, "b": inner}) == extract_descriptor({"a": inner, "b": copied})
