"""Security descriptors: labels, taint, sources, tool provenance, capability, policy.

A descriptor travels with every structured value. Stages merge the descriptors
they see so that no label or taint is lost on the way through a pipeline; the
merge rules here are the executor's contract (spec section 7): ordered,
de-duplicated unions, labels also counted as taint, tools de-duplicated by
audit reference, the last capability wins and policy contexts merge shallowly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, final

__all__ = [
    "EMPTY_DESCRIPTOR",
    "SecurityDescriptor",
    "ToolProvenance",
    "make_descriptor",
    "merge_descriptors",
    "normalize_descriptor",
]


@final
@dataclass(frozen=True, slots=True)
class ToolProvenance:
    """One tool that touched a value: its name, the arguments worth keeping, an audit reference."""

    name: str
    args: tuple[str, ...] | None = None
    audit_ref: str | None = None


@final
@dataclass(frozen=True, slots=True)
class SecurityDescriptor:
    """The security facts carried by a value; build it with :func:`make_descriptor`.

    ``labels``, ``taint`` and ``sources`` are ordered and free of duplicates;
    ``policy_context`` is a read-only mapping (``None`` when absent, possibly empty).
    """

    labels: tuple[str, ...] = ()
    taint: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    tools: tuple[ToolProvenance, ...] | None = None
    capability: str | None = None
    policy_context: Mapping[str, Any] | None = field(default=None)

    def __deepcopy__(self, memo: dict[int, object]) -> SecurityDescriptor:
        # Immutable, so a copy shares it. Copying field by field would reach the
        # read-only ``policy_context`` proxy, which cannot be copied, and fail
        # every deep copy of a value holding a described member (a group's input).
        return self

    def is_empty(self) -> bool:
        """Return whether the descriptor carries nothing at all."""
        return (
            not self.labels
            and not self.taint
            and not self.sources
            and self.tools is None
            and self.capability is None
            and self.policy_context is None
        )


EMPTY_DESCRIPTOR = SecurityDescriptor()


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _normalize_tools(tools: Iterable[object] | None) -> tuple[ToolProvenance, ...] | None:
    """Trim names, args and audit refs; drop nameless tools and repeated audit refs."""
    if tools is None:
        return None
    normalized: list[ToolProvenance] = []
    seen_refs: set[str] = set()
    for tool in tools:
        name: object
        args: object
        audit_ref: object
        if isinstance(tool, ToolProvenance):
            name, args, audit_ref = tool.name, tool.args, tool.audit_ref
        elif isinstance(tool, Mapping):
            name, args, audit_ref = tool.get("name"), tool.get("args"), tool.get("audit_ref")
        else:
            continue
        if not isinstance(name, str) or not name.strip():
            continue
        kept_args = tuple(a.strip() for a in (args or ()) if isinstance(a, str) and a.strip())
        ref = audit_ref.strip() if isinstance(audit_ref, str) and audit_ref.strip() else None
        if ref is not None:
            if ref in seen_refs:
                continue
            seen_refs.add(ref)
        normalized.append(ToolProvenance(name.strip(), kept_args or None, ref))
    return tuple(normalized) or None


def _freeze_policy(policy_context: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    return None if policy_context is None else MappingProxyType(dict(policy_context))


def make_descriptor(
    *,
    labels: Iterable[str] = (),
    taint: Iterable[str] = (),
    sources: Iterable[str] = (),
    tools: Iterable[ToolProvenance | Mapping[str, Any]] | None = (),
    capability: str | None = None,
    policy_context: Mapping[str, Any] | None = None,
) -> SecurityDescriptor:
    """Build a descriptor: labels de-duplicated, and taint = given taint then labels.

    >>> make_descriptor(labels=["secret", "pii", "secret"], taint=["src:file"]).taint
    ('src:file', 'secret', 'pii')
    """
    unique_labels = _dedupe(labels)
    return SecurityDescriptor(
        labels=unique_labels,
        taint=_dedupe([*taint, *unique_labels]),
        sources=_dedupe(sources),
        tools=_normalize_tools(tools),
        capability=capability,
        policy_context=_freeze_policy(policy_context),
    )


def _as_strings(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return [item for item in value if isinstance(item, str)]
    return []


def normalize_descriptor(value: object) -> SecurityDescriptor | None:
    """Return ``value`` as a descriptor: ``None`` stays ``None``, a descriptor is kept.

    A mapping with descriptor keys is rebuilt through :func:`make_descriptor`,
    single strings being taken as one-element lists.
    """
    if value is None or isinstance(value, SecurityDescriptor):
        return value
    if not isinstance(value, Mapping):
        raise TypeError(f"not a security descriptor: {value!r}")
    tools = value.get("tools")
    if isinstance(tools, (Mapping, ToolProvenance)):
        tools = [tools]
    return make_descriptor(
        labels=_as_strings(value.get("labels")),
        taint=_as_strings(value.get("taint")),
        sources=_as_strings(value.get("sources")),
        tools=tools if isinstance(tools, Iterable) else None,
        capability=value.get("capability") if isinstance(value.get("capability"), str) else None,
        policy_context=value.get("policy_context") if isinstance(value.get("policy_context"), Mapping) else None,
    )


def merge_descriptors(*descriptors: SecurityDescriptor | Mapping[str, Any] | None) -> SecurityDescriptor:
    """Merge descriptors in order; ``None`` entries are skipped.

    Each descriptor adds its labels to both the labels and the taint, then its
    taint, then its sources; tools are appended unless their audit reference was
    seen; the last truthy capability wins; policy contexts merge, later keys
    winning. Merging nothing gives the empty descriptor.
    """
    labels: list[str] = []
    taint: list[str] = []
    sources: list[str] = []
    tools: list[ToolProvenance] = []
    seen_refs: set[str] = set()
    capability: str | None = None
    policy: dict[str, Any] | None = None
    for raw in descriptors:
        descriptor = normalize_descriptor(raw)
        if descriptor is None:
            continue
        labels.extend(descriptor.labels)
        taint.extend(descriptor.labels)
        taint.extend(descriptor.taint)
        sources.extend(descriptor.sources)
        for tool in descriptor.tools or ():
            if tool.audit_ref is not None:
                if tool.audit_ref in seen_refs:
                    continue
                seen_refs.add(tool.audit_ref)
            tools.append(tool)
        if descriptor.capability:
            capability = descriptor.capability
        if descriptor.policy_context is not None:
            policy = {**(policy or {}), **descriptor.policy_context}
    return SecurityDescriptor(
        labels=_dedupe(labels),
        taint=_dedupe(taint),
        sources=_dedupe(sources),
        tools=_normalize_tools(tools) if tools else None,
        capability=capability,
        policy_context=_freeze_policy(policy),
    )
