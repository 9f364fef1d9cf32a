"""Reliability of the command line: no hangs, clean interruption, baselines never lost, determinism checked.

The planted executors below are named as candidates ``test_reliability:NAME``
(the ``tests`` folder is on the import path). Time is virtual throughout:
a deadline of an hour costs no wall time.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar, final

import pytest

import harness.check
from harness.baselines import baseline_path
from harness.candidates import Implementation
from harness.check import record_scenario
from harness.cli import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from harness.pipeline import PipelineExecutor, StructuredValue

from cli_support import run_cli

pytestmark = pytest.mark.usefixtures("outside_ci", "in_tmp_path")

GOOD = """
input = "{input}"
pipeline = "a | b"
[commands.a]
returns = "A:{{input}}"
[commands.b]
returns = "B:{{input}}"
"""


class InterruptedExecutor(PipelineExecutor):
    """Stops as Ctrl-C would (``KeyboardInterrupt``) when its input is the text ``interrupt``."""

    async def execute(self, value: object) -> StructuredValue:
        if value == "interrupt":
            raise KeyboardInterrupt
        return await super().execute(value)


class DriftingExecutor(PipelineExecutor):
    """Fault: state kept across runs leaks into the output (the text ends with ``#`` and the run number)."""

    runs: ClassVar[int] = 0

    async def execute(self, value: object) -> StructuredValue:
        output = await super().execute(value)
        DriftingExecutor.runs += 1
        output.text = f"{output.text}#{DriftingExecutor.runs}"
        return output


@final
class Interrupter:
    """Stands in for a function and raises ``KeyboardInterrupt`` on its ``on_call``-th call, as Ctrl-C would."""

    def __init__(self, original: Callable[..., object], *, on_call: int) -> None:
        self.original = original
        self.on_call = on_call
        self.calls = 0

    def __repr__(self) -> str:
        return f"Interrupter({self.original.__name__}, on_call={self.on_call}, calls={self.calls})"

    def __call__(self, *args: object, **kwargs: object) -> object:
        self.calls += 1
        if self.calls == self.on_call:
            raise KeyboardInterrupt
        return self.original(*args, **kwargs)


# -- the asyncio guard of conftest.py ---------------------------------------------------------------


def test_the_asyncio_guard_sees_a_task_destroyed_while_pending(asyncio_errors) -> None:
    """A task left pending when its loop closes is reported by asyncio, and the guard keeps the report."""
    loop = asyncio.new_event_loop()
    task = loop.create_task(asyncio.Event().wait())
    loop.run_until_complete(asyncio.sleep(0))
    loop.close()
    del task
    gc.collect()
    assert [message.splitlines()[0] for message in asyncio_errors.messages] == ["Task was destroyed but it is pending!"]
    asyncio_errors.messages.clear()  # the report was provoked on purpose: do not fail this test


def test_the_asyncio_guard_sees_an_exception_never_retrieved(asyncio_errors) -> None:
    """A future whose exception nobody read is reported by asyncio, and the guard keeps the report."""
    loop = asyncio.new_event_loop()
    future = loop.create_future()
    future.set_exception(RuntimeError("lost"))
    loop.close()
    del future
    gc.collect()
    assert [message.splitlines()[0] for message in asyncio_errors.messages] == ["Future exception was never retrieved"]
    asyncio_errors.messages.clear()


# -- no hangs ---------------------------------------------------------------------------------------

HANGING_SEQUENTIAL_STAGE = """
input = "x"
{deadline}
pipeline = "first | stuck | last"
[commands.first]
duration_ms = 10
[commands.stuck]
hang = true
[commands.last]
"""


@pytest.mark.parametrize(
    ("deadline", "reached_ms"),
    [("deadline_ms = 2000", 2000), ("", 3_600_000)],
    ids=["own-deadline", "default-deadline"],
)
def test_a_hanging_sequential_stage_ends_at_the_deadline_naming_the_stage(
    write_scenario, deadline: str, reached_ms: int
) -> None:
    """A command that never answers ends the run at the deadline (an hour by default, virtual), exit 1."""
    path = write_scenario("stuck", HANGING_SEQUENTIAL_STAGE.format(deadline=deadline))
    code, out, err = run_cli("run", str(path))
    assert (code, out) == (EXIT_FAILED, "")
    assert err == (
        f"harness run: {path}: did not finish: deadline_ms {reached_ms} reached at virtual {reached_ms} ms; "
        "stage 2 (stuck) running since 10 ms\n"
    )


@pytest.mark.parametrize(
    ("pipeline", "running"),
    [
        ("slow | slower", "stage 2 (slower) running since 600 ms"),
        ("slow || slower", "stage 1 branch 1 (slower) running since 0 ms"),
    ],
    ids=["sequential", "parallel"],
)
def test_plain_long_durations_past_the_deadline_end_the_run(write_scenario, pipeline: str, running: str) -> None:
    """No command hangs, but together they take longer than ``deadline_ms``: the run stops there, naming what ran."""
    text = f"""
input = "x"
deadline_ms = 1000
pipeline = "{pipeline}"
[commands.slow]
duration_ms = 600
[commands.slower]
duration_ms = 1600
"""
    path = write_scenario("late", text)
    code, out, err = run_cli("run", str(path))
    assert (code, out) == (EXIT_FAILED, "")
    assert err == f"harness run: {path}: did not finish: deadline_ms 1000 reached at virtual 1000 ms; {running}\n"


def test_check_runs_the_candidate_when_the_reference_does_not_finish(
    write_scenario, folder_state, tmp_path: Path
) -> None:
    """``check``: both runs stopping at the deadline with the same message is a match; nothing is written."""
    good = write_scenario("good", GOOD.format(input="x"))
    assert record_scenario(good).status == "created"
    stuck = write_scenario("stuck", HANGING_SEQUENTIAL_STAGE.format(deadline="deadline_ms = 500"))
    before = folder_state(tmp_path)
    code, out, err = run_cli("check", str(good.parent))
    assert (code, err) == (EXIT_OK, "")
    assert out == (
        "MATCH            good\n"
        "MATCH            stuck\n"
        f"    neither finished: {stuck}: did not finish: deadline_ms 500 reached at virtual 500 ms; "
        "stage 2 (stuck) running since 10 ms\n"
        "total: 2 passed, 0 failed\n"
    )
    assert folder_state(tmp_path) == before


class _Finishing(PipelineExecutor):
    """Finishes at once with the wrapped input, whatever its stages would do."""

    async def execute(self, value: object) -> StructuredValue:
        return StructuredValue("text", str(value), value)


class _Hanging(PipelineExecutor):
    """Never finishes."""

    async def execute(self, value: object) -> StructuredValue:
        await asyncio.get_running_loop().create_future()
        raise AssertionError("unreachable")


def test_one_run_finishing_and_the_other_not_is_a_mismatch_that_says_so(write_scenario) -> None:
    """Issue 11 item 4: the check says which side did not finish, in either direction."""
    stuck = write_scenario("stuck", HANGING_SEQUENTIAL_STAGE.format(deadline="deadline_ms = 500"))
    finishing = harness.check.check_scenario(stuck, Implementation("finishing", _Finishing))
    assert finishing.status == "mismatch"
    assert finishing.message is not None
    assert finishing.message.startswith(f"reference did not finish but finishing did: {stuck}: did not finish")
    good = write_scenario("good", GOOD.format(input="x"))
    hanging = harness.check.check_scenario(good, Implementation("hanging", _Hanging))
    assert hanging.status == "mismatch"
    assert hanging.message is not None
    assert hanging.message.startswith(f"hanging did not finish but the reference did: {good}: did not finish")


def test_record_skips_a_scenario_that_never_finishes(write_scenario) -> None:
    """``record`` writes no baseline for an unfinished run, records the others, and exits 1."""
    good = write_scenario("good", GOOD.format(input="x"))
    stuck = write_scenario("stuck", HANGING_SEQUENTIAL_STAGE.format(deadline="deadline_ms = 500"))
    code, out, err = run_cli("record", str(good.parent))
    assert (code, err) == (EXIT_FAILED, "")
    assert out == (
        f"created    {baseline_path(good)}\n"
        f"unfinished {baseline_path(stuck)}\n"
        f"    {stuck}: did not finish: deadline_ms 500 reached at virtual 500 ms; stage 2 (stuck) running since 10 ms\n"
    )
    assert not baseline_path(stuck).exists()


RETRIES_FOREVER = """
input = "x"
pipeline = "draft | review"
[commands.draft]
returns = "draft {try}"
duration_ms = 5
[commands.review]
retry = true
duration_ms = 1
"""


def test_a_stage_that_always_asks_for_a_retry_ends_at_the_retry_limit(write_scenario) -> None:
    """The retry loop stops after 10 retries with the executor's abort message; 11 drafts and reviews, 66 ms."""
    path = write_scenario("loops", RETRIES_FOREVER)
    code, out, err = run_cli("run", str(path), "--json")
    assert (code, err) == (EXIT_OK, "")
    observation = json.loads(out)
    assert observation["outcome"] == "error"
    assert observation["error"] == {
        "type": "PipelineAbortedError",
        "message": "Pipeline aborted: Stage 1 exceeded retry limit for stage 0 (10 attempts; max 10).",
    }
    assert [call["command"] for call in observation["timeline"]] == ["draft", "review"] * 11
    assert observation["timeline"][-1]["end_ms"] == 66


# -- interruption -----------------------------------------------------------------------------------


def test_ctrl_c_during_check_stops_cleanly_with_exit_130(write_scenario, folder_state, tmp_path: Path) -> None:
    """Interrupted in the second of three scenarios: the first was reported, the third never ran, nothing written."""
    paths = [write_scenario(name, GOOD.format(input=text)) for name, text in
             [("a-first", "x"), ("b-interrupted", "interrupt"), ("c-last", "y")]]  # fmt: skip
    for path in paths:
        assert record_scenario(path).status == "created"
    before = folder_state(tmp_path)
    code, out, err = run_cli("check", str(tmp_path / "scenarios"), "--candidate", "test_reliability:InterruptedExecutor")
    assert (code, err) == (EXIT_INTERRUPTED, "harness check: interrupted\n")
    assert out == "MATCH            a-first\n"
    assert folder_state(tmp_path) == before


@pytest.mark.parametrize(
    ("target", "name"),
    [(harness.check, "observe"), (os, "fsync"), (os, "replace")],
    ids=["while-observing", "while-writing", "while-renaming"],
)
def test_ctrl_c_during_record_leaves_every_baseline_old_or_new(
    write_scenario, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, target: object, name: str
) -> None:
    """Interrupted at the second of three scenarios: the first baseline is new, the others old and byte-identical."""
    paths = [write_scenario(f"s{number}", GOOD.format(input="old")) for number in (1, 2, 3)]
    old = {}
    for path in paths:
        assert record_scenario(path).status == "created"
        old[path] = baseline_path(path).read_bytes()
        path.write_text(GOOD.format(input="new"), encoding="utf-8")
    with monkeypatch.context() as patch:
        patch.setattr(target, name, Interrupter(getattr(target, name), on_call=2))
        code, out, err = run_cli("record", str(tmp_path / "scenarios"))
    assert (code, err) == (EXIT_INTERRUPTED, "harness record: interrupted\n")
    assert out.startswith(f"updated    {baseline_path(paths[0])}\n")
    first, *rest = paths
    assert baseline_path(first).read_bytes() != old[first]
    assert record_scenario(first).status == "unchanged"  # the first baseline is exactly the new one
    assert [baseline_path(path).read_bytes() for path in rest] == [old[path] for path in rest]
    assert [path.name for path in first.parent.iterdir() if path.suffix == ".tmp"] == []


def test_a_rewritten_baseline_keeps_its_permissions(write_scenario) -> None:
    """The atomic write replaces the file with a new one; it must not come back private (mode 0600)."""
    path = write_scenario("kept", GOOD.format(input="old"))
    assert record_scenario(path).status == "created"
    baseline_path(path).chmod(0o640)
    path.write_text(GOOD.format(input="new"), encoding="utf-8")
    assert record_scenario(path).status == "updated"
    assert baseline_path(path).stat().st_mode & 0o777 == 0o640


def test_check_never_writes_a_baseline_even_after_a_mismatch(write_scenario, folder_state, tmp_path: Path) -> None:
    """The reference drifted from its baseline: ``check`` fails and leaves the baseline exactly as it was."""
    path = write_scenario("drifted", GOOD.format(input="old"))
    assert record_scenario(path).status == "created"
    path.write_text(GOOD.format(input="new"), encoding="utf-8")
    before = folder_state(tmp_path)
    code, out, err = run_cli("check", str(path))
    assert (code, err) == (EXIT_FAILED, "")
    assert out.startswith("MISMATCH         drifted\n")
    assert "output.text: 'B:A:old' != 'B:A:new'" in out
    assert folder_state(tmp_path) == before


# -- determinism ------------------------------------------------------------------------------------


def test_check_repeat_finds_a_candidate_whose_runs_differ(write_scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--repeat 2`` runs the candidate twice; the runs differ, so the scenario is NONDETERMINISTIC, exit 1."""
    path = write_scenario("drift", GOOD.format(input="x"))
    assert record_scenario(path).status == "created"
    monkeypatch.setattr(DriftingExecutor, "runs", 0)
    code, out, err = run_cli("check", str(path), "--repeat", "2", "--candidate", "test_reliability:DriftingExecutor")
    assert (code, err) == (EXIT_FAILED, "")
    assert out == (
        "NONDETERMINISTIC drift\n"
        "    test_reliability:DriftingExecutor: run 2 differs from run 1:\n"
        "        output.text: 'B:A:x#1' != 'B:A:x#2'\n"
        "        stages[2].text: 'B:A:x#1' != 'B:A:x#2'\n"
        f"  next: `harness run {path} --impl test_reliability:DriftingExecutor --timeline` to look closer\n"
        f"failed scenarios (1):\n  NONDETERMINISTIC {path}\n"
        "total: 0 passed, 1 failed\n"
    )
