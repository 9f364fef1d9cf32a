"""What ``parallel_properties.rare_observations`` counts, the scores the property tests steer hypothesis toward.

Each score is pinned on a boundary scenario where its value can be worked
out by hand, on both executors. Shown to fail, in a temporary copy, when the
retry's siblings were counted from its start instead of its end (3, not 2),
and when the branches held by the cap counted the first start too (``>=``).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from harness.candidates import BUILTIN_IMPLEMENTATIONS
from harness.observation import observe
from harness.scenario.model import Scenario

import parallel_properties as props

BOUNDARIES = {scenario.name: scenario for scenario in props.BOUNDARIES}


@pytest.mark.parametrize("implementation", ["reference", "extracted"])
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # One worker: a asks at 10 ms, b and c have not started.
        ("retry-in-group", {"siblings waiting at a retry": 2, "branches held by the cap": 2}),
        # One worker, 5 ms branches, 10 ms pacing: starts at 0, 10 and 20, each after the gate.
        ("cap-1-paced", {"branches held by the cap": 2, "starts held by the pacing gate": 2}),
        # a (30 ms) and b (10 ms) raise: b, declared later, finishes first; two workers hold c and d back.
        ("mixed-answers", {"failures finishing out of declaration order": 1, "branches held by the cap": 2}),
        # Two branches, no cap: nothing is rare.
        ("accepted-retry", {}),
    ],
)
def test_each_score_counts_what_the_boundary_shows(name: str, expected: dict[str, int], implementation: str) -> None:
    scenario = BOUNDARIES[name]
    scores = props.rare_observations(scenario, observe(scenario, BUILTIN_IMPLEMENTATIONS[implementation]))
    assert {label: score for label, score in scores.items() if score} == expected


def test_aim_is_silent_outside_a_test_and_targets_inside_one() -> None:
    """Outside hypothesis ``aim`` only scores; inside a test it calls ``target`` (which would raise outside)."""
    scenario = BOUNDARIES["retry-in-group"]
    observation = observe(scenario, BUILTIN_IMPLEMENTATIONS["reference"])
    props.aim(scenario, observation)
    seen: list[Scenario] = []

    @settings(max_examples=1, database=None)
    @given(props.property_scenarios("schedule"))
    def steered(drawn: Scenario) -> None:
        seen.append(drawn)
        props.aim(scenario, observation)

    steered()
    assert seen
