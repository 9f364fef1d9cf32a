"""The schedule-independent projection: it forgives tie order and nothing else."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from harness.candidates import BUILTIN_IMPLEMENTATIONS, resolve_implementation
from harness.compare import diff_observations
from harness.observation import Observation, observe
from harness.scenario.loader import load_scenario
from harness.schedule_invariants import SCHEDULE_DEPENDENT_PARTS, schedule_independent
from harness.scheduling import Schedule, TieOrder

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "baselines"


def _observation(name: str, implementation: str = "reference") -> Observation:
    return observe(load_scenario(CORPUS / f"{name}.toml"), BUILTIN_IMPLEMENTATIONS[implementation])


def _same(left: Observation, right: Observation) -> bool:
    return not diff_observations(schedule_independent(left), schedule_independent(right))


def _marker(index: int) -> dict[str, Any]:
    return {"index": index, "key": index, "message": f"m{index}", "error": f"m{index}", "value": "x"}


def _base() -> Observation:
    observation = _observation("effect-failing-in-branch")
    observation = copy.deepcopy(observation)
    observation["latest_errors"] = [_marker(0), _marker(2)]
    observation["output"]["errors"] = [_marker(0), _marker(2)]
    observation["effects"] = [
        {"stage": 1, "branch": 0, "command": "a", "effect": "show", "text": "A", "at_ms": 5, "error": None},
        {"stage": 1, "branch": 0, "command": "a", "effect": "log", "text": "A", "at_ms": 5, "error": None},
        {"stage": 1, "branch": 1, "command": "b", "effect": "show", "text": "B", "at_ms": 5, "error": None},
    ]
    observation["timeline"] = [
        {"stage": 1, "branch": 0, "command": "a", "start_ms": 0, "end_ms": 5, "result": "value"},
        {"stage": 1, "branch": 1, "command": "b", "start_ms": 0, "end_ms": 5, "result": "value"},
        {"stage": 2, "branch": None, "command": "c", "start_ms": 5, "end_ms": 5, "result": "value"},
    ]
    return observation


def _changed(path: str, value: Any) -> Observation:
    observation = _base()
    target: Any = observation
    *parents, last = re.findall(r"[^.\[\]]+", path)
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[int(last) if last.isdigit() else last] = value
    return observation


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("latest_errors", [_marker(2), _marker(0)]),
        ("output.errors", [_marker(2), _marker(0)]),
        ("effects", [_base()["effects"][2], *_base()["effects"][:2]]),
        ("timeline", [_base()["timeline"][1], _base()["timeline"][0], _base()["timeline"][2]]),
    ],
)
def test_tie_order_is_forgiven(path: str, value: Any) -> None:
    """Markers completing at one instant, effects of sibling branches, calls starting at one instant."""
    assert _same(_base(), _changed(path, value))


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("latest_errors", [_marker(0)]),
        ("output.errors", [_marker(0), _marker(1)]),
        ("effects", [_base()["effects"][1], _base()["effects"][0], _base()["effects"][2]]),
        ("effects.2.at_ms", 6),
        ("timeline.1.start_ms", 1),
        ("timeline.0.command", "b"),
        ("output.data", ["swapped", "order"]),
        ("output.labels", ["beta", "alpha"]),
        ("elapsed_ms", 99),
    ],
)
def test_everything_else_still_counts(path: str, value: Any) -> None:
    """A lost marker, one branch's effects out of list order, a moved call, outputs, labels, time."""
    assert not _same(_base(), _changed(path, value))


def test_the_projection_does_not_hide_a_planted_ordering_fault() -> None:
    """The planted fault of faulty_executors (outputs reversed) still differs after the projection."""
    scenario = load_scenario(CORPUS / "order-reverse-durations-capped.toml")
    reference = observe(scenario, BUILTIN_IMPLEMENTATIONS["reference"])
    reversed_ = observe(scenario, resolve_implementation("faulty_executors:ReversedOrderExecutor"))
    assert not _same(reference, reversed_)


def test_the_projection_keeps_every_key_and_leaves_its_input_alone() -> None:
    observation = _base()
    before = copy.deepcopy(observation)
    projected = schedule_independent(observation)
    assert observation == before
    assert list(projected) == list(observation)


def test_the_readme_gives_the_same_reasons() -> None:
    """Every part compared as a multiset or in canonical order is explained in the README in the same words."""
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    for part, reason in SCHEDULE_DEPENDENT_PARTS.items():
        assert f"`{part}`: {reason}" in readme, part


@pytest.mark.parametrize("implementation", ["reference", "extracted"])
def test_which_of_two_interrupts_at_one_instant_wins_is_forgiven(implementation: str) -> None:
    """Two branches interrupt at 10 ms: the tie order picks the run's error; FIFO and the other order both pass.

    Shown to fail (in a temporary copy) without the ``error`` projection: the
    corpus's own `harness check --explore 20` reported this scenario as a
    mismatch on a correct executor.
    """
    scenario = load_scenario(CORPUS / "mv-interrupts-two-branches-same-instant.toml")
    fifo = observe(scenario, BUILTIN_IMPLEMENTATIONS[implementation])
    other = observe(scenario, BUILTIN_IMPLEMENTATIONS[implementation], ties=TieOrder(Schedule((0, 1))))
    assert (fifo["error"]["type"], other["error"]["type"]) == ("SystemExit", "KeyboardInterrupt")
    assert _same(fifo, other)
    assert schedule_independent(fifo)["error"] == {
        "interrupted by one of": ["1/2/late_exit", "1/3/late_stop"]
    }


def test_the_error_of_an_interrupt_raised_alone_still_counts() -> None:
    """With one call raising at the last instant, the error is pinned under every tie order."""
    observation = copy.deepcopy(_observation("mv-interrupts-two-branches-same-instant"))
    observation["timeline"][3]["result"] = "value"
    changed = copy.deepcopy(observation)
    changed["error"] = {"type": "KeyboardInterrupt", "message": "late_stop interrupts"}
    assert not _same(observation, changed)
