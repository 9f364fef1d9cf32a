"""Observations: everything one implementation did on one scenario, as canonical JSON.

:func:`observe` runs a scenario on a virtual clock (``looptime``: durations
and pacing cost no wall time and every time is an exact integer of virtual
milliseconds) and records the outcome, the output and its descriptor, one
entry per stage execution (retries included), the latest error markers, the
effects, the lifecycle events and the timeline of every command call. The
same scenario always gives the same bytes from :func:`canonical_json`.

A failed stage's error also names mlld's ``command`` (``unknown`` for a
group) and ``stage_index``, mlld's internal index of the failing stage (entry
j is j with a function source, j - 1 with a literal input; the harness's own
stage numbers stay input = 0, entries 1..n). With ``runs = N`` one executor
instance runs N times: the document describes run 1 as usual and lists runs
2..N under ``later_runs``; effects and the timeline cover every run. A
command's ``interrupts`` ends the run with outcome ``interrupted``.

looptime serves both the CLI and the tests: it is an event-loop class, so the
harness creates its own loop with it rather than relying on its pytest plugin.

The run is built, and its errors and values read, through the implementation's
:class:`~harness.executor_api.ExecutorApi`: the frozen reference has types of its own.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final, TypeVar

import looptime

from harness.candidates import Implementation
from harness.crash import ImplementationCrash
from harness.errors import CandidateError, HarnessError
from harness.executor_api import ExecutorApi
from harness.pipeline.concurrency import PARALLEL_LIMIT_ENV
from harness.scenario.commands import SCENARIO_INTERRUPTS, BuiltPipeline, Recorder, build_pipeline
from harness.scenario.model import Scenario
from harness.scheduling import VIRTUAL_CLOCK_OPTIONS, TieOrder

if TYPE_CHECKING:  # only for annotations: values are read through the implementation's API
    from harness.pipeline import PipelineEvent, SecurityDescriptor, StructuredValue

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


def run_on_virtual_clock(main: Callable[[], Awaitable[T]], *, ties: TieOrder | None = None) -> T:
    """Run ``main()`` to completion on a fresh event loop whose clock is virtual and starts at 0.

    With ``ties`` the loop orders callbacks ready at the same instant as its
    schedule says (see :mod:`harness.scheduling`); without, first in, first out.
    Both loops skip looptime's no-op cycles (:data:`~harness.scheduling.VIRTUAL_CLOCK_OPTIONS`).

    asyncio lets a ``KeyboardInterrupt`` or ``SystemExit`` escape the loop at
    once from the task that raised it. One that a scenario command raised is
    part of the run: the loop is resumed so the executor can unwind (cancel
    and await the other branches) and ``main`` can record the outcome. Any
    other, a real Ctrl-C, propagates. Tasks left over are cancelled and awaited.
    """
    loop = looptime.new_event_loop(**VIRTUAL_CLOCK_OPTIONS) if ties is None else ties.new_event_loop()
    try:
        task = loop.create_task(_as_coroutine(main))
        while True:
            try:
                return loop.run_until_complete(task)
            except SCENARIO_INTERRUPTS:
                if task.done():
                    raise
    finally:
        _close(loop)


def _close(loop: asyncio.AbstractEventLoop) -> None:
    leftovers = asyncio.all_tasks(loop)
    for leftover in leftovers:
        leftover.cancel()
    if leftovers:
        loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.run_until_complete(loop.shutdown_default_executor())
    loop.close()


async def _as_coroutine(main: Callable[[], Awaitable[T]]) -> T:
    return await main()


@contextmanager
def _scenario_environment(scenario: Scenario) -> Iterator[None]:
    """Apply the scenario's environment; the parallel limit is the scenario's alone, never inherited.

    What the commands' ``set_env`` changes while the scenario runs is restored too.
    """
    env = scenario.env
    keys = set(env) | {PARALLEL_LIMIT_ENV}
    for command in scenario.commands.values():
        keys.update(command.set_env)
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


def observe(scenario: Scenario, implementation: Implementation, *, ties: TieOrder | None = None) -> Observation:
    """Run ``scenario`` on ``implementation`` on a virtual clock and return the observation.

    ``ties`` orders same-instant callbacks by a schedule (default: FIFO).
    Raises :class:`DeadlineExceeded` when the run does not finish by the
    scenario's ``deadline_ms``, and :class:`~harness.crash.ImplementationCrash`
    when the implementation raises anything but a pipeline error.
    """
    try:
        return run_on_virtual_clock(lambda: observe_async(scenario, implementation), ties=ties)
    except (AttributeError, TypeError) as exc:
        # An executor of another revision (``--reference REV``) may record
        # events or values of another shape: one line, not a traceback.
        raise CandidateError(
            f"{implementation.name}: its events or values do not have the shape the harness reads: {exc}"
        ) from None


async def observe_async(scenario: Scenario, implementation: Implementation) -> Observation:
    """Like :func:`observe`, on the running loop (which should have a virtual clock)."""
    loop = asyncio.get_running_loop()
    recorder = Recorder()
    api = implementation.api
    built = build_pipeline(scenario, recorder, api)
    started = loop.time()
    parallel_stages = {index for index, stage in enumerate(scenario.stages, start=1) if not isinstance(stage, str)}
    runs: list[Observation] = []
    with _scenario_environment(scenario):
        # Only a fixed literal needs the keyword, so candidates without it run everything else.
        fixed = {} if scenario.input_replayable else {"input_replayable": False}
        try:
            executor = implementation.executor_class(
                built.stages, parallel_cap=scenario.parallel_cap, delay_ms=scenario.delay_ms, source=built.source,
                **fixed,
            )
        except TypeError as exc:
            if not fixed:
                raise
            raise CandidateError(
                f"{implementation.name}: cannot run {scenario.path or scenario.name}, which needs "
                f"input_replayable=False: {exc}"
            ) from None
        try:
            async with asyncio.timeout_at(started + scenario.deadline_ms / 1000) as deadline:
                for _ in range(scenario.runs):
                    run_started = loop.time()
                    outcome, output, error = await _execute_once(executor, built, implementation)
                    stages = _stage_documents(executor.events, parallel_stages, api)
                    if outcome == "interrupted" and stages and stages[-1]["outcome"] == "retry":
                        stages[-1]["outcome"] = "interrupted"  # the stage the interrupt escaped from
                    runs.append({
                        "outcome": outcome,
                        "output": _value_document(output, api) if output is not None else None,
                        "error": error,
                        "elapsed_ms": round((loop.time() - run_started) * 1000),
                        "stages": stages,
                        "latest_errors": _plain(list(executor.latest_errors), api),
                        "events": [_event_document(event, api) for event in executor.events],
                    })
                    if outcome == "interrupted":
                        break
        except TimeoutError:
            if not deadline.expired():
                raise
            raise DeadlineExceeded(_deadline_message(scenario, recorder, loop.time() - started)) from None
    first = runs[0]
    document: Observation = {
        "scenario": scenario.name,
        "implementation": implementation.name,
        "outcome": first["outcome"],
        "output": first["output"],
        "error": first["error"],
        "elapsed_ms": first["elapsed_ms"],
        "stages": first["stages"],
        "latest_errors": first["latest_errors"],
        "effects": [
            {"stage": e.stage, "branch": e.branch, "command": e.command, "effect": e.effect,
             "text": e.text, "at_ms": e.at_ms, "error": e.error, **_descriptor_document(e.descriptor, api)}
            for e in recorder.effects
        ],
        "events": first["events"],
        "timeline": [
            {"stage": c.stage, "branch": c.branch, "command": c.command,
             "start_ms": c.start_ms, "end_ms": c.end_ms, "result": c.result}
            for c in recorder.calls
        ],
    }
    if scenario.runs > 1:
        document["later_runs"] = runs[1:]
    return document


async def _execute_once(
    executor: Any, built: BuiltPipeline, implementation: Implementation
) -> tuple[str, StructuredValue | None, dict[str, Any] | None]:
    """One run: its outcome, its output, and its error as the observation shows it.

    Anything but a pipeline error or a scenario's interrupt is a bug in the
    implementation, not an outcome: it is raised as an
    :class:`~harness.crash.ImplementationCrash`.
    """
    api = implementation.api
    try:
        value = await built.make_input()
        return "ok", await executor.execute(value), None
    except api.PipelineStageError as exc:
        stage_error: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc)}
        stage_error["command"] = getattr(exc, "command", None)
        stage_error["stage_index"] = getattr(exc, "stage_index", None)
        return "error", None, stage_error
    except api.PipelineError as exc:
        return "error", None, {"type": type(exc).__name__, "message": str(exc)}
    except SCENARIO_INTERRUPTS as exc:
        shown = type(exc).__mro__[1].__name__  # KeyboardInterrupt, not the scenario's subclass
        return "interrupted", None, {"type": shown, "message": str(exc)}
    except Exception as exc:  # a bug in the implementation, not an outcome: see harness.crash
        raise ImplementationCrash(implementation.name, exc) from exc


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


def _stage_documents(
    events: tuple[PipelineEvent, ...], parallel_stages: set[int], api: ExecutorApi
) -> list[dict[str, Any]]:
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
                **_value_document(None, api),
            })
        elif event.type == "STAGE_SUCCESS" and documents:
            documents[-1]["outcome"] = "success"
            documents[-1].update(_value_document(event.output, api))
        elif event.type == "STAGE_FAILURE" and documents:
            documents[-1]["outcome"] = "failure"
            documents[-1]["error"] = event.error
    return documents


def _value_document(value: StructuredValue | None, api: ExecutorApi) -> dict[str, Any]:
    """A value's type, text, data and descriptor; for a parallel aggregate also its metadata (spec section 6).

    An aggregate's metadata holds its ``errors`` (the markers) and its
    ``stages``, each branch's own finalized value (``branches`` here, with its
    type, text, data and descriptor): the contract keeps both (spec section 10, item 5).
    """
    if value is None:
        return dict.fromkeys(("type", "text", "data", "errors"), None) | _descriptor_document(None, api) | {
            "branches": None
        }
    metadata = (value.metadata or {}) if value.type == "array" else {}
    errors, branches = metadata.get("errors"), metadata.get("stages")
    return {
        **_content_document(value, api),
        "errors": _plain(errors, api) if isinstance(errors, list) else [],
        **_descriptor_document(value.descriptor, api),
        "branches": [_branch_document(branch, api) for branch in branches] if isinstance(branches, list) else None,
    }


def _content_document(value: StructuredValue, api: ExecutorApi) -> dict[str, Any]:
    return {"type": value.type, "text": value.text, "data": _plain(value.data, api)}


def _branch_document(value: object, api: ExecutorApi) -> dict[str, Any]:
    """One branch's value in an aggregate's metadata: its content and descriptor."""
    if not isinstance(value, api.StructuredValue):
        return {"type": None, "text": None, "data": _plain(value, api)} | _descriptor_document(None, api)
    return _content_document(value, api) | _descriptor_document(value.descriptor, api)


def _descriptor_document(descriptor: SecurityDescriptor | None, api: ExecutorApi) -> dict[str, Any]:
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
        "policy_context": _plain(descriptor.policy_context, api),
    }


def _event_document(event: PipelineEvent, api: ExecutorApi) -> dict[str, Any]:
    document: dict[str, Any] = {"type": event.type}
    for key in ("stage", "command", "attempt", "context_id", "target", "error", "reason"):
        found = getattr(event, key)
        if found is not None:
            document[key] = found
    if event.duration_ms is not None:
        document["duration_ms"] = _plain(event.duration_ms, api)
    return document


def _plain(value: object, api: ExecutorApi) -> Any:
    """The JSON form of a value: structured values as their data, floats that JSON lacks as text."""
    if isinstance(value, api.StructuredValue):
        return _plain(value.data, api)
    if value is api.MISSING:
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
        return {str(key): _plain(item, api) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item, api) for item in value]
    return repr(value)


def canonical_json(observation: Observation) -> str:
    """The observation as canonical JSON: fixed key order, two-space indent, UTF-8 kept, final newline."""
    return json.dumps(observation, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
