"""Under any order of same-instant ties, the schedule-independent observation equals the reference's under FIFO.

hypothesis draws a scenario and a schedule (a list of small integers, see
:mod:`harness.scheduling`); the implementation runs under that schedule and
its :func:`~harness.schedule_invariants.schedule_independent` observation
must equal the reference's FIFO one. The reference runs the same property:
if the reference itself depended on tie order, that would be a finding about
the reference, not a failure to hide. A failure writes the scenario with the
consumed schedule as a repro file, which ``harness repro FILE`` replays.

How many (scenario, schedule) pairs each profile explores is set here, from
the active profile: a few in ``dev`` and ``ci``, many in ``nightly``. The
property is shown to fail on the race faults of ``tests/race_faults.py`` in
``tests/properties/test_race_faults_are_found.py``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.candidates import Implementation
from harness.compare import format_differences
from harness.exploration import compare_under
from harness.observation import observe
from harness.repro import recording_failures
from harness.scenario.model import Scenario
from harness.scheduling import CHOICE_LIMIT, Schedule
from harness.strategies import scenarios

EXPLORED: Final = {"dev": 20, "ci": 40, "nightly": 2000}
"""(scenario, schedule) pairs per property and implementation, by hypothesis profile."""

SCHEDULES: Final = st.lists(st.integers(0, CHOICE_LIMIT), max_size=48).map(lambda choices: Schedule(tuple(choices)))


def schedule_violation(
    scenario: Scenario, schedule: Schedule, implementation: Implementation, reference: Implementation
) -> tuple[str | None, Schedule]:
    """Why ``implementation`` under ``schedule`` breaks the property (``None`` when it holds), and the choices consumed."""
    run, differences = compare_under(scenario, implementation, schedule, observe(scenario, reference))
    if not differences:
        return None, run.consumed
    return (
        f"{implementation.name} under schedule [{', '.join(map(str, run.consumed.choices))}] "
        f"differs from the reference under FIFO:\n{format_differences(differences)}"
    ), run.consumed


@pytest.mark.parametrize("which", ["reference", "candidate"])
@settings(max_examples=EXPLORED.get(settings.get_current_profile_name(), EXPLORED["ci"]))
@given(scenario=scenarios(max_groups=2, max_branches=8), schedule=SCHEDULES)
def test_tie_order_never_changes_the_schedule_independent_observation(
    which: str,
    scenario: Scenario,
    schedule: Schedule,
    harness_reference: Implementation,
    harness_candidate: Implementation,
) -> None:
    """The candidate (and the reference itself) under a drawn tie order agree with the reference under FIFO."""
    implementation = harness_reference if which == "reference" else harness_candidate
    violation, consumed = schedule_violation(scenario, schedule, implementation, harness_reference)
    replayable = replace(scenario, schedule=consumed.choices)
    with recording_failures(replayable, f"schedule-{which}", candidate=implementation, reference=harness_reference):
        assert violation is None, violation
