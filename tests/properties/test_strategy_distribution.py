"""The strategies reach every part of the executor: shares of 500 derandomized draws, pinned.

The draws are the same on every run (derandomized, generation only), each
observed on the reference and counted by what it reached
(``parallel_properties.reached_parts``). Shown to fail on a realistic
mistake, tried in a temporary copy: with the earlier weighting (a retry in a
quarter of all branches, caps of 1 and above only, the input always ``"x"``)
only 30% of these draws reached an aggregate and 21% a second group run.
The three kinds of input (decision D3) and branches that mutate their input
are pinned too; with the kinds left out the function-source and
fixed-literal shares drop to 0 (tried in a temporary copy). Each draw first
picks the features it may use (swarm testing), so the shares of single
parts are lower than when every draw used everything, and the conjunctions
faults hide in (pacing at one worker, a retry while siblings wait) are
pinned too: with the features drawn from an 8,192-value table, which
hypothesis does not draw evenly, siblings waiting at a retry fell to 1%
(tried in a temporary copy).

The floors sit well below the designed weights (a function source and a
fixed literal are a quarter of the draws each, an aggregate is reached by
nine in ten): the sample is derandomized, yet hypothesis mixes constants
found in the project's loaded modules into its draws, so the draws differ
with what the process imported before (another test order, xdist, a
mutation run). With 200 draws shares were seen to move by up to ten points
and fall under a floor in one order only; 500 halve that spread.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import strategies as st

from harness.candidates import BUILTIN_IMPLEMENTATIONS
from harness.scenario.model import Scenario
from harness.strategies import scenarios

import parallel_properties as props

DRAWS = 500
AT_LEAST = {
    "an aggregate": 0.7,
    "a second group run": 0.5,
    "a sequential stage after a group": 0.2,
    "completion": 0.6,
    "an accepted retry": 0.1,
    "a rejected retry": 0.05,
    "a cap <= 0": 0.05,
    "a structured or non-ASCII input": 0.3,
    "a float answer": 0.15,
    "an object answer": 0.3,
    "a function source": 0.1,
    "a fixed literal input": 0.1,
    "a branch that mutates its input": 0.2,
    # Conjunctions that make faults visible (``parallel_properties.rare_observations``), which swarm draws reach.
    "pacing at one worker": 0.05,
    "siblings waiting at a retry": 0.03,
    "branches held by the cap": 0.2,
    "starts held by the pacing gate": 0.15,
    "failures finishing out of declaration order": 0.005,  # at least one draw: two raising branches overlapping in one group
}
AT_MOST = {"a rejected retry": 0.35}
CARRIED_AT_LEAST = {
    **AT_LEAST,
    "a later run": 0.15,
    "a limit set during the run": 0.03,
}


def _shares(carried_state: bool, parts: dict[str, float]) -> dict[str, float]:
    sample = props.drawn_sample(scenarios(carried_state=carried_state), DRAWS)
    counts: Counter[str] = props.distribution(sample, BUILTIN_IMPLEMENTATIONS["reference"])
    return {part: counts[part] / len(sample) for part in parts}


@pytest.fixture(scope="module")
def shares() -> dict[str, float]:
    return _shares(False, AT_LEAST)


@pytest.fixture(scope="module")
def carried_shares() -> dict[str, float]:
    return _shares(True, CARRIED_AT_LEAST)


@pytest.mark.parametrize("part", AT_LEAST)
def test_most_draws_reach_each_part_of_the_executor(part: str, shares: dict[str, float]) -> None:
    """Each part is reached by at least its pinned share of the draws, and retries stop only a minority."""
    assert shares[part] >= AT_LEAST[part], f"{part}: {shares[part]:.0%} of draws, expected >= {AT_LEAST[part]:.0%}"
    if part in AT_MOST:
        assert shares[part] <= AT_MOST[part], f"{part}: {shares[part]:.0%} of draws, expected <= {AT_MOST[part]:.0%}"


@pytest.mark.parametrize("part", CARRIED_AT_LEAST)
def test_draws_with_carried_state_reach_every_part_and_later_runs(part: str, carried_shares: dict[str, float]) -> None:
    """The side-by-side property's draws (``carried_state=True``) also run twice or thrice and change the limit mid-run.

    Shown to fail, in a temporary copy, when ``carried_state`` was ignored (no later run, no limit set).
    """
    share, floor = carried_shares[part], CARRIED_AT_LEAST[part]
    assert share >= floor, f"{part}: {share:.0%} of draws, expected >= {floor:.0%}"


SHARE_DRAWS = 1000
"""Draws for a feature's share: 200 leave it within about 0.1 of where 1000 settle, too coarse for a bound."""


def _paced_share(strategy: st.SearchStrategy[Scenario]) -> float:
    sample = props.drawn_sample(strategy, SHARE_DRAWS)
    return sum(1 for scenario in sample if scenario.delay_ms) / len(sample)


def test_an_emphasized_feature_is_drawn_more_often_and_a_quiet_one_less() -> None:
    """Per-property strategies: pacing in about three draws in four when emphasized, one in four when quiet.

    Shown to fail, in a temporary copy, when emphasis was read as quiet (the two shares swapped).
    """
    assert _paced_share(scenarios(emphasis=("pacing",))) >= 0.7
    assert _paced_share(scenarios(quiet=("pacing",))) <= 0.35


@pytest.mark.parametrize(("emphasis", "quiet"), [(("pacng",), ()), ((), ("caps", "nope")), (("caps",), ("caps",))])
def test_an_unknown_or_doubly_named_feature_is_refused(emphasis: tuple[str, ...], quiet: tuple[str, ...]) -> None:
    """A misspelt feature would silently weight nothing: it raises, naming the features."""
    with pytest.raises(ValueError, match="distinct features of"):
        scenarios(emphasis=emphasis, quiet=quiet)
