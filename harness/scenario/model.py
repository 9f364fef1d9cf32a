"""Scenario values: one pipeline run described as data, parsed once from a file.

A :class:`Scenario` names its commands (:class:`CommandSpec`), the stages that
run them and the pipeline input; nothing in it is code.  Every class here is a
frozen value that checks its own invariants and raises :class:`ValueError`
when they do not hold, so a scenario built in code (by a strategy, say) obeys
the same rules as one read by :mod:`harness.scenario.loader`.

Values that the file format leaves free (``input``, ``returns``, the items of
``returns_each``, ``hint``, ``policy_context``) are kept exactly as ``tomllib``
and ``json`` produce them: ``str``, ``int``, ``float``, ``bool``, ``list`` and
``dict``.  A tuple would compare unequal to the list it came from and a
read-only mapping would serialize differently downstream, so they stay plain;
treat them as read-only and copy before handing them to code that mutates.
Those fields are left out of ``hash()``; equality compares them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from copy import deepcopy
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, TypeAlias

__all__ = [
    "DEFAULT_DEADLINE_MS",
    "INTERRUPTIONS",
    "JS_ANSWERS",
    "NAME_PATTERN",
    "RESERVED_NAMES",
    "CommandSpec",
    "DescriptorSpec",
    "JSONValue",
    "Scenario",
    "StageSpec",
    "ToolSpec",
    "Transform",
]

# Real objects rather than strings, so that typing.get_type_hints() (and tools
# built on it, such as hypothesis' builds()) can resolve the annotations.
JSONValue: TypeAlias = str | int | float | bool | list["JSONValue"] | dict[str, "JSONValue"]
StageSpec: TypeAlias = str | tuple[str, ...]
"""A sequential stage (a command name) or a parallel group (a tuple of names)."""
Transform: TypeAlias = Literal["upper", "lower"]

DEFAULT_DEADLINE_MS = 3_600_000
NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
"""What a command or effect name looks like (match it with ``fullmatch``)."""
RESERVED_NAMES = frozenset({"__source__", "__identity__"})
"""Command names the executor gives a meaning of its own."""

INTERRUPTIONS = ("KeyboardInterrupt", "SystemExit")
"""The ``BaseException`` classes a command may raise with ``interrupts``."""

JS_ANSWERS = ("null", "undefined", "object")
"""What ``returns_js`` may name: JavaScript answers TOML cannot write (JSON ``null``, ``undefined``, a non-JSON object)."""

_ANSWER_KEYS = ("returns", "returns_json", "returns_each", "join", "raises", "interrupts", "returns_js")


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolSpec:
    """One tool-provenance entry of a descriptor."""

    name: str
    args: tuple[str, ...] | None = None
    audit_ref: str | None = None

    def __post_init__(self) -> None:
        if self.args is not None:
            _check_strings(self.args, "ToolSpec.args")

    def to_document(self) -> dict[str, object]:
        document: dict[str, object] = {"name": self.name}
        if self.args is not None:
            document["args"] = list(self.args)
        if self.audit_ref is not None:
            document["audit_ref"] = self.audit_ref
        return document


@dataclass(frozen=True, slots=True, kw_only=True)
class DescriptorSpec:
    """A security descriptor as written in a scenario: labels, taint, sources, tools."""

    labels: tuple[str, ...] = ()
    taint: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    tools: tuple[ToolSpec, ...] = ()
    capability: str | None = None
    policy_context: dict[str, JSONValue] | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        for name in ("labels", "taint", "sources"):
            _check_strings(getattr(self, name), f"DescriptorSpec.{name}")
        if not isinstance(self.tools, tuple) or not all(isinstance(t, ToolSpec) for t in self.tools):
            raise ValueError("DescriptorSpec.tools must be a tuple of ToolSpec")
        if self.policy_context is not None and not (
            isinstance(self.policy_context, dict) and _is_plain(self.policy_context)
        ):
            raise ValueError("DescriptorSpec.policy_context must be a JSON-like dict")

    @property
    def has_only_labels(self) -> bool:
        """Whether the short ``*_labels`` form of the file says all of it."""
        return self == DescriptorSpec(labels=self.labels)

    def to_document(self) -> dict[str, object]:
        document: dict[str, object] = {}
        for name in ("labels", "taint", "sources"):
            if getattr(self, name):
                document[name] = list(getattr(self, name))
        if self.tools:
            document["tools"] = [tool.to_document() for tool in self.tools]
        if self.capability is not None:
            document["capability"] = self.capability
        if self.policy_context is not None:
            document["policy_context"] = deepcopy(self.policy_context)
        return document


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandSpec:
    """How one named command answers when a stage calls it.

    It answers with ``returns``, the value of the JSON text ``returns_json``
    (where JSON ``null`` may appear), the next item of ``returns_each`` (the last
    one repeats), the ``join`` of its input parsed as a JSON array, or raises
    ``raises``.  With ``retry`` it first asks for a retry (for calls before
    ``retry_until``, or always).  A command with none of these, and that does
    not ``hang``, answers with its input text: the identity.
    ``interrupts`` names a ``BaseException`` (one of :data:`INTERRUPTIONS`)
    it raises instead of answering. When it runs it first sets the process
    environment variables of ``set_env``, and with ``mutates_input`` changes
    its input's data in place (a dict gains ``"mutated_by_NAME": true``, a
    list gains ``NAME``).
    ``returns_js`` answers with one of :data:`JS_ANSWERS`, and
    ``member_descriptors`` makes the Nth item of an array answer (the Nth
    value of a table answer) a value carrying the Nth descriptor.

    ``has_hint`` tells an absent hint from one given as ``None`` (JSON
    ``null``); it is set on its own whenever ``hint`` is not ``None``.
    """

    name: str
    returns: JSONValue | None = field(default=None, hash=False)
    returns_json: str | None = None
    returns_each: tuple[JSONValue, ...] | None = field(default=None, hash=False)
    join: str | None = None
    raises: str | None = None
    raises_from: int | None = None
    duration_ms: int = 0
    retry: bool = False
    retry_until: int | None = None
    hint: JSONValue | None = field(default=None, hash=False)
    has_hint: bool = False
    from_stage: int | None = None
    labels: tuple[str, ...] = ()
    result_descriptor: DescriptorSpec | None = None
    result_plain_descriptor: JSONValue | None = field(default=None, hash=False)
    value_descriptor: DescriptorSpec | None = None
    effects: tuple[str, ...] = ()
    transform: Transform | None = None
    hang: bool = False
    set_env: Mapping[str, str] = field(default_factory=dict, hash=False)
    mutates_input: bool = False
    interrupts: str | None = None
    returns_js: str | None = None
    member_descriptors: tuple[DescriptorSpec, ...] | None = None

    def __post_init__(self) -> None:
        if self.hint is not None:
            object.__setattr__(self, "has_hint", True)
        object.__setattr__(self, "set_env", dict(self.set_env))  # plain, so the spec still deep-copies
        if not all(isinstance(k, str) and k and "=" not in k and isinstance(v, str) for k, v in self.set_env.items()):
            raise ValueError("CommandSpec.set_env must map variable names to strings")
        if self.interrupts is not None and self.interrupts not in INTERRUPTIONS:
            raise ValueError(f"interrupts must be one of {', '.join(INTERRUPTIONS)}, not {self.interrupts!r}")
        _check_name(self.name, "command")
        if self.name in RESERVED_NAMES:
            raise ValueError(f'reserved command name "{self.name}" (the executor gives it its own meaning)')
        if self.returns is not None and not _is_plain(self.returns):
            raise ValueError("CommandSpec.returns must be a JSON-like value")
        if self.returns_json is not None and not isinstance(self.returns_json, str):
            raise ValueError("CommandSpec.returns_json must be a string of JSON text")
        if self.returns_each is not None and not (
            isinstance(self.returns_each, tuple) and self.returns_each and _is_plain(list(self.returns_each))
        ):
            raise ValueError("CommandSpec.returns_each must be a non-empty tuple of JSON-like values")
        if self.hint is not None and not _is_plain(self.hint):
            raise ValueError("CommandSpec.hint must be a JSON-like value")
        if self.result_plain_descriptor is not None and not _is_plain(self.result_plain_descriptor):
            raise ValueError("CommandSpec.result_plain_descriptor must be a JSON-like value")
        if self.result_plain_descriptor is not None and self.result_descriptor is not None:
            raise ValueError("`result_descriptor` and `result_plain_descriptor` cannot be combined")
        _check_strings(self.labels, "CommandSpec.labels")
        _check_strings(self.effects, "CommandSpec.effects")
        for effect in self.effects:
            _check_name(effect, "effect")
        if self.duration_ms < 0:
            raise ValueError("CommandSpec.duration_ms must be >= 0")
        if self.retry_until is not None and self.retry_until < 1:
            raise ValueError("CommandSpec.retry_until must be >= 1")
        if self.raises_from is not None and self.raises_from < 1:
            raise ValueError("CommandSpec.raises_from must be >= 1")
        if self.from_stage is not None and self.from_stage < 0:
            raise ValueError("CommandSpec.from_stage must be >= 0")
        if self.transform not in (None, "upper", "lower"):
            raise ValueError(f"transform must be 'upper' or 'lower', not {self.transform!r}")
        if self.returns_js is not None and self.returns_js not in JS_ANSWERS:
            raise ValueError(f"returns_js must be one of {', '.join(JS_ANSWERS)}, not {self.returns_js!r}")
        if self.member_descriptors is not None:
            if not isinstance(self.member_descriptors, tuple) or not all(
                isinstance(spec, DescriptorSpec) for spec in self.member_descriptors
            ):
                raise ValueError("CommandSpec.member_descriptors must be a tuple of DescriptorSpec")
            answers = [self.returns] if self.returns is not None else list(self.returns_each or ())
            if not answers or not all(isinstance(answer, (list, dict)) for answer in answers):
                raise ValueError("`member_descriptors` needs `returns` or `returns_each` answering arrays or tables")
        problem = self._conflict()
        if problem is not None:
            raise ValueError(problem)

    def _conflict(self) -> str | None:
        given = [key for key in _ANSWER_KEYS if getattr(self, key) is not None]
        if len(given) > 1:
            return f"`{given[0]}` and `{given[1]}` cannot be combined (a command answers in one way)"
        for failing in ("raises", "interrupts"):
            if getattr(self, failing) is not None and self.retry:
                return f"`{failing}` and `retry` cannot be combined"
            if getattr(self, failing) is not None and self.hang:
                return f"`hang` and `{failing}` cannot be combined"
        if self.raises_from is not None and self.raises is None:
            return "`raises_from` requires `raises`"
        for key, given_here in (
            ("retry_until", self.retry_until is not None),
            ("hint", self.has_hint),
            ("from", self.from_stage is not None),
        ):
            if given_here and not self.retry:
                return f"`{key}` requires `retry = true`"
        return None

    @property
    def is_identity(self) -> bool:
        """Whether the command (once done asking for retries) answers with its input text."""
        if self.hang or any(getattr(self, key) is not None for key in _ANSWER_KEYS):
            return False
        return not self.retry or self.retry_until is not None

    @property
    def reads_input(self) -> bool:
        """Whether the answer depends on the input: identity, ``join`` or an ``{input}`` template."""
        if self.is_identity or self.join is not None or self.raises_from is not None:
            return True
        templates = (self.returns, list(self.returns_each or ()), self.raises, self.hint)
        return any(_mentions_input(template) for template in templates)

    def to_document(self) -> dict[str, object]:
        """The command as a ``[commands.NAME]`` table, leaving out defaults."""
        document: dict[str, object] = {}
        for key in ("returns", "returns_json", "join", "raises"):
            if getattr(self, key) is not None:
                document[key] = deepcopy(getattr(self, key))
        if self.returns_each is not None:
            document["returns_each"] = deepcopy(list(self.returns_each))
        if self.duration_ms:
            document["duration_ms"] = self.duration_ms
        if self.retry:
            document["retry"] = True
        if self.raises_from is not None:
            document["raises_from"] = self.raises_from
        if self.retry_until is not None:
            document["retry_until"] = self.retry_until
        if self.has_hint:
            document["hint"] = deepcopy(self.hint)
        if self.from_stage is not None:
            document["from"] = self.from_stage
        if self.labels:
            document["labels"] = list(self.labels)
        document.update(_descriptor_document("result", self.result_descriptor))
        if self.result_plain_descriptor is not None:
            document["result_plain_descriptor"] = deepcopy(self.result_plain_descriptor)
        document.update(_descriptor_document("value", self.value_descriptor))
        if self.effects:
            document["effects"] = list(self.effects)
        if self.transform is not None:
            document["transform"] = self.transform
        if self.hang:
            document["hang"] = True
        if self.set_env:
            document["set_env"] = dict(self.set_env)
        if self.mutates_input:
            document["mutates_input"] = True
        if self.interrupts is not None:
            document["interrupts"] = self.interrupts
        if self.returns_js is not None:
            document["returns_js"] = self.returns_js
        if self.member_descriptors is not None:
            document["member_descriptors"] = [spec.to_document() for spec in self.member_descriptors]
        return document


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """One scenario: the pipeline input, the stages, the commands they call.

    ``name`` is the file stem and ``path`` the file as the caller named it;
    ``path`` is not part of equality, so a scenario written elsewhere and read
    back is equal to the original.  ``has_input`` tells an absent ``input``
    from one given as ``None`` and is set on its own when ``input`` is not
    ``None``.  ``input_replayable`` is false for a fixed literal input
    (decision D3), and ``runs`` is how many times one executor instance
    executes the pipeline.  Mappings given as ``dict`` are stored as read-only copies
    (``types.MappingProxyType``), which ``copy.deepcopy`` and
    ``dataclasses.asdict`` cannot handle: use :meth:`to_document` instead.
    """

    name: str
    path: str = field(default="", compare=False)
    description: str | None = None
    input: JSONValue | None = field(default=None, hash=False)
    has_input: bool = False
    source: str | None = None
    input_replayable: bool = True
    input_descriptor: DescriptorSpec | None = None
    stages: tuple[StageSpec, ...]
    parallel_cap: int | None = None
    delay_ms: int | None = None
    env: Mapping[str, str] = field(default_factory=dict, hash=False)
    deadline_ms: int = DEFAULT_DEADLINE_MS
    commands: Mapping[str, CommandSpec] = field(hash=False)
    failing_effects: Mapping[str, str] = field(default_factory=dict, hash=False)
    runs: int = 1
    schedule: tuple[int, ...] = ()
    """The order of same-instant callbacks a replay runs under (see :mod:`harness.scheduling`); ``()`` is FIFO."""

    def __post_init__(self) -> None:
        if not isinstance(self.schedule, tuple) or not all(
            isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in self.schedule
        ):
            raise ValueError("Scenario.schedule must be a tuple of non-negative integers")
        if self.input is not None:
            object.__setattr__(self, "has_input", True)
        for name in ("env", "commands", "failing_effects"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))
        if not self.name:
            raise ValueError("a scenario needs a name")
        if self.input is not None and not _is_plain(self.input):
            raise ValueError("Scenario.input must be a JSON-like value")
        if self.deadline_ms < 1:
            raise ValueError("Scenario.deadline_ms must be >= 1")
        if self.runs < 1:
            raise ValueError("Scenario.runs must be >= 1")
        if self.delay_ms is not None and self.delay_ms < 0:
            raise ValueError("Scenario.delay_ms must be >= 0")
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in self.env.items()):
            raise ValueError("Scenario.env must map strings to strings")
        for effect, message in self.failing_effects.items():
            _check_name(effect, "effect")
            if not isinstance(message, str):
                raise ValueError(f"the message of failing effect {effect!r} must be a string")
        for key, command in self.commands.items():
            if not isinstance(command, CommandSpec) or command.name != key:
                raise ValueError(f"commands[{key!r}] must be a CommandSpec named {key!r}")
        self._check_stages()
        self._check_input()

    def _check_stages(self) -> None:
        # An empty pipeline is a scenario too: the executor returns its input (see the loader).
        if not isinstance(self.stages, tuple):
            raise ValueError("Scenario.stages must be a tuple")
        for stage in self.stages:
            names = (stage,) if isinstance(stage, str) else stage
            if not isinstance(names, tuple) or not names:
                raise ValueError(f"a stage is a command name or a non-empty tuple of them, not {stage!r}")
            for name in names:
                if name not in self.commands:
                    raise ValueError(f"stage names unknown command {name!r}")

    def _check_input(self) -> None:
        if self.source is not None and not self.input_replayable:
            raise ValueError("`input_replayable = false` describes a literal `input`; a `source` always replays")
        if self.source is None:
            if not self.has_input:
                raise ValueError("missing `input` or `source` (the pipeline input)")
            return
        if self.source not in self.commands:
            raise ValueError(f"source names unknown command {self.source!r}")
        if self.has_input and not self.commands[self.source].reads_input:
            raise ValueError(
                "`input` and `source` cannot be combined unless the source reads its input: "
                f'command "{self.source}" has no {{input}} in its templates'
            )

    def to_document(self) -> dict[str, object]:
        """The scenario in the file format: ``stages`` as a list, defaults left out.

        Keys come in a fixed order; the result can be written as TOML or JSON
        and read back into an equal scenario.
        """
        document: dict[str, object] = {}
        if self.description is not None:
            document["description"] = self.description
        if self.has_input:
            document["input"] = deepcopy(self.input)
        if self.source is not None:
            document["source"] = self.source
        if not self.input_replayable:
            document["input_replayable"] = False
        document.update(_descriptor_document("input", self.input_descriptor))
        document["stages"] = [stage if isinstance(stage, str) else list(stage) for stage in self.stages]
        if self.parallel_cap is not None:
            document["parallel_cap"] = self.parallel_cap
        if self.delay_ms is not None:
            document["delay_ms"] = self.delay_ms
        if self.env:
            document["env"] = dict(self.env)
        if self.deadline_ms != DEFAULT_DEADLINE_MS:
            document["deadline_ms"] = self.deadline_ms
        if self.runs != 1:
            document["runs"] = self.runs
        document["commands"] = {name: command.to_document() for name, command in self.commands.items()}
        if self.failing_effects:
            effects = self.failing_effects.items()
            document["effects"] = {name: {"raises": message} for name, message in effects}
        if self.schedule:
            document["schedule"] = list(self.schedule)
        return document


def _descriptor_document(prefix: str, descriptor: DescriptorSpec | None) -> dict[str, object]:
    # The short `*_labels` form reads back as the same value, so prefer it.
    if descriptor is None:
        return {}
    if descriptor.has_only_labels:
        return {f"{prefix}_labels": list(descriptor.labels)}
    return {f"{prefix}_descriptor": descriptor.to_document()}


def _check_name(name: object, kind: str) -> None:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise ValueError(f"invalid {kind} name {name!r}")


def _check_strings(values: object, what: str) -> None:
    if not isinstance(values, tuple) or not all(isinstance(value, str) for value in values):
        raise ValueError(f"{what} must be a tuple of strings")


def _is_plain(value: object) -> bool:
    if isinstance(value, (str, int, float)):  # bool is an int
        return True
    if isinstance(value, list):
        return all(_is_plain(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and _is_plain(item) for key, item in value.items())
    return False


def _mentions_input(template: object) -> bool:
    if isinstance(template, str):
        return "{input}" in template
    if isinstance(template, list):
        return any(_mentions_input(item) for item in template)
    if isinstance(template, dict):
        return any(_mentions_input(item) for item in template.values())
    return False
