"""Running a command and its effects under a stage context (decisions D1, D6; spec R7.7, R8.1, R8.2)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from harness.pipeline import Command, CommandResult, Effect, EffectError, StageContext, StructuredValue, make_descriptor
from harness.pipeline.invocation import (
    invoke_command,
    label_descriptor,
    run_effects,
    split_command_result,
    stage_context,
    stage_descriptor,
    using_stage_context,
)
from harness.pipeline.values import text_value

CONTEXT = StageContext(stage=1, total_stages=1, attempt=1, global_attempt=1, try_=1)


def test_stage_context_outside_a_command_raises() -> None:
    """D1: the accessor is only available while a command or effect runs."""
    with pytest.raises(LookupError, match="only available while a pipeline command or effect runs"):
        stage_context()


def test_using_stage_context_nests_and_restores() -> None:
    """D1: the context is set for a block and restored after it."""
    inner = StageContext(stage=2, total_stages=2, attempt=1, global_attempt=1, try_=3)
    with using_stage_context(CONTEXT):
        with using_stage_context(inner):
            assert stage_context() is inner
        assert stage_context() is CONTEXT
    with pytest.raises(LookupError):
        stage_context()


@pytest.mark.parametrize("asynchronous", [False, True])
def test_invoke_command_sees_its_context(run_virtual: Callable[..., Any], asynchronous: bool) -> None:
    """D1/D6: sync and async commands get their input and see the stage context while they run."""

    def sync(value: StructuredValue) -> str:
        return f"{value.text}:{stage_context().try_}"

    async def coro(value: StructuredValue) -> str:
        await asyncio.sleep(0.001)
        return sync(value)

    command = Command("c", coro if asynchronous else sync)
    assert run_virtual(invoke_command(command, text_value("in"), CONTEXT)) == "in:1"


def test_split_command_result() -> None:
    """D1: a ``CommandResult`` splits into value and descriptor; anything else has no descriptor."""
    descriptor = make_descriptor(labels=["x"])
    assert split_command_result(CommandResult("v", descriptor)) == ("v", descriptor)
    assert split_command_result("plain") == ("plain", None)


def test_stage_and_label_descriptors() -> None:
    """R7.7/D1: labels give the stage descriptor; merged with a result's descriptor they are the label descriptor."""
    plain = Command("plain", lambda v: v)
    labelled = Command("labelled", lambda v: v, labels=("alpha",))
    result_descriptor = make_descriptor(labels=["beta"])
    assert stage_descriptor(plain) is None
    assert stage_descriptor(labelled) == make_descriptor(labels=["alpha"])
    assert label_descriptor(plain, None) is None
    assert label_descriptor(plain, result_descriptor) is result_descriptor
    merged = label_descriptor(labelled, result_descriptor)
    assert merged is not None and merged.labels == ("alpha", "beta")


def test_effects_run_in_order_unnamed_ones_skipped(run_virtual: Callable[..., Any]) -> None:
    """R8.1: effects run one after another, awaited, with the output; effects without a name are skipped."""
    shown: list[str] = []

    async def later(value: StructuredValue) -> None:
        await asyncio.sleep(0.002)
        shown.append(f"later {value.text} try {stage_context().try_}")

    effects = (
        Effect("later", later),
        Effect("", lambda v: shown.append("unnamed")),
        Effect("now", lambda v: shown.append("now")),
    )
    run_virtual(run_effects(Command("c", lambda v: v, effects=effects), text_value("out"), CONTEXT))
    assert shown == ["later out try 1", "now"]


def test_a_failing_effect_is_wrapped(run_virtual: Callable[..., Any]) -> None:
    """R8.2: ``Inline effect @NAME failed: MESSAGE``, the original error kept as the cause."""

    def broken(value: StructuredValue) -> None:
        raise ValueError("no printer")

    command = Command("c", lambda v: v, effects=(Effect("show", broken),))
    with pytest.raises(EffectError, match=r"^Inline effect @show failed: no printer$") as caught:
        run_virtual(run_effects(command, text_value("out"), CONTEXT))
    assert isinstance(caught.value.__cause__, ValueError)
