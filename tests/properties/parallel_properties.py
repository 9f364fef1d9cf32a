"""The properties a parallel stage must have, checked on an observation; and an independent schedule model.

Each ``check_*`` function raises ``AssertionError`` saying what broke. They
read only the scenario and the observation: the expected schedule comes from
:func:`model_schedule`, list scheduling written here from the rules (a worker
takes the next branch when it frees up; with pacing, every acquisition,
including each worker's last empty one, passes a gate at least ``delay_ms``
after the previous one), never from the executor's code.
"""

from __future__ import annotations

import copy
import heapq
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from hypothesis import HealthCheck, Phase, currently_in_test_context, given, settings, target
from hypothesis import strategies as st

from harness.candidates import Implementation
from harness.observation import Observation, observe
from harness.scenario.commands import mutate_in_place
from harness.scenario.model import CommandSpec, DescriptorSpec, Scenario
from harness.strategies import scenarios
from harness.testing import describe_disagreement
from harness.report.timeline import split_blocks

RETRY_REJECTED = "retry not supported in parallel stage"
SOURCE_NOT_RETRYABLE = "Cannot retry stage 0: input is not a function. Make the source a function to enable retries."


def limit_from_environment(text: str | None) -> int:
    """``PIPELINE_PARALLEL_LIMIT`` read like JavaScript's parseInt; unset, unparsable or < 1 is 4."""
    if text is None:
        return 4
    match = re.match(r"[ \t\n\r\f\v]*([+-]?[0-9]+)", text)
    value = int(match.group(1)) if match else 0
    return value if value >= 1 else 4


def expected_workers(scenario: Scenario, branches: int) -> int:
    """How many branches of a group may run at once."""
    cap = scenario.parallel_cap
    if cap is None:
        cap = limit_from_environment(scenario.env.get("PIPELINE_PARALLEL_LIMIT"))
    return max(1, min(cap, branches))


def model_schedule(durations: Sequence[int], workers: int, delay: int) -> tuple[list[tuple[int, int]], int]:
    """(start, end) of each branch relative to the stage start, and the stage's end."""
    requests = [(0, worker) for worker in range(workers)]
    heapq.heapify(requests)
    spans: list[tuple[int, int]] = []
    last_pass: int | None = None
    stage_end = 0
    while requests:
        asked, worker = heapq.heappop(requests)
        passed = asked if delay <= 0 or last_pass is None else max(asked, last_pass + delay)
        if delay > 0:
            last_pass = passed
        if len(spans) < len(durations):
            end = passed + durations[len(spans)]
            spans.append((passed, end))
            heapq.heappush(requests, (end, worker))
        else:
            stage_end = max(stage_end, passed)
    return spans, max([stage_end, *(end for _, end in spans)])


@dataclass(frozen=True, slots=True)
class GroupRun:
    """One execution of a parallel group: its stage number, its calls, its stage entry if it finished."""

    stage: int
    calls: tuple[Mapping[str, Any], ...]
    entry: Mapping[str, Any] | None
    input_entry: Mapping[str, Any] | None
    next_start: int | None


_LAST_GROUP_RUNS: list[tuple[Scenario, Observation, list[GroupRun]]] = []


def group_runs(scenario: Scenario, observation: Observation) -> list[GroupRun]:
    """The parallel group executions of a run, in order, with what surrounds them.

    The last answer is kept: a check, :func:`aim` and :func:`reached_parts`
    read the same observation, and reading its timeline is a third of a
    check's cost.
    """
    if _LAST_GROUP_RUNS and _LAST_GROUP_RUNS[0][0] is scenario and _LAST_GROUP_RUNS[0][1] is observation:
        return _LAST_GROUP_RUNS[0][2]
    runs = _group_runs(scenario, observation)
    _LAST_GROUP_RUNS[:] = [(scenario, observation, runs)]
    return runs


def _group_runs(scenario: Scenario, observation: Observation) -> list[GroupRun]:
    timeline = observation["timeline"]
    blocks = split_blocks(timeline)
    entries = observation["stages"]
    runs: list[GroupRun] = []
    for position, block in enumerate(blocks):
        if not block.parallel:
            continue
        executions = [i for i, e in enumerate(entries) if e["stage"] == block.stage]
        seen = sum(1 for earlier in blocks[:position] if earlier.stage == block.stage)
        index = executions[seen] if seen < len(executions) else None
        entry = entries[index] if index is not None and entries[index]["outcome"] == "success" else None
        input_entry = _latest_success(entries[:index], block.stage - 1) if index else None
        following = blocks[position + 1].start_ms if position + 1 < len(blocks) else None
        runs.append(GroupRun(block.stage, block.calls, entry, input_entry, following))
    return runs


def _latest_success(entries: Sequence[Mapping[str, Any]], stage: int) -> Mapping[str, Any] | None:
    """The latest successful execution of ``stage`` among ``entries``: what a group re-run after a retry reads."""
    return next((e for e in reversed(entries) if e["stage"] == stage and e["outcome"] == "success"), None)


def asks_for_retry(command: CommandSpec) -> bool:
    """Whether a branch's command asks for a retry: ``retry = true``, or an answer that is a retry signal (spec R5.1)."""
    answer = command.returns
    return command.retry or answer == "retry" or (isinstance(answer, dict) and answer.get("value") == "retry")


def is_marker_shaped(command: CommandSpec) -> bool:
    """Whether a command returns an object with ``message`` and ``error``, which becomes a marker (spec R4.4)."""
    return isinstance(command.returns, dict) and "message" in command.returns and "error" in command.returns


def _group_commands(scenario: Scenario, stage: int) -> tuple[CommandSpec, ...]:
    names = scenario.stages[stage - 1]
    assert isinstance(names, tuple)
    return tuple(scenario.commands[name] for name in names)


def check_declaration_order(scenario: Scenario, observation: Observation) -> None:
    """Aggregate data follows the declaration order of the branches, whatever they took."""
    for run in group_runs(scenario, observation):
        if run.entry is None:
            continue
        commands = _group_commands(scenario, run.stage)
        raised = {branch for _, branch in _raised_branches(scenario, observation, run)}
        assert len(run.entry["data"]) == len(commands), f"stage {run.stage}: {len(run.entry['data'])} outputs"
        for index, (item, command) in enumerate(zip(run.entry["data"], commands)):
            where = f"stage {run.stage} data[{index}]: {item!r}"
            if index in raised:
                assert isinstance(item, dict) and item.get("index") == index, where
            elif isinstance(command.returns, dict):
                assert isinstance(item, dict) and item.get("branch") == command.name, where
            elif isinstance(command.returns, float):
                assert item == command.returns, where
            else:
                assert isinstance(item, str) and item.startswith(f"{command.name}:"), where


def check_cap(scenario: Scenario, observation: Observation) -> None:
    """Never more than min(cap, branches) run at once; exactly that many when branches outlast the pacing."""
    for run in group_runs(scenario, observation):
        workers = expected_workers(scenario, len(run.calls))
        instants = sorted({call["start_ms"] for call in run.calls})
        peak = max(
            sum(1 for call in run.calls if call["start_ms"] <= instant < call["end_ms"]) for instant in instants
        )
        assert peak <= workers, f"stage {run.stage}: {peak} branches ran at once, cap {workers}"
        delay = scenario.delay_ms or 0
        shortest = min(call["end_ms"] - call["start_ms"] for call in run.calls)
        if len(run.calls) == len(_group_commands(scenario, run.stage)) and shortest > (workers - 1) * delay:
            assert peak == workers, f"stage {run.stage}: only {peak} branches ran at once, cap {workers}"


def check_schedule(scenario: Scenario, observation: Observation) -> None:
    """Starts are at least ``delay_ms`` apart, and the whole timeline equals the schedule model."""
    delay = scenario.delay_ms or 0
    for run in group_runs(scenario, observation):
        commands = _group_commands(scenario, run.stage)
        starts = sorted(call["start_ms"] for call in run.calls)
        for earlier, later in zip(starts, starts[1:]):
            assert later - earlier >= delay, f"stage {run.stage}: starts {earlier} and {later} ms, delay {delay}"
        origin = run.calls[0]["start_ms"]
        spans, end = model_schedule(
            [command.duration_ms for command in commands], expected_workers(scenario, len(commands)), delay
        )
        observed = sorted(
            ((call["branch"], call["start_ms"] - origin, call["end_ms"] - origin) for call in run.calls)
        )
        assert observed == [(index, start, stop) for index, (start, stop) in enumerate(spans)], (
            f"stage {run.stage}: timeline {observed} != model {spans}"
        )
        if run.next_start is not None and run.entry is not None:
            assert run.next_start - origin == end, f"stage {run.stage}: ended at {run.next_start - origin}, model {end}"


def _raised_branches(scenario: Scenario, observation: Observation, run: GroupRun) -> list[tuple[int, int]]:
    """(completion time, branch) of each branch of ``run`` that became a marker: it raised or one of its effects failed.

    Effects run right after their command returns, at the same virtual instant.
    """
    commands = _group_commands(scenario, run.stage)
    raised: list[tuple[int, int]] = []
    for call in run.calls:
        command = commands[call["branch"]]
        failing = any(effect in scenario.failing_effects for effect in command.effects)
        answered = call["result"] == "value" and not asks_for_retry(command)
        if call["result"] == "raise" or (answered and failing):
            raised.append((call["end_ms"], call["branch"]))
    return raised


def _input_as_seen_by(command: CommandSpec, data: Any) -> Any:
    """The branch's own copy of the group input (decision D5), as the command left it: a marker's value."""
    seen = copy.deepcopy(data)
    if command.mutates_input:
        mutate_in_place(seen, command.name)
    return seen


def check_markers(scenario: Scenario, observation: Observation) -> None:
    """One marker per raising branch, in completion order, with index, key and the stage input as value."""
    runs = group_runs(scenario, observation)
    for run in runs:
        if run.entry is None:
            continue
        raised = _raised_branches(scenario, observation, run)
        commands_of_run = _group_commands(scenario, run.stage)
        errors = run.entry["errors"]
        if raised:
            assert sorted(marker["index"] for marker in errors) == sorted(branch for _, branch in raised), (
                f"stage {run.stage}: markers {errors} for raising branches {raised}"
            )
            for marker in errors:
                assert marker["key"] == marker["index"]
                assert run.input_entry is not None
                expected = _input_as_seen_by(commands_of_run[marker["index"]], run.input_entry["data"])
                assert marker["value"] == expected, f"stage {run.stage}: marker value {marker['value']!r}"
            completion = {branch: at for at, branch in raised}
            times = [completion[marker["index"]] for marker in errors]
            assert times == sorted(times), f"stage {run.stage}: markers not in completion order: {errors}"
        else:
            look_alikes = [c for c in _group_commands(scenario, run.stage) if is_marker_shaped(c)]
            assert len(errors) == len(look_alikes), f"stage {run.stage}: {len(errors)} markers, {len(look_alikes)} look-alikes"
    last = runs[-1] if runs else None
    if last is not None and last.entry is not None:
        assert observation["latest_errors"] == last.entry["errors"], "latest_errors is not the last group's markers"


def check_retry_rejection(scenario: Scenario, observation: Observation) -> None:
    """A retry asked in any branch fails its stage with exactly the rejection message.

    The message numbers the stage as mlld does (decision D3): entry j is
    ``stage j`` on a literal input and ``stage j + 1`` after a function source.
    Without a branch retry the run completes, unless a fixed literal input was
    asked to replay, which aborts (decision D3); that abort may also come
    before a group that would ask for a retry has run.
    """
    shown = 1 if scenario.source is not None else 0
    started = {entry["stage"] for entry in observation["stages"]}
    for stage, names in enumerate(scenario.stages, start=1):
        if isinstance(names, tuple) and any(asks_for_retry(scenario.commands[name]) for name in names):
            if stage not in started and not scenario.input_replayable:
                # A fixed literal aborts as soon as a later stage asks to retry entry 1,
                # which may come before this group ever runs (decision D3).
                break
            assert observation["outcome"] == "error", f"stage {stage} asked for a retry but the run completed"
            assert observation["error"]["message"] == f"Pipeline failed at stage {stage + shown}: {RETRY_REJECTED}"
            return
    if not scenario.input_replayable and observation["outcome"] == "error":
        assert observation["error"]["message"] == f"Pipeline aborted: {SOURCE_NOT_RETRYABLE}", observation["error"]
        return
    assert observation["outcome"] == "ok", f"no branch asked for a retry, yet: {observation['error']}"


def contributed_labels(scenario: Scenario, run: GroupRun, raised: set[int], input_labels: Sequence[str]) -> set[str]:
    """The labels each successful branch contributes to the aggregate, by the reference rule (spec R6.4)."""
    labels: set[str] = set()
    for index, command in enumerate(_group_commands(scenario, run.stage)):
        if index in raised:
            continue
        attached = command.result_descriptor.labels if command.result_descriptor else ()
        if command.labels or attached:
            labels.update(command.labels, attached)
        else:
            labels.update(input_labels, command.value_descriptor.labels if command.value_descriptor else ())
    return labels


def check_no_label_laundering(scenario: Scenario, observation: Observation) -> None:
    """No label is lost or invented: each aggregate has its input's labels and the successful branches' contributions; taint covers labels."""
    for run in group_runs(scenario, observation):
        if run.entry is None or run.input_entry is None:
            continue
        raised = {branch for _, branch in _raised_branches(scenario, observation, run)}
        expected = set(run.input_entry["labels"]) | contributed_labels(scenario, run, raised, run.input_entry["labels"])
        missing = expected - set(run.entry["labels"])
        assert not missing, f"stage {run.stage}: labels {sorted(missing)} lost"
        invented = set(run.entry["labels"]) - expected
        assert not invented, f"stage {run.stage}: labels {sorted(invented)} from nowhere (a failed branch's?)"
        assert set(run.entry["labels"]) <= set(run.entry["taint"]), f"stage {run.stage}: taint lacks labels"
    if observation["output"] is not None:
        for entry in observation["stages"]:
            if entry["outcome"] == "success":
                lost = set(entry["labels"]) - set(observation["output"]["labels"])
                assert not lost, f"labels {sorted(lost)} of stage {entry['stage']} lost by the end"


def check_value_labels_reach_the_aggregate(scenario: Scenario, observation: Observation) -> None:
    """Labels carried by a returned value reach the aggregate, even when its command is labelled.

    The reference does NOT do this (spec R6.4): this check states the behaviour
    a fixed executor would have, and runs as a strict expected failure.
    """
    for run in group_runs(scenario, observation):
        if run.entry is None:
            continue
        raised = {branch for _, branch in _raised_branches(scenario, observation, run)}
        for index, command in enumerate(_group_commands(scenario, run.stage)):
            carried = command.value_descriptor.labels if command.value_descriptor else ()
            if index not in raised and not asks_for_retry(command) and carried:
                missing = set(carried) - set(run.entry["labels"])
                assert not missing, f"stage {run.stage} branch {index}: value labels {sorted(missing)} dropped"


_STAGE_ENDS = ("STAGE_SUCCESS", "STAGE_FAILURE")


def check_lifecycle_events(scenario: Scenario, observation: Observation) -> None:
    """Events frame the run: one start, one end that matches the outcome, each stage closed once, retries just before their target.

    A stage execution that asked for a retry ends with no event of its own;
    the ``STAGE_RETRY_REQUEST`` that names it comes right before the
    ``STAGE_START`` of the stage it targets.
    """
    events = observation["events"]
    types = [event["type"] for event in events]
    assert types[:1] == ["PIPELINE_START"] and types.count("PIPELINE_START") == 1, f"events start {types[:3]}"
    ending = "PIPELINE_COMPLETE" if observation["outcome"] == "ok" else "PIPELINE_ABORT"
    assert types[-1] == ending and types.count(ending) == 1, f"events end {types[-3:]}, outcome {observation['outcome']}"
    open_stage: int | None = None
    for position, event in enumerate(events):
        kind = event["type"]
        if kind == "STAGE_START":
            open_stage = event["stage"]
        elif kind in _STAGE_ENDS:
            assert event["stage"] == open_stage, f"event {position}: {kind} of stage {event['stage']}, open {open_stage}"
            open_stage = None
        elif kind == "STAGE_RETRY_REQUEST":
            following = events[position + 1] if position + 1 < len(events) else {}
            assert following.get("type") == "STAGE_START" and following.get("stage") == event["target"], (
                f"event {position}: retry request for stage {event['target']} followed by {following}"
            )
            assert open_stage == event["stage"], f"event {position}: retry request from {event['stage']}, open {open_stage}"
            open_stage = None
    starts = types.count("STAGE_START")
    assert starts == len(observation["stages"]), f"{starts} stage starts, {len(observation['stages'])} executions"


def drawn_sample(strategy: st.SearchStrategy[Scenario], examples: int) -> list[Scenario]:
    """``examples`` derandomized draws of ``strategy`` (generation only), the same on every run."""
    drawn: list[Scenario] = []

    @settings(
        max_examples=examples, derandomize=True, database=None, deadline=None, phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(scenario: Scenario) -> None:
        drawn.append(scenario)

    collect()
    return drawn


def distribution(sample: Sequence[Scenario], implementation: Implementation) -> Counter[str]:
    """How many scenarios of ``sample`` reached each part (:func:`reached_parts`), observed on ``implementation``."""
    counts: Counter[str] = Counter()
    for scenario in sample:
        counts.update(reached_parts(scenario, observe(scenario, implementation)))
    return counts


def reached_parts(scenario: Scenario, observation: Observation) -> set[str]:
    """What one observed scenario reached, for ``hypothesis.event`` and the distribution pinned in the tests."""
    found: set[str] = set()
    groups = [index for index, stage in enumerate(scenario.stages, start=1) if isinstance(stage, tuple)]
    entries = observation["stages"]
    parallel = [entry for entry in entries if entry["parallel"]]
    if any(entry["outcome"] == "success" for entry in parallel):
        found.add("an aggregate")
    if len(parallel) >= 2:
        found.add("a second group run")
    if any(e["outcome"] == "success" and not e["parallel"] and e["stage"] > groups[0] for e in entries):
        found.add("a sequential stage after a group")
    if any(entry["outcome"] == "retry" for entry in entries):
        found.add("an accepted retry")
    if observation["error"] is not None and RETRY_REJECTED in observation["error"]["message"]:
        found.add("a rejected retry")
    if observation["outcome"] == "ok":
        found.add("completion")
    if scenario.parallel_cap is not None and scenario.parallel_cap <= 0:
        found.add("a cap <= 0")
    given = scenario.commands[scenario.source].returns if scenario.source is not None else scenario.input
    if not (isinstance(given, str) and given.isascii()):
        found.add("a structured or non-ASCII input")
    if scenario.source is not None:
        found.add("a function source")
    elif not scenario.input_replayable:
        found.add("a fixed literal input")
    if scenario.runs > 1:
        found.add("a later run")
    if any(c.set_env for c in scenario.commands.values()):
        found.add("a limit set during the run")
    if any(c.mutates_input for c in scenario.commands.values()):
        found.add("a branch that mutates its input")
    found.update(name for name, score in rare_observations(scenario, observation).items() if score)
    if scenario.delay_ms and any(
        len(run.calls) >= 2 and expected_workers(scenario, len(run.calls)) == 1 for run in group_runs(scenario, observation)
    ):
        found.add("pacing at one worker")
    if any(isinstance(c.returns, float) for c in scenario.commands.values()):
        found.add("a float answer")
    if any(isinstance(c.returns, dict) and not is_marker_shaped(c) and not asks_for_retry(c) for c in scenario.commands.values()):
        found.add("an object answer")
    return found


PROPERTIES: Final[Mapping[str, Callable[[Scenario, Observation], None]]] = {
    "declaration-order": check_declaration_order,
    "cap": check_cap,
    "schedule": check_schedule,
    "markers": check_markers,
    "retry-rejection": check_retry_rejection,
    "labels": check_no_label_laundering,
    "events": check_lifecycle_events,
}
"""The checks by name; ``side-by-side`` (the candidate observes what the reference does) is the one more property."""
SIDE_BY_SIDE: Final = "side-by-side"


EMPHASIS: Final[Mapping[str, tuple[str, ...]]] = {
    "declaration-order": ("raises", "look-alikes"),
    "cap": ("one-worker", "caps"),
    "schedule": ("pacing", "group-retries", "brief"),
    "markers": ("raises", "structured-input", "effects"),
    "retry-rejection": ("group-retries", "sequential-stages"),
    "labels": ("labels", "raises", "effects"),
    "events": ("sequential-stages",),
    SIDE_BY_SIDE: ("effects", "raises", "labels", "structured-input"),
}
"""The features of the strategies each property reads, turned on in seven draws in eight (``scenarios(emphasis=...)``)."""
QUIET: Final[Mapping[str, tuple[str, ...]]] = {
    "declaration-order": ("group-retries", "one-worker", "brief"),
    "cap": ("pacing", "group-retries", "brief"),
    "markers": ("one-worker", "pacing", "group-retries", "brief", "sequential-stages"),
    "labels": ("group-retries",),
    "events": ("group-retries",),
    SIDE_BY_SIDE: ("group-retries",),
}
"""The features that hide what a property reads (one worker finishes in index order, a retry ends the run, branches
of no duration never overlap): on in one draw in four."""


ALSO_EMPHASIZED: Final[Mapping[str, tuple[str, ...]]] = {
    "schedule": ("one-worker",),
}
"""Features a property wants in about two draws in three: half its draws come from a second strategy that also
emphasizes them. The schedule reads pacing both at one worker (each start paced after the previous one) and at
several (workers waiting at the gate together), so neither may crowd out the other."""


def property_scenarios(name: str, *, carried_state: bool = False) -> st.SearchStrategy[Scenario]:
    """The drawn scenarios property ``name`` runs on: the shared strategies, weighted for what it reads."""
    weighted = scenarios(carried_state=carried_state, emphasis=EMPHASIS[name], quiet=QUIET.get(name, ()))
    if name not in ALSO_EMPHASIZED:
        return weighted
    emphasis = (*EMPHASIS[name], *ALSO_EMPHASIZED[name])
    quiet = tuple(feature for feature in QUIET.get(name, ()) if feature not in emphasis)
    return st.one_of(weighted, scenarios(carried_state=carried_state, emphasis=emphasis, quiet=quiet))


def rare_observations(scenario: Scenario, observation: Observation) -> dict[str, int]:
    """Score the rare observations that make faults visible, by name.

    Siblings not yet started when a branch asks for a retry, branches held
    back by the cap, starts held by the pacing gate, and raising branches
    that finish before one declared earlier (markers come in completion
    order): each one counted over the run's groups.
    """
    delay = scenario.delay_ms or 0
    scores = {
        "siblings waiting at a retry": 0,
        "branches held by the cap": 0,
        "starts held by the pacing gate": 0,
        "failures finishing out of declaration order": 0,
    }
    for run in group_runs(scenario, observation):
        width = len(_group_commands(scenario, run.stage))
        starts = sorted(call["start_ms"] for call in run.calls)
        if not starts:
            continue
        asked = [call["end_ms"] for call in run.calls if call["result"] == "retry"]
        if asked:
            scores["siblings waiting at a retry"] += width - sum(1 for start in starts if start < min(asked))
        if expected_workers(scenario, width) < width:
            scores["branches held by the cap"] += sum(1 for start in starts if start > starts[0])
        if delay:
            scores["starts held by the pacing gate"] += sum(1 for a, b in zip(starts, starts[1:]) if b - a == delay)
        failed = [call["end_ms"] for call in sorted(run.calls, key=lambda call: call["branch"]) if call["result"] == "raise"]
        scores["failures finishing out of declaration order"] += sum(
            1 for position, end in enumerate(failed) for later in failed[position + 1:] if later < end
        )
    return scores


def aim(scenario: Scenario, observation: Observation) -> None:
    """Steer hypothesis toward the :func:`rare_observations` (``hypothesis.target``); nothing outside a test."""
    if currently_in_test_context():
        for label, score in rare_observations(scenario, observation).items():
            target(score, label=label)


def violation(name: str, scenario: Scenario, candidate: Implementation, reference: Implementation) -> str | None:
    """How ``candidate`` breaks property ``name`` on ``scenario``, or ``None`` when it holds."""
    observation = observe(scenario, candidate)
    aim(scenario, observation)
    if name == SIDE_BY_SIDE:
        return describe_disagreement(observe(scenario, reference), observation)
    try:
        PROPERTIES[name](scenario, observation)
    except Exception as exc:  # a candidate's odd output may break a check's reading of it: the property fails
        return f"{type(exc).__name__}: {exc}"
    return None


def _plain(name: str, **answer: Any) -> CommandSpec:
    return CommandSpec(name=name, **answer)


def _boundary(name: str, stages: tuple[str | tuple[str, ...], ...], commands: Sequence[CommandSpec], **settings: Any) -> Scenario:
    return Scenario(
        name=name, description="a boundary every property is checked at", input=settings.pop("input", "x"),
        stages=stages, commands={command.name: command for command in commands}, **settings,
    )


BOUNDARIES: Final = (
    # One worker with pacing: every start waits the delay after the previous start.
    _boundary("cap-1-paced", (("a", "b", "c"),), [
        _plain(name, returns=f"{name}:{{input}}", duration_ms=5) for name in ("a", "b", "c")
    ], parallel_cap=1, delay_ms=10),
    # Three workers at the pacing gate at once: they pass one delay apart, not together.
    _boundary("paced-several-workers", (("a", "b", "c"),), [
        _plain(name, returns=f"{name}:{{input}}", duration_ms=30) for name in ("a", "b", "c")
    ], parallel_cap=3, delay_ms=10),
    # A branch changes its list input in place, then fails: its marker holds its own copy, changed once.
    _boundary("failing-branch-mutates-its-input", (("a", "f"),), [
        _plain("a", returns="a:{input}", duration_ms=5),
        _plain("f", raises="f failed", mutates_input=True, duration_ms=10),
    ], input=[1, {"n": 2}], parallel_cap=2),
    # A cap of 0 means one worker, whatever the environment says.
    _boundary("cap-0", (("a", "b", "c"),), [
        _plain(name, returns=f"{name}:{{input}}", duration_ms=10) for name in ("a", "b", "c")
    ], parallel_cap=0),
    # Structured non-ASCII input; branches finish out of order; two raise, out of index order; labels everywhere.
    _boundary("mixed-answers", (("a", "b", "c", "d"), "tail"), [
        _plain("a", raises="a failed on {input}", duration_ms=30, labels=("beta",)),
        _plain("b", raises="b failed on {input}", duration_ms=10),
        _plain("c", returns=1e-7, labels=("gamma",)),
        _plain("d", returns={"branch": "d", "seen": "{input}"}, duration_ms=20,
               value_descriptor=DescriptorSpec(labels=("secret",))),
        _plain("tail"),
    ], input={"n": 1.5, "é": ["ü"]}, input_descriptor=DescriptorSpec(labels=("alpha",)), parallel_cap=2),
    # A retry asked inside a group while siblings still wait for the one worker.
    _boundary("retry-in-group", ("s1", ("a", "b", "c")), [
        _plain("s1"), _plain("a", returns={"value": "retry", "branch": "a"}, duration_ms=10),
        _plain("b", returns="b:{input}", duration_ms=10), _plain("c", returns="c:{input}", duration_ms=10),
    ], parallel_cap=1),
    # A sequential stage asks for one retry, which re-runs the whole group before it.
    _boundary("accepted-retry", (("a", "b"), "s2"), [
        _plain("a", returns="a:{input}", duration_ms=10), _plain("b", returns="b:{input}"),
        _plain("s2", retry=True, retry_until=2),
    ]),
    # A fixed literal aborts when entry 2 asks to retry entry 1, before the group that would ask runs.
    _boundary("fixed-literal-aborts-before-a-retrying-group", (("a",), "s2", ("b",)), [
        _plain("a", returns="a:{input}"), _plain("s2", retry=True, retry_until=2), _plain("b", retry=True),
    ], input_replayable=False),
)
"""Scenarios at the boundaries, run as explicit examples before any drawn one."""

CARRIED_BOUNDARIES: Final = (
    # A stage widens the limit for the group after it, which must read it when it starts.
    _boundary("limit-set-for-a-later-group", (("a", "b"), "widen", ("c", "d")), [
        *(_plain(name, duration_ms=10) for name in ("a", "b", "c", "d")),
        _plain("widen", set_env={"PIPELINE_PARALLEL_LIMIT": "2"}),
    ], env={"PIPELINE_PARALLEL_LIMIT": "1"}),
    # Run 2 of one instance ends before its group: its published errors must be its own (none).
    _boundary("second-run-ends-before-the-group", ("first", ("boom", "fine")), [
        _plain("first", returns_each=("go", "")), _plain("boom", raises="boom"), _plain("fine", returns="fine"),
    ], runs=2),
)
"""Boundaries of the side-by-side property, whose draws carry state across runs and groups."""
