"""Parallel-stage facts that only show through descriptors, effects and the cache (spec R2.3, R3.2, R6.4, R7.6).

A branch's ``CommandResult`` descriptor, the descriptors carried inside its
raw output, the stage context its effects see, and the input of a group that
runs again after the stage before it was skipped. Behaviour is asserted on
both executors; the cache fallback is also pinned on the runner alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from harness.pipeline import (
    Command,
    CommandResult,
    Effect,
    ParallelStageRunner,
    PipelineExecutor,
    StageContext,
    StructuredValue,
    make_descriptor,
    stage_context,
)
from harness.pipeline.cache import StageOutputCache
from harness.pipeline.markers import ErrorContext
from harness.pipeline.types import StageSuccess
from harness.reference import ReferenceExecutor

Run = Callable[..., Any]
ExecutorClass = type[PipelineExecutor] | type[ReferenceExecutor]


def stage_values(output: StructuredValue) -> list[StructuredValue]:
    """The branch values kept in an aggregate's metadata, in declaration order."""
    return list((output.metadata or {})["stages"])


def test_a_command_result_descriptor_reaches_the_branch_its_effects_and_the_aggregate(
    executor_class: ExecutorClass, run_virtual: Run
) -> None:
    """R3.2/D1: the label descriptor merges the result's descriptor; the branch value and its effects carry it."""
    seen_by_effect: list[tuple[str, ...]] = []

    def record_labels(value: StructuredValue) -> None:
        seen_by_effect.append(value.descriptor.labels)

    def described(value: StructuredValue) -> CommandResult:
        return CommandResult("out", make_descriptor(labels=["from-result"]))

    group = [
        Command("described", described, labels=("own",), effects=(Effect("record", record_labels),)),
        Command("plain", lambda value: "p"),
    ]
    output = run_virtual(executor_class([group]).execute("x"))
    assert output.data == ["out", "p"]
    assert seen_by_effect == [("own", "from-result")]
    assert stage_values(output)[0].descriptor.labels == ("own", "from-result")
    assert output.descriptor.labels == ("own", "from-result")


def test_an_unlabelled_command_result_descriptor_is_kept_too(executor_class: ExecutorClass, run_virtual: Run) -> None:
    """D1: a command without labels still passes its result's descriptor on to its value and the aggregate."""

    def described(value: StructuredValue) -> CommandResult:
        return CommandResult("out", make_descriptor(labels=["from-result"], sources=["feed"]))

    output = run_virtual(executor_class([[Command("described", described)]]).execute("x"))
    branch = stage_values(output)[0]
    assert (branch.descriptor.labels, branch.descriptor.sources) == (("from-result",), ("feed",))
    assert (output.descriptor.labels, output.descriptor.sources) == (("from-result",), ("feed",))


def test_descriptors_inside_a_raw_output_reach_the_branch_and_the_aggregate(
    executor_class: ExecutorClass, run_virtual: Run
) -> None:
    """R7.6: finalizing reads descriptors from the raw output (a list holding a labelled value), not the normalized one."""
    inner = StructuredValue(type="text", text="in", data="in", descriptor=make_descriptor(labels=["inner"]))

    def nested(value: StructuredValue) -> list[object]:
        return [inner, "tail"]

    output = run_virtual(executor_class([[Command("nested", nested), Command("plain", lambda value: "p")]]).execute("x"))
    assert output.data == [["in", "tail"], "p"]
    assert stage_values(output)[0].descriptor.labels == ("inner",)
    assert output.descriptor.labels == ("inner",)


def test_effects_of_a_branch_run_under_that_branch_context(executor_class: ExecutorClass, run_virtual: Run) -> None:
    """R8.1/R5.14: an effect reads ``stage_context()`` of its own branch: stage, parallel index, try."""
    seen: list[tuple[str, int, int | None, int]] = []

    def note_context(value: StructuredValue) -> None:
        context = stage_context()
        seen.append((value.text, context.stage, context.parallel_index, context.try_))

    def branch(name: str) -> Command:
        return Command(name, lambda value: f"{name}:{value.text}", effects=(Effect("note", note_context),))

    output = run_virtual(executor_class([Command("first", lambda value: "f"), [branch("a"), branch("b")]]).execute("x"))
    assert output.data == ["a:f", "b:f"]
    assert seen == [("a:f", 2, 0, 1), ("b:f", 2, 1, 1)]


def test_a_group_rerun_after_its_input_stage_was_skipped_reads_that_stage_last_text(
    executor_class: ExecutorClass, run_virtual: Run
) -> None:
    """R2.3: the cleared input of a re-run group is rebuilt as plain text from the input text it is handed.

    Entry 4 asks for a retry from entry 1 (``from`` 0, mlld's index on a
    literal input), so entry 2's cached object is cleared and entry 2 is
    skipped; entry 5 then asks for a retry from the group at entry 3 (``from``
    2), which reads entry 2's last text as a ``text`` value.
    """
    seen: list[tuple[str, object]] = []
    calls = {"fourth": 0, "fifth": 0}

    def structured(value: StructuredValue) -> dict[str, object]:
        return {"k": value.text}

    def look(value: StructuredValue) -> str:
        seen.append((value.type, value.data))
        return value.text

    def asking(name: str, target: int) -> Command:
        def run(value: StructuredValue) -> object:
            calls[name] += 1
            return {"value": "retry", "from": target} if calls[name] == 1 else value.text

        return Command(name, run)

    stages: list[Command | list[Command]] = [
        Command("first", lambda value: "a"),
        Command("second", structured),
        [Command("look", look)],
        asking("fourth", 0),
        asking("fifth", 2),
    ]
    output = run_virtual(executor_class(stages).execute("x"))
    assert seen == [("object", {"k": "a"}), ("text", '{"k":"a"}')]
    assert output.text == '["{\\"k\\":\\"a\\"}"]'


class CacheRuntime:
    """A :class:`~harness.pipeline.ParallelRuntime` over a real, empty stage output cache."""

    def __init__(self) -> None:
        self._cache = StageOutputCache()
        self._errors = ErrorContext()
        self.inputs: list[str] = []

    def __repr__(self) -> str:
        return f"CacheRuntime(inputs={self.inputs})"

    @property
    def parallel_cap(self) -> int | None:
        return 2

    @property
    def delay_ms(self) -> int | None:
        return None

    @property
    def cache(self) -> StageOutputCache:
        return self._cache

    @property
    def error_context(self) -> ErrorContext:
        return self._errors

    def branch_context(self, stage: int, index: int) -> StageContext:
        return StageContext(stage=stage, total_stages=3, attempt=1, global_attempt=1, try_=1, parallel_index=index)

    async def execute_command(self, command: Command, value: StructuredValue, context: StageContext) -> object:
        self.inputs.append(value.text)
        await asyncio.sleep(0)
        return command.run(value)

    async def run_effects(self, command: Command, value: StructuredValue, context: StageContext) -> None:
        return None


def test_the_runner_reads_a_missing_input_as_the_input_text(run_virtual: Run) -> None:
    """R2.3: with no cached output for the stage before, the group's input is a text value of ``input_text``."""
    runtime = CacheRuntime()
    group = [Command("a", lambda value: "A:" + value.text), Command("b", lambda value: "B:" + value.text)]
    result = run_virtual(ParallelStageRunner(runtime).run(2, group, "handed"))
    assert isinstance(result, StageSuccess)
    assert result.output.data == ["A:handed", "B:handed"]
    assert runtime.inputs == ["handed", "handed"]
    assert runtime.cache.get(1, "unused").text == "handed"
