"""Observations: everything one implementation did on one scenario, as canonical JSON.

:func:`observe` runs a scenario on a virtual clock (``looptime``: durations
and pacing cost no wall time and every time is an exact integer of virtual
milliseconds) and records the outcome, the output and its descriptor, one
entry per stage execution (retries included), the latest error markers, the
effects, the lifecycle events and the timeline of every command call. The
same scenario always gives the same bytes from :func:`canonical_json`.

looptime serves both the CLI and the tests: it is an event-loop class, so the
harness creates its own loop with it rather than relying on its pytest plugin.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final, TypeVar

import looptime

from harness.candidates import Implementation
from harness.errors import HarnessError
from harness.pipeline import MISSING, PipelineError, PipelineEvent, SecurityDescriptor, StructuredValue
from harness.pipeline.concurrency import PARALLEL_LIMIT_ENV
from harness.scenario.commands import Recorder, build_pipeline
from harness.scenario.model import Scenario

__all__ = [
    "BEHAVIOUR_EXCLUDED_KEYS",
    "DeadlineExceeded",
    "Observation",
    "canonical_json",
    "observe",
    "observe_async",
    "run_on_virtual_clock",
]

T = TypeVar("T")
Observation = dict[str, Any]
"""An observation document; :func:`canonical_json` is its serialized form."""

BEHAVIOUR_EXCLUDED_KEYS: Final = frozenset({"implementation"})
"""Keys that name who ran a scenario rather than what happened; comparisons skip them."""


class DeadlineExceeded(HarnessError):
    """A scenario did not finish before its virtual deadline (a command hung, or time ran out)."""


def _virtual_clock_loop() -> asyncio.AbstractEventLoop:
    # looptime spins 42 no-op loop cycles before each jump in virtual time, so
    # that threads and I/O can catch up; nothing in a scenario uses either,
    # and without them every observation is the same, byte for byte, and cheaper.
    return looptime.new_event_loop(noop_cycles=0)


def run_on_virtual_clock(main: Callable[[], Awaitable[T]]) -> T:
    """Run ``main()`` to completion on a fresh event loop whose clock is virtual and starts at 0."""
    with asyncio.Runner(loop_factory=_virtual_clock_loop) as runner:
        return runner.run(_as_coroutine(main))


async def _as_coroutine(main: Callable[[], Awaitable[T]]) -> T:
    return await main()


@contextmanager
def _scenario_environment(env: Mapping[str, str]) -> Iterator[None]:
    """Apply the scenario's environment; the parallel limit is the scenario's alone, never inherited."""
    keys = set(env) | {PARALLEL_LIMIT_ENV}
    saved = {key: os.environ.get(key) for key in keys}
    os.environ.pop(PARALLEL_LIMIT_ENV, None)
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def observe(scenario: Scenario, implementation: Implementation) -> Observation:
    """Run ``scenario`` on ``implementation`` on a virtual clock and return the observation.

    Raises :class:`DeadlineExceeded` when the run does not finish by the
    scenario's ``deadline_ms``.
    """
    return run_on_virtual_clock(lambda: observe_async(scenario, implementation))


async def observe_async(scenario: Scenario, implementation: Implementation) -> Observation:
    """Like :func:`observe`, on the running loop (which should have a virtual clock)."""
    loop = asyncio.get_running_loop()
    recorder = Recorder()
    built = build_pipeline(scenario, recorder)
    started = loop.time()
    with _scenario_environment(scenario.env):
        executor = implementation.executor_class(
            built.stages, parallel_cap=scenario.parallel_cap, delay_ms=scenario.delay_ms, source=built.source
        )
        output: StructuredValue | None = None
        error: dict[str, str] | None = None
        try:
            async with asyncio.timeout_at(started + scenario.deadline_ms / 1000) as deadline:
                value = await built.make_input()
                output = await executor.execute(value)
        except TimeoutError:
            if not deadline.expired():
                raise
            raise DeadlineExceeded(_deadline_message(scenario, recorder, loop.time() - started)) from None
        except PipelineError as exc:
            error = {"type": type(exc).__name__, "message": str(exc)}
        except Exception as exc:  # a candidate's own bug is an outcome to compare, not a harness crash
            error = {"type": type(exc).__name__, "message": f"unexpected {type(exc).__name__}: {exc}"}
    parallel_stages = {index for index, stage in enumerate(scenario.stages, start=1) if not isinstance(stage, str)}
    return {
        "scenario": scenario.name,
        "implementation": implementation.name,
        "outcome": "ok" if error is None else "error",
        "output": _value_document(output) if output is not None else None,
        "error": error,
        "elapsed_ms": round((loop.time() - started) * 1000),
        "stages": _stage_documents(executor.events, parallel_stages),
        "latest_errors": _plain(list(executor.latest_errors)),
        "effects": [
            {"stage": e.stage, "branch": e.branch, "command": e.command, "effect": e.effect,
             "text": e.text, "at_ms": e.at_ms, "error": e.error}
            for e in recorder.effects
        ],
        "events": [_event_document(event) for event in executor.events],
        "timeline": [
            {"stage": c.stage, "branch": c.branch, "command": c.command,
             "start_ms": c.start_ms, "end_ms": c.end_ms, "result": c.result}
            for c in recorder.calls
        ],
    }


def _deadline_message(scenario: Scenario, recorder: Recorder, elapsed_s: float) -> str:
    running = recorder.running()
    where = "; ".join(
        f"stage {call.stage}" + (f" branch {call.branch}" if call.branch is not None else "")
        + f" ({call.command}) running since {call.start_ms} ms"
        for call in running
    ) or "no command was running"
    return (
        f"{scenario.path or scenario.name}: did not finish: deadline_ms {scenario.deadline_ms} "
        f"reached at virtual {round(elapsed_s * 1000)} ms; {where}"
    )


def _stage_documents(events: tuple[PipelineEvent, ...], parallel_stages: set[int]) -> list[dict[str, Any]]:
    """One entry per stage execution, from its STAGE_START to its success, failure or retry."""
    documents: list[dict[str, Any]] = []
    for event in events:
        if event.type == "STAGE_START":
            assert event.stage is not None
            documents.append({
                "stage": event.stage,
                "parallel": event.stage in parallel_stages,
                "attempt": event.attempt,
                "outcome": "retry",
                "error": None,
                **_value_document(None),
            })
        elif event.type == "STAGE_SUCCESS" and documents:
            documents[-1]["outcome"] = "success"
            documents[-1].update(_value_document(event.output))
        elif event.type == "STAGE_FAILURE" and documents:
            documents[-1]["outcome"] = "failure"
            documents[-1]["error"] = event.error
    return documents


def _value_document(value: StructuredValue | None) -> dict[str, Any]:
    if value is None:
        return dict.fromkeys(("type", "text", "data", "errors"), None) | _descriptor_document(None)
    errors = (value.metadata or {}).get("errors") if value.type == "array" else None
    return {
        "type": value.type,
        "text": value.text,
        "data": _plain(value.data),
        "errors": _plain(errors) if isinstance(errors, list) else [],
        **_descriptor_document(value.descriptor),
    }


def _descriptor_document(descriptor: SecurityDescriptor | None) -> dict[str, Any]:
    if descriptor is None:
        return dict.fromkeys(("labels", "taint", "sources", "tools", "capability", "policy_context"))
    return {
        "labels": list(descriptor.labels),
        "taint": list(descriptor.taint),
        "sources": list(descriptor.sources),
        "tools": None if descriptor.tools is None else [
            {"name": t.name, "args": list(t.args) if t.args is not None else None, "audit_ref": t.audit_ref}
            for t in descriptor.tools
        ],
        "capability": descriptor.capability,
        "policy_context": _plain(descriptor.policy_context),
    }


def _event_document(event: PipelineEvent) -> dict[str, Any]:
    document: dict[str, Any] = {"type": event.type}
    for key in ("stage", "command", "attempt", "context_id", "target", "error", "reason"):
        found = getattr(event, key)
        if found is not None:
            document[key] = found
    if event.duration_ms is not None:
        document["duration_ms"] = _plain(event.duration_ms)
    return document


def _plain(value: object) -> Any:
    """The JSON form of a value: structured values as their data, floats that JSON lacks as text."""
    if isinstance(value, StructuredValue):
        return _plain(value.data)
    if value is MISSING:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return int(value) if value.is_integer() else value
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return repr(value)


def canonical_json(observation: Observation) -> str:
    """The observation as canonical JSON: fixed key order, two-space indent, UTF-8 kept, final newline."""
    return json.dumps(observation, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
