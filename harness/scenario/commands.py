"""Scenario commands at run time: data from a scenario file turned into executor commands.

A :class:`ScenarioCommand` answers the way its :class:`CommandSpec` says
(``returns``, ``returns_each``, ``join``, ``raises``, ``interrupts``,
``retry``, ``hang``), after ``duration_ms`` virtual milliseconds, and records
each call in a :class:`Recorder`: the stage and branch it ran in, its virtual
start and end, and how it ended (a value, a retry, a raise, or cancelled).
A command counts its calls over every run of the scenario (``runs``), so a
``returns_each`` goes on where the previous run left it.
Effects named by a command record what they saw, and fail when the scenario's
``[effects.NAME]`` table says so. Nothing here executes code from a file.

Every executor type (commands, effects, results, structured values,
descriptors) and every stage-context read comes from the
:class:`~harness.executor_api.ExecutorApi` of the executor that runs the
scenario: the frozen reference is a package of its own and only knows its own types.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Iterator, Mapping
from copy import deepcopy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal, final

from harness.executor_api import ExecutorApi
from harness.scenario.model import CommandSpec, DescriptorSpec, JSONValue, Scenario, StageSpec

if TYPE_CHECKING:  # only for annotations: at run time every type comes from the executor's API
    from harness.pipeline import Command, SecurityDescriptor, StageContext, StructuredValue

__all__ = [
    "SCENARIO_INTERRUPTS",
    "mutate_in_place",
    "PLACEHOLDERS",
    "BuiltPipeline",
    "CallRecord",
    "EffectRecord",
    "Recorder",
    "ScenarioCommand",
    "ScenarioEffect",
    "build_pipeline",
    "descriptor_from_spec",
    "virtual_now_ms",
]

CallResult = Literal["value", "raise", "retry", "cancelled"]


class ScenarioKeyboardInterrupt(KeyboardInterrupt):
    """The ``KeyboardInterrupt`` a scenario command raises (``interrupts``), told apart from a real Ctrl-C."""


class ScenarioSystemExit(SystemExit):
    """The ``SystemExit`` a scenario command raises (``interrupts``)."""


_INTERRUPTS: dict[str, type[BaseException]] = {
    "KeyboardInterrupt": ScenarioKeyboardInterrupt,
    "SystemExit": ScenarioSystemExit,
}
SCENARIO_INTERRUPTS = (ScenarioKeyboardInterrupt, ScenarioSystemExit)
"""What a scenario's ``interrupts`` raises; the observation turns these, and only these, into an outcome."""

PLACEHOLDERS: Final = (
    "input", "try", "hint", "stage",
    "attempt", "global_attempt", "total_stages", "tries", "hint_history", "previous_outputs", "context_id",
)
"""The names a command's strings may use as ``{name}``; the loader refuses any other.

Besides the input, each names a field of the running stage's context (spec
R5.14, mlld's ``@mx``/``@p``): numbers as decimal text, ``tries``,
``hint_history`` and ``previous_outputs`` as compact JSON arrays, and
``context_id`` as the active retry context's id or empty text outside one.
"""
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")


def virtual_now_ms() -> int:
    """The running loop's time in whole milliseconds (exact on the virtual clock)."""
    return round(asyncio.get_running_loop().time() * 1000)


@final
@dataclass(slots=True)
class CallRecord:
    """One command execution: where it ran and when; ``end_ms`` is ``None`` while it runs."""

    stage: int
    branch: int | None
    command: str
    start_ms: int
    end_ms: int | None = None
    result: CallResult | None = None


@final
@dataclass(frozen=True, slots=True)
class EffectRecord:
    """One effect run: the command it belongs to, the output it saw (text and descriptor), and its failure if any."""

    stage: int
    branch: int | None
    command: str
    effect: str
    text: str
    at_ms: int
    error: str | None = None
    descriptor: SecurityDescriptor | None = None


class Recorder:
    """Collects the calls and effect runs of one scenario run, in the order they happen."""

    __slots__ = ("calls", "effects")

    def __init__(self) -> None:
        self.calls: list[CallRecord] = []
        self.effects: list[EffectRecord] = []

    def __repr__(self) -> str:
        return f"Recorder(calls={len(self.calls)}, effects={len(self.effects)})"

    def running(self) -> list[CallRecord]:
        """The calls that started and have not ended, or ended only because they were cancelled."""
        return [call for call in self.calls if call.end_ms is None or call.result == "cancelled"]


def _current_context(calls: int, api: ExecutorApi) -> StageContext:
    """The running stage's context; the source's first call, made before the run, has none."""
    try:
        return api.stage_context()
    except LookupError:
        return api.StageContext(stage=0, total_stages=0, attempt=calls, global_attempt=calls, try_=calls)


def descriptor_from_spec(spec: DescriptorSpec | None, api: ExecutorApi) -> SecurityDescriptor | None:
    """The descriptor of ``api``'s executor that a scenario's descriptor table describes."""
    if spec is None:
        return None
    return api.make_descriptor(
        labels=spec.labels,
        taint=spec.taint,
        sources=spec.sources,
        tools=[{"name": t.name, "args": list(t.args or ()), "audit_ref": t.audit_ref} for t in spec.tools],
        capability=spec.capability,
        policy_context=spec.policy_context,
    )


def _json_text(items: tuple[object, ...]) -> str:
    return json.dumps(list(items), ensure_ascii=False, separators=(",", ":"), default=str)


@final
class _Placeholders(Mapping[str, str]):
    """What each of :data:`PLACEHOLDERS` stands for in a call or an effect, worked out only when a template names it.

    Every command call and effect builds one, and most templates name only
    ``{input}`` or nothing, so the JSON of the stage context's histories is
    never written for them.
    """

    __slots__ = ("_api", "_context", "_input_text")

    def __init__(self, input_text: str, context: StageContext, api: ExecutorApi) -> None:
        self._input_text = input_text
        self._context = context
        self._api = api

    def __getitem__(self, name: str) -> str:
        context = self._context
        if name == "input":
            return self._input_text
        if name == "try":
            return str(context.try_)
        if name == "hint":
            return self._api.js_string(context.hint)
        if name in ("stage", "attempt", "global_attempt", "total_stages"):
            return str(getattr(context, name))
        if name in ("tries", "hint_history", "previous_outputs"):
            return _json_text(getattr(context, name))
        if name == "context_id":
            return context.context_id or ""
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(PLACEHOLDERS)

    def __len__(self) -> int:
        return len(PLACEHOLDERS)


def _substitute(template: JSONValue, values: Mapping[str, str]) -> JSONValue:
    """Fill the :data:`PLACEHOLDERS` in every string of a TOML value."""
    if isinstance(template, str):
        return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)
    if isinstance(template, list):
        return [_substitute(item, values) for item in template]
    if isinstance(template, dict):
        return {key: _substitute(item, values) for key, item in template.items()}
    return template


@final
class ScenarioCommand:
    """A command of a scenario, callable by an executor; counts its calls across the run."""

    __slots__ = ("_api", "_calls", "_recorder", "spec")

    def __init__(self, spec: CommandSpec, recorder: Recorder, api: ExecutorApi) -> None:
        self.spec = spec
        self._recorder = recorder
        self._api = api
        self._calls = 0

    def __repr__(self) -> str:
        return f"ScenarioCommand({self.spec.name!r}, calls={self._calls})"

    async def __call__(self, value: StructuredValue) -> object:
        self._calls += 1
        call_number = self._calls
        context = _current_context(call_number, self._api)
        record = CallRecord(context.stage, context.parallel_index, self.spec.name, virtual_now_ms())
        self._recorder.calls.append(record)
        try:
            answer = await self._answer(value, context, call_number)
        except asyncio.CancelledError:
            record.end_ms, record.result = virtual_now_ms(), "cancelled"
            raise
        except BaseException:
            record.end_ms, record.result = virtual_now_ms(), "raise"
            raise
        record.end_ms = virtual_now_ms()
        record.result = "retry" if isinstance(answer, dict) and answer.get("value") == "retry" else "value"
        return answer

    async def _answer(self, value: StructuredValue, context: StageContext, call_number: int) -> object:
        spec = self.spec
        input_text = value.text
        os.environ.update(spec.set_env)
        if spec.mutates_input:
            mutate_in_place(value.data, spec.name)
        if spec.duration_ms:
            await asyncio.sleep(spec.duration_ms / 1000)
        if spec.hang:
            await asyncio.get_running_loop().create_future()
        if spec.interrupts is not None:
            raise _INTERRUPTS[spec.interrupts](f"{spec.name} interrupts")
        values = _Placeholders(input_text, context, self._api)
        if spec.retry and (spec.retry_until is None or call_number < spec.retry_until):
            signal: dict[str, object] = {"value": "retry"}
            if spec.has_hint:
                signal["hint"] = _substitute(spec.hint, values) if spec.hint is not None else None
            if spec.from_stage is not None:
                signal["from"] = spec.from_stage
            return signal
        if spec.raises is not None and (spec.raises_from is None or call_number >= spec.raises_from):
            raise RuntimeError(_substitute(spec.raises, values))
        return self._wrap(self._result(input_text, values, call_number))

    def _result(self, input_text: str, values: Mapping[str, str], call_number: int) -> object:
        spec = self.spec
        if spec.returns_js is not None:
            return {"null": None, "undefined": self._api.MISSING, "object": JS_OBJECT}[spec.returns_js]
        if spec.returns_each is not None:
            result: object = _substitute(spec.returns_each[min(call_number, len(spec.returns_each)) - 1], values)
        elif spec.returns is not None:
            result = _substitute(spec.returns, values)
        elif spec.returns_json is not None:
            result = json.loads(spec.returns_json)
        elif spec.join is not None:
            result = spec.join.join(self._api.js_string(item) for item in _json_array(input_text, self.spec.name))
        else:
            result = input_text
        if isinstance(result, str) and spec.transform is not None:
            result = result.upper() if spec.transform == "upper" else result.lower()
        return result

    def _wrap(self, result: object) -> object:
        spec, api = self.spec, self._api
        if spec.member_descriptors is not None:
            result = _described_members(result, spec.member_descriptors, api)
        carried = descriptor_from_spec(spec.value_descriptor, api)
        if carried is not None:
            result = _carrying(result, carried, api)
        attached = descriptor_from_spec(spec.result_descriptor, api)
        if spec.result_plain_descriptor is not None:
            # As is, the way mlld's JS interop hands a plain object: the executor normalizes it.
            attached = deepcopy(spec.result_plain_descriptor)
        return api.CommandResult(result, attached) if attached is not None else result


@final
class JsObject:
    """What a JavaScript command returns that JSON cannot show (a ``Map``, a class instance): no data to serialize."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "[object Object]"

    def __deepcopy__(self, memo: dict[int, object]) -> JsObject:
        return self


JS_OBJECT: Final = JsObject()
"""The answer of ``returns_js = "object"``."""


def _described_members(result: object, specs: tuple[DescriptorSpec, ...], api: ExecutorApi) -> object:
    """``result`` with its Nth member (item, or table value) a value carrying the Nth descriptor (``member_descriptors``)."""
    described = [descriptor_from_spec(spec, api) for spec in specs]
    if isinstance(result, list):
        return [_carrying(item, described[i], api) if i < len(described) else item for i, item in enumerate(result)]
    if isinstance(result, dict):
        return {
            key: _carrying(item, described[i], api) if i < len(described) else item
            for i, (key, item) in enumerate(result.items())
        }
    return result


def _carrying(result: object, descriptor: SecurityDescriptor | None, api: ExecutorApi) -> StructuredValue:
    """``result`` as the executor's structured value, carrying ``descriptor`` (``value_labels``, ``member_descriptors``)."""
    value = api.normalize_output(result)
    return api.StructuredValue(value.type, value.text, value.data, value.metadata, descriptor)


def mutate_in_place(data: object, name: str) -> None:
    """Change a command's input data in place, as a careless command would; text has nothing to change."""
    if isinstance(data, dict):
        data[f"mutated_by_{name}"] = True
    elif isinstance(data, list):
        data.append(name)


def _json_array(text: str, command: str) -> list[object]:
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{command}: join needs a JSON array input, got {text!r}") from exc
    if not isinstance(items, list):
        raise ValueError(f"{command}: join needs a JSON array input, got {text!r}")
    return items


@final
class ScenarioEffect:
    """An inline effect of a scenario: records what it saw; fails if the scenario says it does."""

    __slots__ = ("_api", "_command", "_failure", "_recorder", "name")

    def __init__(self, name: str, command: str, failure: str | None, recorder: Recorder, api: ExecutorApi) -> None:
        self.name = name
        self._command = command
        self._failure = failure
        self._recorder = recorder
        self._api = api

    def __repr__(self) -> str:
        return f"ScenarioEffect({self.name!r}, command={self._command!r}, fails={self._failure is not None})"

    def __call__(self, value: StructuredValue) -> None:
        context = self._api.stage_context()
        placeholders = _Placeholders(value.text, context, self._api)
        error = None if self._failure is None else str(_substitute(self._failure, placeholders))
        self._recorder.effects.append(EffectRecord(
            context.stage, context.parallel_index, self._command, self.name, value.text, virtual_now_ms(), error,
            value.descriptor,
        ))
        if error is not None:
            raise RuntimeError(error)


@final
class _Source:
    """The scenario's source command as the executor's zero-argument ``source``."""

    __slots__ = ("_api", "_command", "_input_text")

    def __init__(self, command: ScenarioCommand, input_text: str, api: ExecutorApi) -> None:
        self._command = command
        self._input_text = input_text
        self._api = api

    def __repr__(self) -> str:
        return f"_Source({self._command!r})"

    async def __call__(self) -> object:
        return await self._command(self._api.StructuredValue("text", self._input_text, self._input_text))


@final
@dataclass(frozen=True, slots=True)
class BuiltPipeline:
    """What an executor needs to run a scenario: its entries, its source, and how to make the input."""

    stages: list[Command | list[Command]]
    source: _Source | None
    input_value: object
    input_descriptor: SecurityDescriptor | None
    api: ExecutorApi

    async def make_input(self) -> object:
        """The value handed to ``execute``: the source's first answer, or the scenario's input."""
        # A copy: a command that mutates its input must not change the scenario.
        value = await self.source() if self.source is not None else deepcopy(self.input_value)
        if self.input_descriptor is None:
            return value
        if isinstance(value, self.api.StructuredValue):
            value.descriptor = self.input_descriptor
            return value
        text = value if isinstance(value, str) else self.api.compact_json(value)
        return self.api.StructuredValue("text", text, value, None, self.input_descriptor)


def build_pipeline(scenario: Scenario, recorder: Recorder, api: ExecutorApi) -> BuiltPipeline:
    """Build the entries for ``scenario`` from ``api``'s types; every call is recorded in ``recorder``."""
    runners = {name: ScenarioCommand(spec, recorder, api) for name, spec in scenario.commands.items()}

    def command(name: str) -> Command:
        spec = scenario.commands[name]
        effects = tuple(
            api.Effect(effect, ScenarioEffect(effect, name, scenario.failing_effects.get(effect), recorder, api))
            for effect in spec.effects
        )
        return api.Command(name, runners[name], labels=spec.labels, effects=effects)

    def entry(stage: StageSpec) -> Command | list[Command]:
        return command(stage) if isinstance(stage, str) else [command(name) for name in stage]

    input_text = "" if not scenario.has_input else (
        scenario.input if isinstance(scenario.input, str) else api.compact_json(scenario.input)
    )
    source = _Source(runners[scenario.source], input_text, api) if scenario.source is not None else None
    return BuiltPipeline(
        stages=[entry(stage) for stage in scenario.stages],
        source=source,
        input_value=scenario.input,
        input_descriptor=descriptor_from_spec(scenario.input_descriptor, api),
        api=api,
    )
