"""Security descriptors: ``make_descriptor``, ``normalize_descriptor``, ``merge_descriptors`` (spec R7.1-R7.4)."""

from __future__ import annotations

import pytest

from harness.pipeline import (
    SecurityDescriptor,
    ToolProvenance,
    make_descriptor,
    merge_descriptors,
    normalize_descriptor,
)


def test_make_descriptor_spec_example() -> None:
    """R7.2: labels de-duplicated; taint is the given taint, then the labels."""
    descriptor = make_descriptor(labels=["secret", "pii", "secret"], taint=["src:file"])
    assert descriptor.labels == ("secret", "pii")
    assert descriptor.taint == ("src:file", "secret", "pii")


def test_make_descriptor_without_arguments_is_empty() -> None:
    """R7.1/R7.2: nothing given gives empty tuples and no tools, capability or policy."""
    descriptor = make_descriptor()
    assert descriptor == SecurityDescriptor()
    assert descriptor.is_empty()
    assert descriptor.tools is None


def test_make_descriptor_dedupes_keeping_first_seen_order() -> None:
    """R7.1: every string tuple keeps first-seen order without duplicates."""
    descriptor = make_descriptor(labels=["b", "a", "b"], taint=["a", "t", "a"], sources=["s2", "s1", "s2"])
    assert descriptor.labels == ("b", "a")
    assert descriptor.taint == ("a", "t", "b")
    assert descriptor.sources == ("s2", "s1")


def test_make_descriptor_normalizes_tools() -> None:
    """R7.2: names and args trimmed, empty args omitted, nameless tools dropped, empty audit refs absent."""
    descriptor = make_descriptor(
        tools=[
            ToolProvenance("  fetch ", args=(" url ", "  ", ""), audit_ref=" r1 "),
            ToolProvenance("   "),
            {"name": None},
            {"name": "parse", "args": ["", 3, " json "], "audit_ref": "  "},
            {"name": "noargs", "args": ["  "]},
        ]
    )
    assert descriptor.tools == (
        ToolProvenance("fetch", args=("url",), audit_ref="r1"),
        ToolProvenance("parse", args=("json",), audit_ref=None),
        ToolProvenance("noargs", args=None, audit_ref=None),
    )


def test_make_descriptor_drops_tools_with_a_repeated_audit_ref_only() -> None:
    """R7.2: a tool whose audit ref was seen is dropped; tools without an audit ref never are."""
    descriptor = make_descriptor(
        tools=[
            ToolProvenance("a", audit_ref="r"),
            ToolProvenance("b", audit_ref="r"),
            ToolProvenance("c"),
            ToolProvenance("c"),
        ]
    )
    assert descriptor.tools == (ToolProvenance("a", audit_ref="r"), ToolProvenance("c"), ToolProvenance("c"))


def test_make_descriptor_with_only_unusable_tools_has_none() -> None:
    """R7.2: an empty tool list after normalization is ``None``."""
    assert make_descriptor(tools=[ToolProvenance(" ")]).tools is None
    assert make_descriptor(tools=[]).tools is None


def test_make_descriptor_copies_the_policy_and_keeps_an_empty_one() -> None:
    """R7.2: the policy context is a shallow copy; an empty dict stays ``{}``, not ``None``."""
    policy = {"mode": "strict"}
    descriptor = make_descriptor(policy_context=policy, capability="pipeline")
    policy["mode"] = "changed"
    assert descriptor.policy_context == {"mode": "strict"}
    assert descriptor.capability == "pipeline"
    empty = make_descriptor(policy_context={})
    assert empty.policy_context is not None
    assert dict(empty.policy_context) == {}
    assert not empty.is_empty()


def test_normalize_descriptor_keeps_none_and_descriptors() -> None:
    """R7.3: ``None`` stays ``None``; a well-formed descriptor is returned as is (the same object)."""
    descriptor = make_descriptor(labels=["x"])
    assert normalize_descriptor(None) is None
    assert normalize_descriptor(descriptor) is descriptor


def test_normalize_descriptor_wraps_scalars_into_lists() -> None:
    """R7.3: a mapping's single strings become one-element lists, built with ``make_descriptor``."""
    descriptor = normalize_descriptor(
        {
            "labels": "secret",
            "taint": "src:net",
            "sources": "http",
            "tools": {"name": " curl ", "audit_ref": "a1"},
            "capability": "cap",
            "policy_context": {"p": 1},
        }
    )
    assert descriptor == make_descriptor(
        labels=["secret"],
        taint=["src:net"],
        sources=["http"],
        tools=[ToolProvenance("curl", audit_ref="a1")],
        capability="cap",
        policy_context={"p": 1},
    )
    assert descriptor is not None and descriptor.taint == ("src:net", "secret")


def test_normalize_descriptor_rejects_what_is_no_descriptor() -> None:
    """R7.3: only ``None``, descriptors and mappings can be read as descriptors."""
    with pytest.raises(TypeError, match="not a security descriptor"):
        normalize_descriptor(42)


def test_merge_descriptors_spec_example() -> None:
    """R7.4: labels first in a merge's taint, last truthy capability, later policy keys win."""
    merged = merge_descriptors(
        make_descriptor(labels=["secret"], taint=["src:file"]),
        make_descriptor(labels=["net"], capability="pipeline", policy_context={"a": 1}),
        make_descriptor(policy_context={"a": 2, "b": 3}),
    )
    assert merged.labels == ("secret", "net")
    assert merged.taint == ("secret", "src:file", "net")
    assert merged.capability == "pipeline"
    assert merged.policy_context == {"a": 2, "b": 3}


def test_merge_orders_taint_labels_first_where_make_orders_it_taint_first() -> None:
    """R7.2/R7.4 (spec 12.18): the same facts give different taint orders through make and merge."""
    made = make_descriptor(labels=["L"], taint=["T"])
    assert made.taint == ("T", "L")
    assert merge_descriptors(made).taint == ("L", "T")


def test_merge_of_nothing_is_the_empty_descriptor() -> None:
    """R7.4: merging nothing (or only ``None``) yields an empty descriptor, not ``None``."""
    assert merge_descriptors() == SecurityDescriptor()
    assert merge_descriptors(None, None) == SecurityDescriptor()


def test_merge_skips_none_and_normalizes_mappings() -> None:
    """R7.4: ``None`` entries are skipped; raw mappings are normalized first."""
    merged = merge_descriptors(None, {"labels": "a", "sources": ["s"]}, make_descriptor(labels=["b"], sources=["s"]))
    assert merged.labels == ("a", "b")
    assert merged.taint == ("a", "b")
    assert merged.sources == ("s",)


def test_merge_dedupes_tools_by_audit_ref_across_descriptors() -> None:
    """R7.4: a tool whose audit ref an earlier descriptor carried is skipped; ref-less tools stay."""
    merged = merge_descriptors(
        make_descriptor(tools=[ToolProvenance("first", audit_ref="r")]),
        make_descriptor(tools=[ToolProvenance("second", audit_ref="r"), ToolProvenance("free")]),
        make_descriptor(tools=[ToolProvenance("free")]),
    )
    assert merged.tools == (ToolProvenance("first", audit_ref="r"), ToolProvenance("free"), ToolProvenance("free"))


def test_merge_without_tools_has_none() -> None:
    """R7.4: no tool anywhere gives ``tools is None``."""
    assert merge_descriptors(make_descriptor(labels=["a"]), make_descriptor()).tools is None


@pytest.mark.parametrize(
    ("capabilities", "expected"),
    [
        (["first", "second"], "second"),
        (["first", None], "first"),
        (["first", ""], "first"),
        ([None, "late"], "late"),
        ([None, None], None),
    ],
)
def test_merge_keeps_the_last_truthy_capability(capabilities: list[str | None], expected: str | None) -> None:
    """R7.4: ``capability`` is the last truthy one."""
    merged = merge_descriptors(*(make_descriptor(capability=c) for c in capabilities))
    assert merged.capability == expected


def test_merge_policy_contexts_shallowly_and_keeps_an_empty_one() -> None:
    """R7.4: policies merge shallowly (later keys win, nested values replaced); an empty one stays ``{}``."""
    merged = merge_descriptors(
        make_descriptor(policy_context={"a": {"deep": 1}, "b": 1}),
        make_descriptor(),
        make_descriptor(policy_context={"a": {"other": 2}}),
    )
    assert merged.policy_context == {"a": {"other": 2}, "b": 1}
    only_empty = merge_descriptors(make_descriptor(policy_context={}), make_descriptor(labels=["x"]))
    assert only_empty.policy_context is not None
    assert dict(only_empty.policy_context) == {}
    assert merge_descriptors(make_descriptor(labels=["x"])).policy_context is None
