"""Structured values: wrapping the input, normalizing outputs, reading and applying descriptors.

These are the executor's rules for turning whatever a command returns into a
:class:`~harness.pipeline.types.StructuredValue` (spec R1.4, R1.5) and for
finalizing a stage output so that every descriptor it has seen is merged into
it (spec R7.5 to R7.8). Both executors and the parallel-stage runner use them.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import replace

from .descriptors import SecurityDescriptor, merge_descriptors, normalize_descriptor
from .serialization import MISSING, compact_json, js_string
from .types import StructuredValue

__all__ = [
    "apply_descriptor",
    "clone_for_branch",
    "extract_descriptor",
    "extract_stage_value",
    "finalize_stage_output",
    "normalize_output",
    "text_value",
    "wrap_input",
]


def extract_stage_value(value: object) -> object:
    """Return ``value.data`` for a structured value, otherwise ``value`` itself."""
    return value.data if isinstance(value, StructuredValue) else value


def text_value(text: str) -> StructuredValue:
    """Return a plain ``text`` value."""
    return StructuredValue(type="text", text=text, data=text)


def normalize_output(raw: object) -> StructuredValue:
    """Turn a command's raw output into a structured value (spec R1.4).

    A structured value is returned as is (the same object). Numbers and
    booleans become ``text`` values that keep their native data; lists become
    ``array`` values of their items' data; a dict's text is its ``content``
    string when it has one, otherwise its compact JSON.
    """
    if isinstance(raw, StructuredValue):
        return raw
    if raw is None:
        return StructuredValue(type="null", text="null", data=None)
    if raw is MISSING:
        return StructuredValue(type="text", text="", data="")
    if isinstance(raw, str):
        return text_value(raw)
    if isinstance(raw, (bool, int, float)):
        return StructuredValue(type="text", text=js_string(raw), data=raw)
    if isinstance(raw, (list, tuple)):
        items = [extract_stage_value(item) for item in raw]
        return StructuredValue(type="array", text=compact_json(items), data=items)
    if isinstance(raw, dict):
        content = raw.get("content")
        text = content if isinstance(content, str) else compact_json(raw)
        return StructuredValue(type="object", text=text, data=raw)
    return StructuredValue(type="text", text=compact_json(raw), data=raw)


def wrap_input(value: object) -> StructuredValue:
    """Wrap the pipeline input (spec R1.5) and apply the descriptor found inside it."""
    if isinstance(value, StructuredValue):
        wrapper = value
    elif isinstance(value, str):
        wrapper = text_value(value)
    else:
        wrapper = StructuredValue(type="text", text=compact_json(value), data=value)
    descriptor = extract_descriptor(value)
    if descriptor is not None:
        apply_descriptor(wrapper, descriptor)
    return wrapper


def extract_descriptor(value: object) -> SecurityDescriptor | None:
    """Collect the descriptors found in ``value``, recursively (spec R7.5).

    A structured value gives its own descriptor without ``capability``; lists
    and dicts merge their members' descriptors; anything else has none.
    """
    return _extract(value, set())


def _extract(value: object, active: set[int]) -> SecurityDescriptor | None:
    if isinstance(value, StructuredValue):
        descriptor = value.descriptor
        return descriptor if descriptor.capability is None else replace(descriptor, capability=None)
    if isinstance(value, (list, tuple, Mapping)):
        if id(value) in active:
            return None
        active.add(id(value))
        try:
            members = value.values() if isinstance(value, Mapping) else value
            found = [d for d in (_extract(member, active) for member in members) if d is not None]
        finally:
            active.discard(id(value))
        if not found:
            return None
        return found[0] if len(found) == 1 else merge_descriptors(*found)
    return None


def apply_descriptor(value: StructuredValue, descriptor: SecurityDescriptor) -> StructuredValue:
    """Set ``value``'s descriptor in place and mirror it in ``metadata["security"]``."""
    normalized = normalize_descriptor(descriptor)
    assert normalized is not None
    value.descriptor = normalized
    value.metadata = {**(value.metadata or {}), "security": normalized}
    return value


def finalize_stage_output(
    value: StructuredValue,
    stage_input: StructuredValue,
    raw_output: object,
    *hints: SecurityDescriptor | None,
) -> StructuredValue:
    """Merge into ``value`` every descriptor the stage saw, in order (spec R7.6).

    The order is: the stage input's, the one found in the raw output (or in
    ``value`` when there is no raw output), ``value``'s own, then each hint
    (the stage descriptor and the label descriptor; for a parallel aggregate,
    the merged branch descriptor). ``value`` is updated in place and returned.
    """
    collected: list[SecurityDescriptor] = []
    for found in (
        extract_descriptor(stage_input),
        extract_descriptor(value if raw_output is None else raw_output),
        value.descriptor,
        *hints,
    ):
        if found is not None:
            collected.append(found)
    if not collected:
        return value
    return apply_descriptor(value, collected[0] if len(collected) == 1 else merge_descriptors(*collected))


def clone_for_branch(shared: StructuredValue) -> StructuredValue:
    """Give one parallel branch its own copy of the shared input, data deep-copied (decision D5)."""
    return StructuredValue(
        type=shared.type,
        text=shared.text,
        data=copy.deepcopy(shared.data),
        metadata=dict(shared.metadata) if shared.metadata is not None else None,
        descriptor=shared.descriptor,
    )
