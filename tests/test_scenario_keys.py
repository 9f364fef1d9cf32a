"""The scenario keys that reach executor behaviour: input kinds, ``runs``, ``set_env``, ``mutates_input``, ``interrupts``.

Every test observes one scenario on both executors (one parametrized body)
and asserts what the observation shows. The refactoring mistakes these keys
exist to catch are planted in ``tests/test_refactoring_mistakes.py``; the
fault each test here would miss is named in its docstring.
"""

from __future__ import annotations

import asyncio
import os
import tomllib

import pytest

from harness.candidates import BUILTIN_IMPLEMENTATIONS, Implementation
from harness.observation import canonical_json, observe
from harness.pipeline import PipelineExecutor, StructuredValue
from harness.scenario.loader import parse_scenario
from harness.scenario.model import Scenario



@pytest.fixture(params=sorted(BUILTIN_IMPLEMENTATIONS), ids=sorted(BUILTIN_IMPLEMENTATIONS))
def implementation(request: pytest.FixtureRequest) -> Implementation:
    """Each built-in executor in turn: the reference and the extracted one."""
    chosen: Implementation = BUILTIN_IMPLEMENTATIONS[request.param]
    return chosen


def scenario(text: str, name: str = "s") -> Scenario:
    return parse_scenario(tomllib.loads(text), path=f"{name}.toml", name=name)


def test_a_stage_error_names_mlld_command_and_internal_index(implementation: Implementation) -> None:
    """A failing group is ``unknown`` at mlld's internal index; an abort carries neither (a wrong name is seen)."""
    group = scenario('source = "src"\npipeline = "a | b || c"\n[commands.src]\nreturns = "x"\n[commands.a]\n[commands.b]\n'
                     '[commands.c]\nreturns = "retry"\n')
    assert observe(group, implementation)["error"] == {
        "type": "PipelineStageError",
        "message": "Pipeline failed at stage 3: retry not supported in parallel stage",
        "command": "unknown",
        "stage_index": 2,
    }
    fixed = scenario('input = "x"\ninput_replayable = false\npipeline = "a | b"\n[commands.a]\n'
                     "[commands.b]\nretry = true\n")
    assert set(observe(fixed, implementation)["error"]) == {"type", "message"}


def test_one_run_has_no_later_runs_and_more_runs_carry_command_state(implementation: Implementation) -> None:
    """``runs``: run 1 is the usual document; runs 2..N follow, and ``returns_each`` goes on across runs."""
    text = 'input = "x"\npipeline = "a"\n[commands.a]\nreturns_each = ["one", "two", "three"]\n'
    single = observe(scenario(text), implementation)
    assert "later_runs" not in single
    three = observe(scenario("runs = 3\n" + text), implementation)
    assert three["output"]["text"] == "one"
    assert [run["output"]["text"] for run in three["later_runs"]] == ["two", "three"]
    assert [call["command"] for call in three["timeline"]] == ["a", "a", "a"]
    assert canonical_json(observe(scenario("runs = 3\n" + text), implementation)) == canonical_json(three)


def test_set_env_reaches_a_later_group_and_is_restored(implementation: Implementation) -> None:
    """``set_env`` changes the limit a later group reads, and the process environment is as before afterwards."""
    os.environ.pop("PIPELINE_PARALLEL_LIMIT", None)
    os.environ["HARNESS_TEST_UNTOUCHED"] = "kept"
    try:
        observation = observe(scenario(
            'input = "x"\npipeline = "widen | a || b"\n[commands.widen]\n'
            'set_env = { PIPELINE_PARALLEL_LIMIT = "1", HARNESS_TEST_UNTOUCHED = "changed" }\n'
            "[commands.a]\nduration_ms = 10\n[commands.b]\nduration_ms = 10\n"
        ), implementation)
        assert [(call["start_ms"], call["end_ms"]) for call in observation["timeline"][1:]] == [(0, 10), (10, 20)]
        assert "PIPELINE_PARALLEL_LIMIT" not in os.environ
        assert os.environ["HARNESS_TEST_UNTOUCHED"] == "kept"
    finally:
        os.environ.pop("HARNESS_TEST_UNTOUCHED", None)


def test_a_mutating_command_changes_neither_the_scenario_nor_its_siblings(implementation: Implementation) -> None:
    """``mutates_input`` in a branch mutates its own copy (D5); the scenario's input stays as written."""
    mutating = scenario('input = { k = "v" }\npipeline = "m || look"\n[commands.m]\nmutates_input = true\n'
                        '[commands.look]\njoin = ""\n')
    first = observe(mutating, implementation)
    assert mutating.input == {"k": "v"}
    assert first["stages"][0]["data"] == {"k": "v"}
    assert canonical_json(observe(mutating, implementation)) == canonical_json(first)
    sequential = observe(scenario('input = ["a"]\npipeline = "m"\n[commands.m]\nmutates_input = true\n'), implementation)
    assert sequential["stages"][0]["data"] == ["a", "m"]


def test_an_interrupt_ends_the_run_and_cancels_the_siblings(implementation: Implementation) -> None:
    """``interrupts``: outcome ``interrupted``, the sibling ``cancelled`` when the interrupt escaped, nothing left over."""
    observation = observe(scenario(
        'input = "x"\npipeline = "slow || stop | never"\n[commands.slow]\nduration_ms = 30\n'
        '[commands.stop]\nduration_ms = 10\ninterrupts = "KeyboardInterrupt"\n[commands.never]\n'
    ), implementation)
    assert observation["outcome"] == "interrupted"
    assert observation["error"] == {"type": "KeyboardInterrupt", "message": "stop interrupts"}
    assert [(call["command"], call["end_ms"], call["result"]) for call in observation["timeline"]] == [
        ("slow", 10, "cancelled"),
        ("stop", 10, "raise"),
    ]
    assert observation["elapsed_ms"] == 10


class _LeavesATask(PipelineExecutor):
    """Starts a task that outlives its run, as a careless candidate might."""

    async def execute(self, value: object) -> StructuredValue:
        asyncio.get_running_loop().create_task(asyncio.sleep(3600))
        return await super().execute(value)


def test_a_task_left_behind_is_cancelled_with_the_run() -> None:
    """No task outlives an observation: the loop cancels and awaits what a candidate left running."""
    observation = observe(scenario('input = "x"\npipeline = "a"\n[commands.a]\n'), Implementation("leaky", _LeavesATask))
    assert observation["outcome"] == "ok"
    assert observation["elapsed_ms"] == 0


class _RealCtrlC(PipelineExecutor):
    """Raises a plain ``KeyboardInterrupt`` from a branch, as a real Ctrl-C would arrive."""

    async def execute(self, value: object) -> StructuredValue:
        async def press() -> None:
            raise KeyboardInterrupt

        await asyncio.gather(asyncio.ensure_future(press()))
        raise AssertionError("unreachable")


def test_a_real_ctrl_c_is_no_outcome_and_propagates() -> None:
    """Only a scenario's own ``interrupts`` becomes an outcome; a real ``KeyboardInterrupt`` stops the harness."""
    with pytest.raises(KeyboardInterrupt):
        observe(scenario('input = "x"\npipeline = "a"\n[commands.a]\n'), Implementation("ctrl-c", _RealCtrlC))
