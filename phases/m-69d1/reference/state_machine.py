"""Retry signals and the retry state machine that decides which stage runs next.

Stage indexes here are mlld's *internal* ones (decision D3): with a function
source a synthetic source stage is index 0 and entry j is index j; with a
literal input there is no source stage and entry j is index j - 1. Messages
print these indexes as mlld does; the executor maps them to its entries. After
each stage execution the executor feeds the result to
:meth:`PipelineStateMachine.record` and gets back the next step: run a stage,
complete, fail or abort.

How a retry that targets index 0 behaves depends on two flags, set per input
kind as mlld sets them (mlld ``interpreter/eval/pipeline/executor.ts``: the
machine is built with ``isRetryable`` and ``Boolean(sourceFunction)``):
``stage0_retryable`` (a later stage may retry index 0) and ``stage0_replay``
(index 0 asking to retry itself runs again; without replay the request is
consumed once and the input passes through, mlld ``state-machine.ts``, the
``stage === 0 && targetStage === 0`` branch of ``handleStageRetry``).

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

from .serialization import compact_json, js_string, js_truthy
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
    "PassThrough",
    "RetryRequest",
    "SELF_RETRY_CONTEXT_ID",
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
SELF_RETRY_CONTEXT_ID: Final = "stage0-self-retry"
"""The context id mlld logs when index 0 retries itself; no retry context opens."""
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


@final
@dataclass(frozen=True, slots=True)
class PassThrough:
    """Index 0's retry request was consumed: the input counts as its output, then ``then`` follows.

    Only a fixed literal input (no replay) gives this; the executor logs the
    request and index 0's success with the original input before going on.
    """

    output: str
    then: ExecuteStage | Complete
    logged: bool = True


Transition: TypeAlias = "ExecuteStage | Complete | Fail | Abort | PassThrough"


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
        # Only a truthy hint is shown: mlld tests `context.currentHint ? ... : ''`
        # (state-machine.ts, handleStageRetry), so "", 0, false and NaN add
        # nothing while an empty array or object does.
        if not self.has_hint or not js_truthy(self.current_hint):
            return ""
        if isinstance(self.current_hint, str):
            return f" Hint: {self.current_hint}"
        return f" Hint: {compact_json(self.current_hint)[:120]}"


class PipelineStateMachine:
    """Decides the next step after each stage execution; one instance per run.

    ``stage_count`` is mlld's internal stage count: the entries, plus one for
    a synthetic source (``synthetic_source``). ``stage0_retryable`` says whether
    a later stage may retry index 0, ``stage0_replay`` whether index 0 asking
    to retry itself runs again (see the module docstring).
    """

    __slots__ = (
        "_context",
        "_context_serial",
        "_global_retries",
        "_history",
        "_last_output",
        "_original_input",
        "_stage0_replay",
        "_stage0_retry_consumed",
        "_stage0_retryable",
        "_stage_count",
        "_synthetic_source",
    )

    def __init__(
        self, stage_count: int, *, stage0_retryable: bool, stage0_replay: bool, synthetic_source: bool = False
    ) -> None:
        self._stage_count = stage_count
        self._stage0_retryable = stage0_retryable
        self._stage0_replay = stage0_replay
        self._synthetic_source = synthetic_source
        self._stage0_retry_consumed = False
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
        """Begin a run on ``input_text``: run index 0, or complete an empty pipeline."""
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
        # Any empty output ends the run, a function source's included (mlld
        # state-machine.ts, handleStageSuccess: `if (output === '')`).
        if output.text == "":
            return Complete("")
        context = self._context
        if context is not None and stage == context.retrying:
            context.attempts.append(copy.copy(output))
            context.current_hint, context.has_hint = None, False
            return ExecuteStage(context.requesting, output.text)
        if context is not None and stage == context.requesting:
            self._history[context.id] = context.attempts
            self._context = None
        return self._advance(stage, output.text)

    def _advance(self, stage: int, output_text: str) -> ExecuteStage | Complete:
        if stage + 1 >= self._stage_count:
            return Complete(output_text)
        return ExecuteStage(stage + 1, output_text)

    def _on_retry(self, stage: int, retry: StageRetry) -> Transition:
        target = retry.from_stage if retry.from_stage is not None else max(0, stage - 1)
        if stage == 0 and target == 0:
            return self._on_stage0_self_retry()
        if target == 0 and not self._stage0_retryable:
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

    def _on_stage0_self_retry(self) -> Transition:
        """Index 0 asks to retry itself (mlld state-machine.ts, ``stage === 0 && targetStage === 0``).

        With replay it runs again on the original input, counted globally but
        in no retry context, so its ``try`` goes 1, 2, 3, ... and the 21st
        request aborts. Without replay the first request is consumed: the
        original input becomes index 0's output and the run goes on; later
        requests go on the same way without being logged. mlld counts nothing
        for the consumed request, but marks index 0 exhausted.
        """
        if not self._stage0_replay:
            logged = not self._stage0_retry_consumed
            self._stage0_retry_consumed = True
            if logged:
                self._last_output[0] = self._original_input
            return PassThrough(self._original_input, self._advance(0, self._original_input), logged)
        retries = self._global_retries.get(0, 0)
        if retries >= MAX_RETRIES_PER_STAGE:
            return Abort(f"Stage 0 exceeded global retry limit ({MAX_RETRIES_PER_STAGE} attempts).")
        self._global_retries[0] = retries + 1
        return ExecuteStage(0, self._original_input, RetryRequest(0, 0, SELF_RETRY_CONTEXT_ID))

    def stage_context(self, stage: int, *, parallel_index: int | None = None) -> StageContext:
        """Return what the command of internal index ``stage`` sees through ``stage_context()`` (spec R5.14).

        The context's ``stage`` is the 1-based entry number in every input
        kind, and ``total_stages`` the entry count: mlld hides its synthetic
        source from both (``context-builder.ts``, ``userVisibleStage``). The
        source itself is given stage 0, the harness's number for the input.
        """
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
        hidden = 1 if self._synthetic_source else 0
        return StageContext(
            stage=stage + 1 - hidden,
            total_stages=max(self._stage_count - hidden, 0),
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
