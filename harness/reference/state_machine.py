"""Retry signals and the retry state machine that decides which stage runs next.

Stage indexes here are the executor's: the source is stage 0 and the entries
are stages 1..n, the one numbering every message uses (decision D3). After each
stage execution the executor feeds the result to :meth:`PipelineStateMachine.record`
and gets back the next step: run a stage, complete, fail or abort.

Retries happen inside a *retry context* pairing the requesting stage with the
stage it retries. A context allows 10 retries and each stage 20 over the whole
run; the messages of both limits, the ``try`` counters and the ``tries``
history follow spec section 5 to the letter, quirks included (a nested retry
replaces the outer context and so restarts its count).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, TypeAlias, final

from .serialization import compact_json, js_string
from .types import (
    RetrySignal,
    StageContext,
    StageFailure,
    StageResult,
    StageRetry,
    StageSuccess,
    StructuredValue,
)

__all__ = [
    "Abort",
    "Complete",
    "ExecuteStage",
    "Fail",
    "MAX_RETRIES_PER_CONTEXT",
    "MAX_RETRIES_PER_STAGE",
    "MAX_STAGE_EXECUTIONS",
    "PipelineStateMachine",
    "RetryRequest",
    "SOURCE_NOT_RETRYABLE",
    "Transition",
    "is_retry_signal",
    "read_retry",
]

MAX_STAGE_EXECUTIONS: Final = 100
"""A run fails once more than this many stage executions happened (spec R2.6)."""
MAX_RETRIES_PER_CONTEXT: Final = 10
MAX_RETRIES_PER_STAGE: Final = 20
DEFAULT_RETRY_REASON: Final = "Stage requested retry"
SOURCE_NOT_RETRYABLE: Final = (
    "Cannot retry stage 0: input is not a function. Make the source a function to enable retries."
)


def is_retry_signal(raw: object) -> bool:
    """Return whether a command's raw output asks for a retry (spec R5.1).

    The string ``"retry"``, a :class:`RetrySignal`, any dict whose ``value``
    is ``"retry"``, and a structured value whose text or data is ``"retry"``
    (or whose data is such a dict) all do.
    """
    if isinstance(raw, str):
        return raw == "retry"
    if isinstance(raw, RetrySignal):
        return True
    if isinstance(raw, Mapping):
        return raw.get("value") == "retry"
    if isinstance(raw, StructuredValue):
        data = raw.data
        return raw.text == "retry" or data == "retry" or (isinstance(data, Mapping) and data.get("value") == "retry")
    return False


def read_retry(raw: object) -> StageRetry:
    """Read ``from`` and ``hint`` off a retry signal (spec R5.2, R5.3).

    Only a dict or a :class:`RetrySignal` carries them; a structured value
    wrapping a signal loses both.
    """
    from_stage: object = None
    hint: object = None
    has_hint = False
    if isinstance(raw, RetrySignal):
        from_stage, hint, has_hint = raw.from_stage, raw.hint, raw.hint is not None
    elif isinstance(raw, Mapping):
        from_stage = raw.get("from")
        if "hint" in raw:
            hint, has_hint = raw["hint"], True
    if isinstance(from_stage, bool) or not isinstance(from_stage, (int, float)) or not math.isfinite(from_stage):
        from_stage = None
    # A truthy hint doubles as the reason, the way JavaScript's `hint || default` reads.
    reason = js_string(hint) if has_hint and hint else DEFAULT_RETRY_REASON
    return StageRetry(
        reason=reason,
        from_stage=int(from_stage) if from_stage is not None else None,
        hint=hint,
        has_hint=has_hint,
    )


@final
@dataclass(frozen=True, slots=True)
class RetryRequest:
    """An accepted retry: who asked, which stage runs again, in which context."""

    requesting: int
    target: int
    context_id: str


@final
@dataclass(frozen=True, slots=True)
class ExecuteStage:
    """Run ``stage`` next with ``input_text``; ``retry`` is set when a retry caused it."""

    stage: int
    input_text: str
    retry: RetryRequest | None = None


@final
@dataclass(frozen=True, slots=True)
class Complete:
    """The pipeline completed with ``output``."""

    output: str


@final
@dataclass(frozen=True, slots=True)
class Fail:
    """Stage ``stage`` failed with ``message``."""

    stage: int
    message: str


@final
@dataclass(frozen=True, slots=True)
class Abort:
    """The state machine refused to go on."""

    reason: str


Transition: TypeAlias = "ExecuteStage | Complete | Fail | Abort"


@dataclass(slots=True)
class _RetryContext:
    id: str
    requesting: int
    retrying: int
    attempt_number: int = 1
    attempts: list[StructuredValue] = field(default_factory=list)
    hints: list[object] = field(default_factory=list)
    current_hint: object = None
    has_hint: bool = False

    def hint_suffix(self) -> str:
        if not self.has_hint or self.current_hint is None:
            return ""
        if isinstance(self.current_hint, str):
            return f" Hint: {self.current_hint}"
        return f" Hint: {compact_json(self.current_hint)[:120]}"


class PipelineStateMachine:
    """Decides the next step after each stage execution; one instance per run.

    ``stage_count`` counts the source, so a pipeline of n entries has n + 1
    stages. ``source_retryable`` says whether a retry may target stage 0.
    """

    __slots__ = (
        "_context",
        "_context_serial",
        "_global_retries",
        "_history",
        "_last_output",
        "_original_input",
        "_source_retryable",
        "_stage_count",
    )

    def __init__(self, stage_count: int, *, source_retryable: bool) -> None:
        self._stage_count = stage_count
        self._source_retryable = source_retryable
        self._context: _RetryContext | None = None
        self._context_serial = 0
        self._global_retries: dict[int, int] = {}
        self._history: dict[str, list[StructuredValue]] = {}
        self._last_output: dict[int, str] = {}
        self._original_input = ""

    def __repr__(self) -> str:
        active = self._context.id if self._context else None
        return f"PipelineStateMachine(stages={self._stage_count}, context={active!r})"

    def start(self, input_text: str) -> Transition:
        """Begin a run on ``input_text``: run the source, or complete an empty pipeline."""
        self._original_input = input_text
        if self._stage_count == 0:
            return Complete(input_text)
        return ExecuteStage(0, input_text)

    def replace_original_input(self, input_text: str) -> None:
        """Record the text a re-run source produced; later retries of stage 1 start from it."""
        self._original_input = input_text

    def record(self, stage: int, result: StageResult) -> Transition:
        """Feed the result of executing ``stage`` and return the next step."""
        if isinstance(result, StageSuccess):
            return self._on_success(stage, result.output)
        if isinstance(result, StageRetry):
            return self._on_retry(stage, result)
        assert isinstance(result, StageFailure)
        return Fail(stage, result.message)

    def _on_success(self, stage: int, output: StructuredValue) -> Transition:
        self._last_output[stage] = output.text
        # Only a stage's output ends a run early; the source's text is the input.
        if output.text == "" and stage > 0:
            return Complete("")
        context = self._context
        if context is not None and stage == context.retrying:
            context.attempts.append(copy.copy(output))
            context.current_hint, context.has_hint = None, False
            return ExecuteStage(context.requesting, output.text)
        if context is not None and stage == context.requesting:
            self._history[context.id] = context.attempts
            self._context = None
        if stage + 1 >= self._stage_count:
            return Complete(output.text)
        return ExecuteStage(stage + 1, output.text)

    def _on_retry(self, stage: int, retry: StageRetry) -> Transition:
        target = retry.from_stage if retry.from_stage is not None else max(0, stage - 1)
        if target == 0 and not self._source_retryable:
            return Abort(SOURCE_NOT_RETRYABLE)
        context = self._context
        if context is not None and context.requesting == stage and context.retrying == target:
            context.attempt_number += 1
        else:
            if context is not None:
                self._history[context.id] = context.attempts
            self._context_serial += 1
            context = _RetryContext(id=f"retry-{self._context_serial}", requesting=stage, retrying=target)
            self._context = context
        if context.attempt_number > MAX_RETRIES_PER_CONTEXT:
            return Abort(
                f"Stage {stage} exceeded retry limit for stage {target} "
                f"({context.attempt_number - 1} attempts; max {MAX_RETRIES_PER_CONTEXT}).{context.hint_suffix()}"
            )
        if self._global_retries.get(target, 0) >= MAX_RETRIES_PER_STAGE:
            return Abort(
                f"Stage {target} exceeded global retry limit ({MAX_RETRIES_PER_STAGE} attempts).{context.hint_suffix()}"
            )
        self._global_retries[target] = self._global_retries.get(target, 0) + 1
        hint = retry.hint if retry.has_hint else retry.reason
        context.current_hint, context.has_hint = hint, True
        context.hints.append(hint)
        input_text = self._original_input if target == 0 else self._last_output.get(target - 1, self._original_input)
        return ExecuteStage(target, input_text, RetryRequest(stage, target, context.id))

    def stage_context(self, stage: int, *, parallel_index: int | None = None) -> StageContext:
        """Return what the command of ``stage`` sees through ``stage_context()`` (spec R5.14)."""
        context = self._context
        attempt = self._global_retries.get(stage, 0) + 1
        if context is None:
            try_ = attempt
        elif stage == context.retrying:
            try_ = context.attempt_number + 1
        elif stage == context.requesting:
            try_ = len(context.attempts) + 1
        else:
            try_ = 1
        involved = context is not None and stage in (context.requesting, context.retrying)
        tries: tuple[object, ...] = tuple(a.text for a in context.attempts) if context and involved else ()
        if not tries and self._history:
            tries = tuple(tuple(a.text for a in attempts) for attempts in self._history.values())
        return StageContext(
            stage=stage,
            total_stages=max(self._stage_count - 1, 0),
            attempt=attempt,
            global_attempt=sum(self._global_retries.values()) + 1,
            try_=try_,
            hint=context.current_hint if context is not None and context.has_hint else None,
            hint_history=tuple(_shown_hint(h) for h in context.hints) if context is not None else (),
            tries=tries,
            previous_outputs=tuple(self._last_output.get(j, "") for j in range(stage)),
            context_id=context.id if context is not None else None,
            parallel_index=parallel_index,
        )


def _shown_hint(hint: object) -> object:
    """Hints in the history: strings and dicts as they are, other scalars as their text."""
    if isinstance(hint, (str, dict, list, tuple)):
        return hint
    return js_string(hint)
