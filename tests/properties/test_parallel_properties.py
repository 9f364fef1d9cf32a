"""Properties of the parallel stage, fuzzed over the concurrency settings, on the reference and the candidate.

Every property runs on both implementations from one body. The profile
(``dev``, ``ci``, ``nightly``) sets how many scenarios each one draws. A
failing property writes its shrunk scenario under ``artifacts/repro/`` and
names the file; ``harness repro FILE`` replays it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import event, example, given

from harness.candidates import Implementation
from harness.compare import diff_observations, format_differences
from harness.observation import Observation, canonical_json, observe
from harness.repro import recording_failures
from harness.scenario.model import CommandSpec, DescriptorSpec, Scenario
from harness.strategies import scenarios

import parallel_properties as props

IMPLEMENTATIONS = ["reference", "candidate"]


def at_the_boundaries(test: Callable[..., None]) -> Callable[..., None]:
    """Run ``test`` on every boundary scenario first, then on drawn ones."""
    for scenario in props.BOUNDARIES:
        test = example(scenario=scenario)(test)
    return test

# A labelled command whose returned value carries a label of its own (spec R6.4).
R6_4 = Scenario(
    name="r6-4-value-labels",
    input="x",
    stages=(("tagged", "plain"),),
    commands={
        "tagged": CommandSpec(name="tagged", returns="T", labels=("alpha",), value_descriptor=DescriptorSpec(labels=("secret",))),
        "plain": CommandSpec(name="plain", returns="P"),
    },
)


@pytest.fixture(scope="session")
def implementations(harness_reference: Implementation, harness_candidate: Implementation) -> dict[str, Implementation]:
    return {"reference": harness_reference, "candidate": harness_candidate}


def _verify(
    check: Callable[[Scenario, Observation], None],
    scenario: Scenario,
    implementation: Implementation,
    label: str,
) -> None:
    observation = observe(scenario, implementation)
    for part in sorted(props.reached_parts(scenario, observation)):
        event(f"reached {part}")
    with recording_failures(scenario, f"{label}-{implementation.name}", candidate=implementation):
        check(scenario, observation)


def at_the_carried_boundaries(test: Callable[..., None]) -> Callable[..., None]:
    """Run ``test`` on the boundaries of state carried across groups and runs too."""
    for scenario in props.CARRIED_BOUNDARIES:
        test = example(scenario=scenario)(test)
    return at_the_boundaries(test)


@given(scenario=scenarios(carried_state=True))
@at_the_carried_boundaries
def test_candidate_and_reference_observe_the_same(
    scenario: Scenario, harness_reference: Implementation, harness_candidate: Implementation
) -> None:
    """Side by side: the two observations are identical, repeated runs of one instance and mid-run limits included.

    Fails on a runner that reads the environment limit once per executor, or
    keeps the published errors between runs (shown in temporary copies).
    """
    reference, candidate = observe(scenario, harness_reference), observe(scenario, harness_candidate)
    with recording_failures(scenario, "side-by-side", candidate=harness_candidate, reference=harness_reference):
        differences = diff_observations(reference, candidate)
        assert not differences, format_differences(differences)


@pytest.mark.parametrize("which", IMPLEMENTATIONS)
@given(scenario=scenarios())
@at_the_boundaries
def test_outputs_follow_declaration_order(scenario: Scenario, which: str, implementations: dict[str, Implementation]) -> None:
    """Aggregate data is in declaration order whatever the durations."""
    _verify(props.check_declaration_order, scenario, implementations[which], "declaration-order")


@pytest.mark.parametrize("which", IMPLEMENTATIONS)
@given(scenario=scenarios())
@at_the_boundaries
def test_the_cap_bounds_concurrency_and_is_reached(
    scenario: Scenario, which: str, implementations: dict[str, Implementation]
) -> None:
    """At no virtual instant do more than min(cap, branches) run; exactly that many when branches outlast pacing."""
    _verify(props.check_cap, scenario, implementations[which], "cap")


@pytest.mark.parametrize("which", IMPLEMENTATIONS)
@given(scenario=scenarios())
@at_the_boundaries
def test_the_timeline_equals_the_schedule_model(
    scenario: Scenario, which: str, implementations: dict[str, Implementation]
) -> None:
    """Starts are at least delay_ms apart and every start, end and stage end matches list scheduling."""
    _verify(props.check_schedule, scenario, implementations[which], "schedule")


@pytest.mark.parametrize("which", IMPLEMENTATIONS)
@given(scenario=scenarios())
@at_the_boundaries
def test_one_marker_per_raising_branch(scenario: Scenario, which: str, implementations: dict[str, Implementation]) -> None:
    """Exactly one marker per raising branch, with index, key and input; latest_errors equals the markers."""
    _verify(props.check_markers, scenario, implementations[which], "markers")


@pytest.mark.parametrize("which", IMPLEMENTATIONS)
@given(scenario=scenarios())
@at_the_boundaries
def test_any_retry_in_a_group_fails_the_stage(
    scenario: Scenario, which: str, implementations: dict[str, Implementation]
) -> None:
    """Any branch retry fails the stage with ``retry not supported in parallel stage``."""
    _verify(props.check_retry_rejection, scenario, implementations[which], "retry-rejection")


@pytest.mark.parametrize("which", IMPLEMENTATIONS)
@given(scenario=scenarios())
@at_the_boundaries
def test_no_label_laundering(scenario: Scenario, which: str, implementations: dict[str, Implementation]) -> None:
    """Outputs keep their input's labels and every successful branch's contribution, and no other; taint covers labels.

    Fails on faulty_executors:FailedBranchKeepsLabelsExecutor, among others (the catalogue test shows it).
    """
    _verify(props.check_no_label_laundering, scenario, implementations[which], "labels")


@pytest.mark.parametrize("which", IMPLEMENTATIONS)
@given(scenario=scenarios())
@at_the_boundaries
def test_lifecycle_events_frame_the_run(scenario: Scenario, which: str, implementations: dict[str, Implementation]) -> None:
    """One start, one end matching the outcome, each stage closed once, a retry request right before its target's start.

    Fails on faulty_executors:RetryRequestAfterStartExecutor (the catalogue test shows it).
    """
    _verify(props.check_lifecycle_events, scenario, implementations[which], "events")


@pytest.mark.xfail(strict=True, reason="spec R6.4: a labelled command's value labels never reach the aggregate")
@pytest.mark.parametrize("which", IMPLEMENTATIONS)
@given(scenario=scenarios())
@example(scenario=R6_4)
def test_r6_4_defect_value_labels_of_a_labelled_command_reach_the_aggregate(
    scenario: Scenario, which: str, implementations: dict[str, Implementation]
) -> None:
    """The behaviour a fixed executor would have; the reference drops these labels, so this fails until fixed."""
    props.check_value_labels_reach_the_aggregate(scenario, observe(scenario, implementations[which]))


@pytest.mark.parametrize("which", IMPLEMENTATIONS)
@given(scenario=scenarios())
@at_the_boundaries
def test_the_same_scenario_gives_byte_identical_observations(
    scenario: Scenario, which: str, implementations: dict[str, Implementation]
) -> None:
    """Determinism: two runs of one scenario serialize to the same bytes."""
    first, second = observe(scenario, implementations[which]), observe(scenario, implementations[which])
    with recording_failures(scenario, f"determinism-{implementations[which].name}", candidate=implementations[which]):
        assert canonical_json(first) == canonical_json(second)
