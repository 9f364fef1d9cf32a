"""Shared value, result, context and error types of the pipeline executor.

Every module of :mod:`harness.pipeline` imports its types from here, so each is
declared once. This module holds definitions only; the behaviour lives in the
modules named in each docstring.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeAlias, final

from .descriptors import EMPTY_DESCRIPTOR, SecurityDescriptor

__all__ = [
    "BranchResult",
    "Command",
    "CommandResult",
    "CommandRun",
    "Effect",
    "EffectError",
    "EffectRun",
    "Entry",
    "EventType",
    "PipelineAbortedError",
    "PipelineError",
    "PipelineEvent",
    "PipelineIterationLimitError",
    "PipelineStageError",
    "RetryRequested",
    "RetrySignal",
    "SourceFunction",
    "StageContext",
    "StageFailure",
    "StageResult",
    "StageRetry",
    "StageSuccess",
    "StructuredValue",
    "ValueType",
]

ValueType: TypeAlias = str
"""``text``, ``array``, ``object`` or ``null`` for values the executor builds."""


@dataclass(slots=True)
class StructuredValue:
    """A stage input or output: its type, its text view, its native data, metadata and descriptor.

    Deliberately mutable: finalizing a stage output applies the merged
    descriptor to the value in place (spec R7.6), and the parallel aggregate's
    metadata refers to the very branch values that were finalized.
    """

    type: ValueType
    text: str
    data: Any
    metadata: dict[str, Any] | None = None
    descriptor: SecurityDescriptor = EMPTY_DESCRIPTOR


class CommandRun(Protocol):
    """What a command does with its stage input: return a value or an awaitable of one."""

    def __call__(self, value: StructuredValue, /) -> object | Awaitable[object]: ...


class EffectRun(Protocol):
    """An inline effect: receives the finalized output; its return value is ignored."""

    def __call__(self, value: StructuredValue, /) -> object | Awaitable[object]: ...


@final
@dataclass(frozen=True, slots=True)
class Effect:
    """An inline effect run after its command succeeds; one without a name is skipped."""

    name: str
    run: EffectRun


@final
@dataclass(frozen=True, slots=True)
class Command:
    """One pipeline stage (or one branch of a parallel group).

    ``labels`` are the command's security labels; ``effects`` run in order after
    every successful execution.
    """

    name: str
    run: CommandRun
    labels: tuple[str, ...] = ()
    effects: tuple[Effect, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"a command needs a non-empty name, got {self.name!r}")
        object.__setattr__(self, "labels", tuple(self.labels))
        object.__setattr__(self, "effects", tuple(self.effects))


Entry: TypeAlias = "Command | list[Command] | tuple[Command, ...]"
"""A pipeline entry: a sequential command, or a list of commands run as one parallel stage."""


SourceFunction: TypeAlias = "Callable[[], object | Awaitable[object]]"
"""A zero-argument callable, sync or async, that produces the pipeline input again."""


@final
@dataclass(frozen=True, slots=True)
class CommandResult:
    """A command's output together with a label descriptor for it."""

    value: object
    descriptor: SecurityDescriptor | None = None


@final
@dataclass(frozen=True, slots=True)
class RetrySignal:
    """Returned by a command to ask for a retry of an earlier stage.

    ``hint`` (``None`` meaning no hint) is shown to the retried stage;
    ``from_stage`` names the stage to retry (default: the previous one).
    """

    hint: object = None
    from_stage: int | None = None


class RetryRequested(Exception):
    """Raised by a command to ask for a retry; in a parallel branch it is an ordinary failure."""

    def __init__(self, message: str = "Stage requested retry", *, hint: object = None) -> None:
        super().__init__(message)
        self.hint = hint


@final
@dataclass(frozen=True, slots=True)
class StageContext:
    """What a running command may know about its stage, read with ``stage_context()``.

    ``stage`` and ``total_stages`` use the one numbering of every message (the
    source is 0, entries are 1..n). ``try_`` is the attempt within the active
    retry context (``try`` is a Python keyword); ``attempt`` counts all
    executions of the stage. ``tries`` holds the texts of the context's earlier
    attempts, or the whole retry history as lists of texts when the stage is
    outside any context.
    """

    stage: int
    total_stages: int
    attempt: int
    global_attempt: int
    try_: int
    hint: object = None
    hint_history: tuple[object, ...] = ()
    tries: tuple[Any, ...] = ()
    previous_outputs: tuple[str, ...] = ()
    context_id: str | None = None
    parallel_index: int | None = None


@final
@dataclass(frozen=True, slots=True)
class StageSuccess:
    """A stage finished; ``output`` is its finalized, cached value."""

    output: StructuredValue


@final
@dataclass(frozen=True, slots=True)
class StageFailure:
    """A stage failed with ``message``."""

    message: str


@final
@dataclass(frozen=True, slots=True)
class StageRetry:
    """A stage asked for a retry. ``has_hint`` tells a ``None`` hint from no hint."""

    reason: str
    from_stage: int | None = None
    hint: object = None
    has_hint: bool = False


StageResult: TypeAlias = "StageSuccess | StageFailure | StageRetry"


@final
@dataclass(frozen=True, slots=True)
class BranchResult:
    """One branch of a parallel stage: its value (or error marker), label descriptor, or retry signal."""

    value: StructuredValue | None
    labels: SecurityDescriptor | None = None
    retry_signal: object = None


EventType: TypeAlias = Literal[
    "PIPELINE_START",
    "STAGE_START",
    "STAGE_SUCCESS",
    "STAGE_RETRY_REQUEST",
    "STAGE_FAILURE",
    "PIPELINE_COMPLETE",
    "PIPELINE_ABORT",
]


@final
@dataclass(frozen=True, slots=True)
class PipelineEvent:
    """One lifecycle event; only the fields that belong to its ``type`` are set.

    ``STAGE_SUCCESS`` carries the stage's finalized ``output`` (the state
    machine log of spec R9.2 does too).
    """

    type: EventType
    stage: int | None = None
    command: str | None = None
    attempt: int | None = None
    context_id: str | None = None
    duration_ms: float | None = None
    target: int | None = None
    error: str | None = None
    reason: str | None = None
    output: StructuredValue | None = None


class PipelineError(Exception):
    """A pipeline did not complete: ``Pipeline failed at stage N: ...`` or ``Pipeline aborted: ...``."""


class PipelineStageError(PipelineError):
    """A stage failed; ``stage_index`` is its number and ``command`` its name (``unknown`` for a group)."""

    def __init__(self, message: str, *, stage_index: int, command: str) -> None:
        super().__init__(message)
        self.stage_index = stage_index
        self.command = command


class PipelineAbortedError(PipelineError):
    """The retry state machine aborted the pipeline (retry limits, a source that cannot be retried)."""


class PipelineIterationLimitError(PipelineError):
    """More than 100 stage executions happened in one run."""


class EffectError(Exception):
    """An inline effect failed: ``Inline effect @NAME failed: MESSAGE``."""
