"""The explored event loop: FIFO when the schedule says nothing, reordered ties otherwise, time never bent."""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import sys
from pathlib import Path
from types import ModuleType

import pytest

from harness.candidates import BUILTIN_IMPLEMENTATIONS
from harness.observation import canonical_json, observe, run_on_virtual_clock
from harness.scenario.loader import discover_scenarios, load_scenario
from harness.scheduling import ExploredEventLoop, Schedule, TieOrder

CORPUS = Path(__file__).resolve().parents[1] / "baselines"
SCHEDULING_SOURCE = Path(__file__).resolve().parents[1] / "harness" / "scheduling.py"


async def _ready_order() -> list[object]:
    """Four call_soon callbacks, then three timers due at the same instant, each recording itself."""
    loop = asyncio.get_running_loop()
    order: list[object] = []
    for number in range(4):
        loop.call_soon(order.append, number)

    async def sleeper(name: str) -> None:
        await asyncio.sleep(0.01)
        order.append((name, round(loop.time() * 1000)))

    await asyncio.gather(*(sleeper(name) for name in "xyz"))
    return order


def test_the_loop_internals_the_explored_loop_relies_on_are_still_there() -> None:
    """Fails loudly when a Python version changes how ``_run_once`` drains the ready queue."""
    source = inspect.getsource(asyncio.BaseEventLoop._run_once)
    assert "ntodo = len(self._ready)" in source
    assert "handle = self._ready.popleft()" in source
    assert source.count("self._ready.popleft()") == 1
    loop = TieOrder().new_event_loop()
    try:
        assert isinstance(loop, ExploredEventLoop)
        assert type(loop._ready).__name__ == "_ChoosingQueue"
    finally:
        loop.close()


@pytest.mark.parametrize("schedule", [(), (0,), (0,) * 64])
def test_an_empty_or_all_zero_schedule_is_fifo(schedule: tuple[int, ...]) -> None:
    ties = TieOrder(Schedule(schedule))
    assert run_on_virtual_clock(_ready_order, ties=ties) == run_on_virtual_clock(_ready_order)
    assert ties.consumed.minimal() == Schedule()


def test_choices_reorder_one_batch_and_are_recorded_as_consumed() -> None:
    """``(3, 2, 1)``: take the fourth callback of the batch, then the third of what is left, then the second."""
    ties = TieOrder(Schedule((3, 2, 1)))
    order = run_on_virtual_clock(_ready_order, ties=ties)
    assert order[:4] == [3, 2, 1, 0]
    assert ties.consumed == Schedule((3, 2, 1))


def test_a_choice_is_taken_modulo_what_is_left_and_recorded_reduced() -> None:
    # The batch holds the four callbacks and the three sleepers' first steps:
    # 9 % 7 = 2 takes callback 2, then 8 % 6 = 2 takes callback 3 of [0, 1, 3, ...].
    ties = TieOrder(Schedule((9, 8)))
    order = run_on_virtual_clock(_ready_order, ties=ties)
    assert order[:4] == [2, 3, 0, 1]
    assert ties.consumed == Schedule((2, 2))


def test_timers_due_at_one_instant_reorder_but_keep_their_time() -> None:
    fifo = run_on_virtual_clock(_ready_order)
    points = TieOrder()
    run_on_virtual_clock(_ready_order, ties=points)
    timer_orders = set()
    for skipped in range(points.choice_points):
        order = run_on_virtual_clock(_ready_order, ties=TieOrder(Schedule((0,) * skipped + (1,))))
        assert sorted(order[4:], key=str) == sorted(fifo[4:], key=str)
        assert [entry[1] for entry in order[4:]] == [10, 10, 10]  # type: ignore[index]
        timer_orders.add(tuple(order[4:]))
    assert len(timer_orders) > 1


def test_callbacks_queued_during_a_batch_wait_for_the_next_batch() -> None:
    """A callback scheduled by the batch is never chosen inside it, whatever the choice."""

    async def main() -> list[str]:
        loop = asyncio.get_running_loop()
        order: list[str] = []

        def first() -> None:
            order.append("first")
            loop.call_soon(order.append, "later")

        loop.call_soon(first)
        loop.call_soon(order.append, "second")
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return order

    assert run_on_virtual_clock(main, ties=TieOrder(Schedule((0, 7, 7, 7)))) == ["first", "second", "later"]


def test_the_batch_rule_fails_on_a_loop_that_chooses_across_batches(tmp_path: Path) -> None:
    """Planted mistake, in a copy under tmp_path: the batch is the whole queue at every pick."""
    mutated = _planted_copy(tmp_path)
    order = mutated.TieOrder(mutated.Schedule((0, 1, 1, 1)))
    loop = order.new_event_loop()
    try:
        seen: list[str] = []

        def first() -> None:
            seen.append("first")
            loop.call_soon(seen.append, "later")

        loop.call_soon(first)
        loop.call_soon(seen.append, "second")
        loop.call_soon(loop.stop)
        loop.run_forever()
        loop.run_until_complete(asyncio.sleep(0))
    finally:
        loop.close()
    assert seen != ["first", "second", "later"]


def _planted_copy(tmp_path: Path) -> ModuleType:
    """``harness.scheduling`` copied under tmp_path with every pick choosing among the whole queue."""
    text = SCHEDULING_SOURCE.read_text(encoding="utf-8")
    assert "        remaining = self._batch\n" in text
    planted = text.replace(
        "        remaining = self._batch\n",
        "        self._batch = len(self)  # planted: every pick sees the whole queue\n        remaining = self._batch\n",
    )
    path = tmp_path / "planted_scheduling.py"
    path.write_text(planted, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("planted_scheduling", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["planted_scheduling"] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules["planted_scheduling"]
    return module


def test_schedule_values() -> None:
    assert Schedule.of([1, 0, 2, 0, 0]).minimal() == Schedule((1, 0, 2))
    assert Schedule((0, 0)).is_fifo and not Schedule((0, 1)).is_fifo
    assert str(Schedule()) == "fifo" and str(Schedule((2, 0, 1))) == "2 0 1"
    for bad in (-1, True, 1.5):
        with pytest.raises(ValueError, match="non-negative integers"):
            Schedule((bad,))  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["reference", "extracted"])
def test_every_corpus_observation_is_byte_identical_under_the_all_zero_schedule(name: str) -> None:
    implementation = BUILTIN_IMPLEMENTATIONS[name]
    for path in discover_scenarios([CORPUS]):
        scenario = load_scenario(path)
        fifo = canonical_json(observe(scenario, implementation))
        for schedule in (Schedule(), Schedule((0,) * 256)):
            assert canonical_json(observe(scenario, implementation, ties=TieOrder(schedule))) == fifo, path.name
