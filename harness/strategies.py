"""Hypothesis strategies for scenarios that stress the parallel stage.

Public and usable from any test suite::

    from hypothesis import given
    from harness.strategies import scenarios

    @given(scenarios())
    def test_my_candidate_agrees(scenario): ...

:func:`scenarios` draws the concurrency settings (a parallel cap of none or
1 to 16, the ``PIPELINE_PARALLEL_LIMIT`` environment value, valid or not, a
pacing delay of 0 to 500 ms), one to three parallel groups of 1 to 24
branches mixed with sequential stages, and per branch a duration (0 to 1000
virtual ms, drawn so that ties are likely), an outcome (returns, raises, asks
for a retry, returns an error-marker look-alike), labels, result labels,
value labels and effects. Every choice shrinks toward the plain case (a
returning branch, no labels, no pacing, one branch), and names derive from
positions (``g1b0`` is branch 0 of the first group), so a shrunk scenario is
small and reads well when written to a file.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final, TypeAlias

from hypothesis import strategies as st

from harness.scenario.model import CommandSpec, DescriptorSpec, JSONValue, Scenario

__all__ = [
    "DURATION_STEPS",
    "ENV_LIMITS",
    "LABEL_ALPHABET",
    "OUTCOMES",
    "branch_commands",
    "delays",
    "durations",
    "env_limits",
    "label_sets",
    "parallel_caps",
    "scenarios",
]

LABEL_ALPHABET: Final = ("alpha", "beta", "gamma", "secret")
OUTCOMES: Final = ("returns", "raises", "retry", "marker")
DURATION_STEPS: Final = (0, 10, 50, 100, 250, 1000)
ENV_LIMITS: Final = (None, "1", "2", "3", "8", "16", "0", "-3", "abc", "", "2.9", "6abc", " 3")
"""Unset first (it shrinks there), then valid limits, then values the executor must read as 4 or parse leniently."""
FAILING_EFFECT: Final = "audit"
RECORDING_EFFECT: Final = "show"
GENERATED_DEADLINE_MS: Final = 36_000_000


_DURATIONS = st.one_of(st.sampled_from(DURATION_STEPS), st.integers(min_value=0, max_value=1000))
_CAPS = st.one_of(st.none(), st.integers(min_value=1, max_value=16))
_ENV_LIMITS = st.sampled_from(ENV_LIMITS)
_DELAYS = st.one_of(st.just(0), st.sampled_from((5, 10, 100)), st.integers(min_value=0, max_value=500))
_LABEL_SETS = st.lists(st.sampled_from(LABEL_ALPHABET), max_size=2, unique=True).map(tuple)
_EFFECTS = st.lists(st.sampled_from((RECORDING_EFFECT, FAILING_EFFECT)), max_size=1).map(tuple)
# Everything one branch needs, drawn at once: strategies are built once, at import,
# because building them per draw costs more than running the scenario.
_BRANCH_SHAPE = st.tuples(
    st.sampled_from(OUTCOMES),
    _DURATIONS,
    _LABEL_SETS,
    _LABEL_SETS,
    _LABEL_SETS,
    _EFFECTS,
    st.one_of(st.none(), st.integers(min_value=0, max_value=30)),
    st.booleans(),
)


def durations() -> st.SearchStrategy[int]:
    """Virtual milliseconds from 0 to 1000, mostly from a few round values so that ties are common."""
    return _DURATIONS


def parallel_caps() -> st.SearchStrategy[int | None]:
    """No explicit cap, or 1 to 16."""
    return _CAPS


def env_limits() -> st.SearchStrategy[str | None]:
    """``PIPELINE_PARALLEL_LIMIT``: unset, valid, or invalid."""
    return _ENV_LIMITS


def delays() -> st.SearchStrategy[int]:
    """Pacing between branch starts, 0 (none) to 500 ms."""
    return _DELAYS


def label_sets() -> st.SearchStrategy[tuple[str, ...]]:
    """Zero to two distinct labels from a small alphabet."""
    return _LABEL_SETS


def _descriptor(labels: tuple[str, ...]) -> DescriptorSpec | None:
    return DescriptorSpec(labels=labels) if labels else None


BranchShape: TypeAlias = tuple[str, int, tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...], "int | None", bool]
"""Outcome, duration, labels, result labels, value labels, effects, look-alike index, look-alike value."""


def _branch(name: str, shape: BranchShape) -> CommandSpec:
    outcome, duration, labels, result_labels, value_labels, effects, marker_index, marker_value = shape
    plain = CommandSpec(
        name=name,
        returns=f"{name}:{{input}}",
        duration_ms=duration,
        labels=labels,
        result_descriptor=_descriptor(result_labels),
        value_descriptor=_descriptor(value_labels),
        effects=effects,
    )
    if outcome == "raises":
        return replace(plain, returns=None, raises=f"{name} failed on {{input}}")
    if outcome == "retry":
        return replace(plain, returns=None, retry=True)
    if outcome == "marker":
        look_alike: dict[str, JSONValue] = {"message": f"{name} looks failed", "error": "E"}
        if marker_index is not None:
            look_alike["index"] = marker_index
        if marker_value:
            look_alike["value"] = "{input}"
        return replace(plain, returns=look_alike)
    return plain


def branch_commands(name: str) -> st.SearchStrategy[CommandSpec]:
    """One branch command named ``name``: its outcome, duration, labels and effects."""
    return _BRANCH_SHAPE.map(lambda shape: _branch(name, shape))


@st.composite
def scenarios(
    draw: st.DrawFn,
    *,
    max_groups: int = 3,
    max_branches: int = 24,
    name: str = "generated",
) -> Scenario:
    """A scenario of 1 to ``max_groups`` parallel groups of 1 to ``max_branches`` branches.

    Sequential stages may stand before each group and after the last one;
    they pass their input on (some carry labels). The input is ``"x"``,
    possibly labelled.
    """
    stages: list[str | tuple[str, ...]] = []
    commands: dict[str, CommandSpec] = {}
    for group in range(1, draw(st.integers(min_value=1, max_value=max_groups)) + 1):
        if draw(st.booleans()):
            before = f"s{group}"
            commands[before] = CommandSpec(name=before, labels=draw(_LABEL_SETS))
            stages.append(before)
        width = draw(st.integers(min_value=1, max_value=max_branches))
        branches = tuple(f"g{group}b{index}" for index in range(width))
        for branch in branches:
            commands[branch] = _branch(branch, draw(_BRANCH_SHAPE))
        stages.append(branches)
    if draw(st.booleans()):
        commands["tail"] = CommandSpec(name="tail", labels=draw(_LABEL_SETS))
        stages.append("tail")
    env_limit = draw(_ENV_LIMITS)
    delay = draw(_DELAYS)
    return Scenario(
        name=name,
        description="drawn by harness.strategies.scenarios",
        input="x",
        input_descriptor=_descriptor(draw(_LABEL_SETS)),
        stages=tuple(stages),
        parallel_cap=draw(_CAPS),
        delay_ms=delay or None,
        env={} if env_limit is None else {"PIPELINE_PARALLEL_LIMIT": env_limit},
        deadline_ms=GENERATED_DEADLINE_MS,
        commands=commands,
        failing_effects={FAILING_EFFECT: "audit down for {input}"} if draw(st.booleans()) else {},
    )
