"""Calling a command and its effects inside a stage, and what the command may ask of it.

While a command (or one of its effects) runs, :func:`stage_context` returns
the :class:`~harness.pipeline.types.StageContext` of its stage, or of its
branch inside a parallel stage. It is backed by a :class:`contextvars.ContextVar`,
so concurrent branches each see their own. Synchronous commands are called on
the event loop (decision D6): a run must stay deterministic on a virtual clock.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace

from .descriptors import SecurityDescriptor, make_descriptor, merge_descriptors
from .serialization import js_trim
from .types import Command, CommandResult, EffectError, StageContext, StructuredValue

__all__ = [
    "invoke_command",
    "label_descriptor",
    "run_effects",
    "sequential_effects_context",
    "split_command_result",
    "stage_context",
    "stage_descriptor",
    "using_stage_context",
]

_current_stage: ContextVar[StageContext | None] = ContextVar("harness_pipeline_stage", default=None)


def stage_context() -> StageContext:
    """Return the context of the stage whose command is running.

    Raises :class:`LookupError` outside a command or effect run by an executor.
    """
    context = _current_stage.get()
    if context is None:
        raise LookupError("stage_context() is only available while a pipeline command or effect runs")
    return context


@contextmanager
def using_stage_context(context: StageContext) -> Iterator[StageContext]:
    """Make ``context`` the current stage context for the duration of the block."""
    token = _current_stage.set(context)
    try:
        yield context
    finally:
        _current_stage.reset(token)


async def invoke_command(command: Command, value: StructuredValue, context: StageContext) -> object:
    """Run ``command`` on ``value`` under ``context`` and return its raw output, awaited if need be."""
    with using_stage_context(context):
        raw = command.run(value)
        if inspect.isawaitable(raw):
            raw = await raw
    return raw


def split_command_result(raw: object) -> tuple[object, SecurityDescriptor | None]:
    """Separate a :class:`CommandResult` into its value and its descriptor."""
    if isinstance(raw, CommandResult):
        return raw.value, raw.descriptor
    return raw, None


def stage_descriptor(command: Command) -> SecurityDescriptor | None:
    """The descriptor of the command's own labels, or ``None`` when it has none (spec R7.7)."""
    return make_descriptor(labels=command.labels) if command.labels else None


def label_descriptor(command: Command, result_descriptor: SecurityDescriptor | None) -> SecurityDescriptor | None:
    """The label descriptor of one execution: the command's labels merged with its result's descriptor (D1)."""
    parts = [d for d in (stage_descriptor(command), result_descriptor) if d is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else merge_descriptors(*parts)


def sequential_effects_context(context: StageContext, output: StructuredValue) -> StageContext:
    """The context a sequential stage's effects run under: its own, without the hint unless ``output`` is blank.

    Surprising but mlld's: before running the effects of a non-blank output it
    sets the pipeline context's ``hint`` to null, so the effects of a retried
    stage see no hint although its command did; a blank (empty or whitespace)
    output keeps it (executor/single-stage-runner.ts, ``hint: null``). A group's
    branches keep theirs.
    """
    if js_trim(output.text) == "":
        return context
    return replace(context, hint=None)


async def run_effects(command: Command, value: StructuredValue, context: StageContext) -> None:
    """Run the command's effects in order on its finalized output (spec R8.1).

    A failing effect raises :class:`EffectError` ``Inline effect @NAME failed: MESSAGE``;
    effects without a name are skipped.
    """
    with using_stage_context(context):
        for effect in command.effects:
            if not effect.name:
                continue
            try:
                outcome = effect.run(value)
                if inspect.isawaitable(outcome):
                    await outcome
            except Exception as exc:
                raise EffectError(f"Inline effect @{effect.name} failed: {exc}") from exc
