"""Scenario commands at run time: data from a scenario file turned into executor commands.

A :class:`ScenarioCommand` answers the way its :class:`CommandSpec` says
(``returns``, ``returns_each``, ``join``, ``raises``, ``retry``, ``hang``),
after ``duration_ms`` virtual milliseconds, and records each call in a
:class:`Recorder`: the stage and branch it ran in, its virtual start and end.
Effects named by a command record what they saw, and fail when the scenario's
``[effects.NAME]`` table says so. Nothing here executes code from a file.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal, final

from harness.pipeline import (
    Command,
    CommandResult,
    Effect,
    StageContext,
    StructuredValue,
    compact_json,
    js_string,
    make_descriptor,
    normalize_output,
    stage_context,
)
from harness.pipeline.descriptors import SecurityDescriptor
from harness.scenario.model import CommandSpec, DescriptorSpec, JSONValue, Scenario, StageSpec

__all__ = [
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

CallResult = Literal["value", "raise", "retry"]

PLACEHOLDERS: Final = ("input", "try", "hint", "stage")
"""The names a command's strings may use as ``{name}``; the loader refuses any other."""
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
    """One effect run: the command it belongs to, the output text it saw, and its failure if any."""

    stage: int
    branch: int | None
    command: str
    effect: str
    text: str
    at_ms: int
    error: str | None = None


class Recorder:
    """Collects the calls and effect runs of one scenario run, in the order they happen."""

    __slots__ = ("calls", "effects")

    def __init__(self) -> None:
        self.calls: list[CallRecord] = []
        self.effects: list[EffectRecord] = []

    def __repr__(self) -> str:
        return f"Recorder(calls={len(self.calls)}, effects={len(self.effects)})"

    def running(self) -> list[CallRecord]:
        """The calls that started and have not ended."""
        return [call for call in self.calls if call.end_ms is None]


def _current_context(calls: int) -> StageContext:
    """The running stage's context; the source's first call, made before the run, has none."""
    try:
        return stage_context()
    except LookupError:
        return StageContext(stage=0, total_stages=0, attempt=calls, global_attempt=calls, try_=calls)


def descriptor_from_spec(spec: DescriptorSpec | None) -> SecurityDescriptor | None:
    """The executor descriptor a scenario's descriptor table describes."""
    if spec is None:
        return None
    return make_descriptor(
        labels=spec.labels,
        taint=spec.taint,
        sources=spec.sources,
        tools=[{"name": t.name, "args": list(t.args or ()), "audit_ref": t.audit_ref} for t in spec.tools],
        capability=spec.capability,
        policy_context=spec.policy_context,
    )


def _placeholders(input_text: str, context: StageContext) -> dict[str, str]:
    """What ``{input}``, ``{try}``, ``{hint}`` and ``{stage}`` stand for in a call or an effect."""
    return {
        "input": input_text,
        "try": str(context.try_),
        "hint": js_string(context.hint),
        "stage": str(context.stage),
    }


def _substitute(template: JSONValue, values: Mapping[str, str]) -> JSONValue:
    """Fill ``{input}``, ``{try}``, ``{hint}``, ``{stage}`` in every string of a TOML value."""
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

    __slots__ = ("_calls", "_recorder", "spec")

    def __init__(self, spec: CommandSpec, recorder: Recorder) -> None:
        self.spec = spec
        self._recorder = recorder
        self._calls = 0

    def __repr__(self) -> str:
        return f"ScenarioCommand({self.spec.name!r}, calls={self._calls})"

    async def __call__(self, value: StructuredValue) -> object:
        self._calls += 1
        call_number = self._calls
        context = _current_context(call_number)
        record = CallRecord(context.stage, context.parallel_index, self.spec.name, virtual_now_ms())
        self._recorder.calls.append(record)
        try:
            answer = await self._answer(value.text, context, call_number)
        except Exception:
            record.end_ms, record.result = virtual_now_ms(), "raise"
            raise
        record.end_ms = virtual_now_ms()
        record.result = "retry" if isinstance(answer, dict) and answer.get("value") == "retry" else "value"
        return answer

    async def _answer(self, input_text: str, context: StageContext, call_number: int) -> object:
        spec = self.spec
        if spec.duration_ms:
            await asyncio.sleep(spec.duration_ms / 1000)
        if spec.hang:
            await asyncio.get_running_loop().create_future()
        values = _placeholders(input_text, context)
        if spec.retry and (spec.retry_until is None or call_number < spec.retry_until):
            signal: dict[str, object] = {"value": "retry"}
            if spec.has_hint:
                signal["hint"] = _substitute(spec.hint, values) if spec.hint is not None else None
            if spec.from_stage is not None:
                signal["from"] = spec.from_stage
            return signal
        if spec.raises is not None:
            raise RuntimeError(_substitute(spec.raises, values))
        return self._wrap(self._result(input_text, values, call_number))

    def _result(self, input_text: str, values: Mapping[str, str], call_number: int) -> object:
        spec = self.spec
        if spec.returns_each is not None:
            result: object = _substitute(spec.returns_each[min(call_number, len(spec.returns_each)) - 1], values)
        elif spec.returns is not None:
            result = _substitute(spec.returns, values)
        elif spec.join is not None:
            result = spec.join.join(js_string(item) for item in _json_array(input_text, self.spec.name))
        else:
            result = input_text
        if isinstance(result, str) and spec.transform is not None:
            result = result.upper() if spec.transform == "upper" else result.lower()
        return result

    def _wrap(self, result: object) -> object:
        spec = self.spec
        carried = descriptor_from_spec(spec.value_descriptor)
        if carried is not None:
            value = normalize_output(result)
            result = StructuredValue(value.type, value.text, value.data, value.metadata, carried)
        attached = descriptor_from_spec(spec.result_descriptor)
        return CommandResult(result, attached) if attached is not None else result


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

    __slots__ = ("_command", "_failure", "_recorder", "name")

    def __init__(self, name: str, command: str, failure: str | None, recorder: Recorder) -> None:
        self.name = name
        self._command = command
        self._failure = failure
        self._recorder = recorder

    def __repr__(self) -> str:
        return f"ScenarioEffect({self.name!r}, command={self._command!r}, fails={self._failure is not None})"

    def __call__(self, value: StructuredValue) -> None:
        context = stage_context()
        error = None if self._failure is None else str(_substitute(self._failure, _placeholders(value.text, context)))
        self._recorder.effects.append(EffectRecord(
            context.stage, context.parallel_index, self._command, self.name, value.text, virtual_now_ms(), error
        ))
        if error is not None:
            raise RuntimeError(error)


@final
class _Source:
    """The scenario's source command as the executor's zero-argument ``source``."""

    __slots__ = ("_command", "_input_text")

    def __init__(self, command: ScenarioCommand, input_text: str) -> None:
        self._command = command
        self._input_text = input_text

    def __repr__(self) -> str:
        return f"_Source({self._command!r})"

    async def __call__(self) -> object:
        return await self._command(StructuredValue("text", self._input_text, self._input_text))


@final
@dataclass(frozen=True, slots=True)
class BuiltPipeline:
    """What an executor needs to run a scenario: its entries, its source, and how to make the input."""

    stages: list[Command | list[Command]]
    source: _Source | None
    input_value: object
    input_descriptor: SecurityDescriptor | None

    async def make_input(self) -> object:
        """The value handed to ``execute``: the source's first answer, or the scenario's input."""
        value = await self.source() if self.source is not None else self.input_value
        if self.input_descriptor is None:
            return value
        if isinstance(value, StructuredValue):
            value.descriptor = self.input_descriptor
            return value
        text = value if isinstance(value, str) else compact_json(value)
        return StructuredValue("text", text, value, None, self.input_descriptor)


def build_pipeline(scenario: Scenario, recorder: Recorder) -> BuiltPipeline:
    """Build the executor entries for ``scenario``; every call is recorded in ``recorder``."""
    runners = {name: ScenarioCommand(spec, recorder) for name, spec in scenario.commands.items()}

    def command(name: str) -> Command:
        spec = scenario.commands[name]
        effects = tuple(
            Effect(effect, ScenarioEffect(effect, name, scenario.failing_effects.get(effect), recorder))
            for effect in spec.effects
        )
        return Command(name, runners[name], labels=spec.labels, effects=effects)

    def entry(stage: StageSpec) -> Command | list[Command]:
        return command(stage) if isinstance(stage, str) else [command(name) for name in stage]

    input_text = "" if not scenario.has_input else (
        scenario.input if isinstance(scenario.input, str) else compact_json(scenario.input)
    )
    source = _Source(runners[scenario.source], input_text) if scenario.source is not None else None
    return BuiltPipeline(
        stages=[entry(stage) for stage in scenario.stages],
        source=source,
        input_value=scenario.input,
        input_descriptor=descriptor_from_spec(scenario.input_descriptor),
    )
