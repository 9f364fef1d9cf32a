"""Hypothesis strategies for scenarios that stress the parallel stage.

Public and usable from any test suite::

    from hypothesis import given
    from harness.strategies import scenarios

    @given(scenarios())
    def test_my_candidate_agrees(scenario): ...

:func:`scenarios` draws the concurrency settings (a parallel cap of none, 1
to 16, or 0 and below, which the executor reads as one worker; the
``PIPELINE_PARALLEL_LIMIT`` environment value, valid or not; a pacing delay
of 0 to 500 ms), an input (plain, non-ASCII, or structured), one to three
parallel groups mixed with sequential stages, and per branch a duration (0
to 1000 virtual ms, drawn so that ties are likely), an answer, labels,
result labels, value labels and effects.

The input comes in each of mlld's three kinds (decision D3): a replayable
literal (``input``, half the draws), a function source (``source``, a
command answering the input) and a fixed literal (``input_replayable =
false``). Some branches change their input's data in place
(``mutates_input``), which a runner that shares one input between branches
would leak into its siblings' markers. With ``carried_state=True`` the
scenario also runs 1 to 3 times on one executor instance (``runs``), so state
a run leaves behind is observed, and a sequential stage before a later group
may set ``PIPELINE_PARALLEL_LIMIT`` (``set_env``), which that group must read
afresh; the properties that model the schedule from the scenario's settings
draw without them, the side-by-side property with them.

The draws are weighted so that most scenarios get through their groups and
reach the stages after them: a group holds a branch that asks for a retry
(which fails the stage) only now and then, while a sequential stage after a
group often asks for one retry, which is accepted and re-runs the whole
group. Groups are mostly narrow (1 to 4 branches) and one in ten is 5 to
``max_branches`` wide. Answers are text, floats, objects, error-marker
look-alikes and retry look-alikes, some of which are retry signals and some
not (``{"value": "Retry"}`` is not, ``{"value": "retry"}`` is).

Each draw starts as swarm testing does: it first picks which of the
:data:`FEATURES` it may use (pacing, one worker, an explicit cap of 2 to 16,
an environment limit, brief branches, raising branches, marker and retry
look-alikes, a retry inside the last group, labels, effects, a structured
input with mutating branches, sequential stages, and recovery: a last group
that answers cleanly after groups that may fail), each on for half the
draws, and a feature left off is absent from the whole scenario. Rare
conjunctions (a cap of 0 with overlapping branches and no pacing, pacing at
one worker, a group retry while siblings wait for a worker) stop being
diluted by every other feature, and a feature that is on is drawn often (a
retry in the last group three times in five, so that the groups before it
run to the end). Each group then draws how it uses the scenario's features:
with raising branches on, a group answers cleanly (no raise, no look-alike),
raises in one branch in two, or in four in five; with labels on, it mixes
labellings or labels every branch's command. A clean group after a failing
one, or a labelled input beside a group of labelled commands, is then an
even draw. ``emphasis`` names features a property depends on: those are on
in seven draws in eight; ``quiet`` those that hide what it reads: on in one
in four (per-property strategies).

Every choice shrinks toward the plain case (a text answer, no labels, no
pacing, one branch, one group), and names derive from positions (``g1b0``
is branch 0 of the first group), so a shrunk scenario is small and reads
well when written to a file. Strategies are built once per argument set,
because building them per draw costs more than running the scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from collections.abc import Iterable
from functools import lru_cache
from itertools import combinations
from typing import Final

from hypothesis import strategies as st

from harness.scenario.model import CommandSpec, DescriptorSpec, JSONValue, Scenario

__all__ = [
    "ANSWERS",
    "FEATURES",
    "DURATION_STEPS",
    "ENV_LIMITS",
    "GROUP_RETRIES",
    "INPUTS",
    "INPUT_KINDS",
    "LABEL_ALPHABET",
    "branch_commands",
    "delays",
    "durations",
    "env_limits",
    "inputs",
    "label_sets",
    "parallel_caps",
    "scenarios",
]

LABEL_ALPHABET: Final = ("alpha", "beta", "gamma", "secret")
DURATION_STEPS: Final = (0, 10, 50, 100, 250, 1000)
ENV_LIMITS: Final = (None, "1", "2", "3", "8", "16", "0", "-3", "abc", "", "2.9", "6abc", " 3")
"""Unset first (it shrinks there), then valid limits, then values the executor must read as 4 or parse leniently."""
INPUTS: Final[tuple[JSONValue, ...]] = (
    "x",
    "héllo wörld ✓",
    'quote " backslash \\ tab \t',
    {"n": 1.5, "tags": ["a", "é"], "nested": {"ok": True}},
    [1, "two", {"three": 3.25}],
    {"message": "looks failed", "error": "E"},
    0.1,
)
"""Pipeline inputs, plain first: non-ASCII and escaped text, objects, an array, a marker look-alike, a float."""
ANSWERS: Final = ("text", "text", "float", "object", "raises", "marker", "marker-indexed", "marker-valued", "not-a-signal")
"""A branch's answer; text is the most common, and where every answer shrinks; raises and look-alikes are features."""
GROUP_RETRIES: Final = (None, None, "retry", "signal", "retry-text")
"""With group retries on, how the last group asks for a retry, if it does: three times in five."""
FEATURES: Final = (
    "pacing", "one-worker", "caps", "environment", "brief", "raises", "look-alikes", "group-retries", "labels", "effects",
    "structured-input", "sequential-stages", "recovery",
)
"""What a draw may use, chosen first (swarm testing); a feature left off is absent from the scenario."""
INPUT_KINDS: Final = ("literal", "fixed", "source", "literal")
"""How the input reaches the pipeline: a replayable literal (where it shrinks), a function source, a fixed literal."""
SOURCE_COMMAND: Final = "src"
RUN_COUNTS: Final = (1, 1, 2, 3)
"""With ``carried_state``: how many times one executor instance runs the scenario."""
SET_LIMITS: Final = (None, None, "1", "2", "abc")
"""With ``carried_state``: what a sequential stage before a later group sets ``PIPELINE_PARALLEL_LIMIT`` to, if anything."""
SEQUENTIAL_RETRY_TRIES: Final = (None, 2, 3, 2)
"""A sequential stage after a group asks for a retry until this call (``retry_until``), or, one time in four, never."""
FAILING_EFFECT: Final = "audit"
RECORDING_EFFECT: Final = "show"
GENERATED_DEADLINE_MS: Final = 36_000_000

_LABEL_CHOICES: Final = ((), *((label,) for label in LABEL_ALPHABET), *combinations(LABEL_ALPHABET, 2))
_SINGLES: Final = tuple((label,) for label in LABEL_ALPHABET)
_LABELLINGS: Final = (
    ((), (), ()),
    *((labels, (), ()) for labels in _LABEL_CHOICES[1:]),
    *(((), labels, ()) for labels in _LABEL_CHOICES[1:]),
    *(((), (), labels) for labels in _LABEL_CHOICES[1:]),
    *((first, (), second) for first in _SINGLES for second in _SINGLES),
    *((first, second, ()) for first in _SINGLES for second in _SINGLES),
    *(((), first, second) for first in _SINGLES for second in _SINGLES),
)
"""A branch's (labels, result labels, value labels): none, one kind, or two kinds at once (spec R6.4), in one draw."""


def _duration(choice: int) -> int:
    """Half the choices are round steps (ties), half spread over 0 to 1000 ms; 0 is the first."""
    if choice < 50:
        return DURATION_STEPS[choice % len(DURATION_STEPS)]
    return (choice - 50) * 20 + choice % 7


_DURATION_CHOICES: Final = 100
_DURATIONS = st.integers(min_value=0, max_value=_DURATION_CHOICES - 1).map(_duration)
# One worker is where pacing and ordering mistakes show most, so a cap of 1 has a weight of its own.
_CAPS = st.one_of(
    st.none(), st.just(1), st.integers(min_value=2, max_value=16), st.integers(min_value=-2, max_value=0)
)
_ENV_LIMITS = st.sampled_from(ENV_LIMITS)
_DELAYS = st.one_of(st.just(0), st.sampled_from((5, 10, 100)), st.integers(min_value=0, max_value=500))
_PACED = st.one_of(st.sampled_from((5, 10, 100)), st.integers(min_value=1, max_value=500))
# One worker is where pacing and ordering mistakes show most: a cap of 1 (half), 0 (the falsy one, three in eight) or below.
_ONE_WORKER_CAPS = st.sampled_from((1, 0, 1, 0, 1, 0, 1, -1))
_EXPLICIT_CAPS = st.integers(min_value=2, max_value=16)
_SET_ENV_LIMITS = st.sampled_from(ENV_LIMITS[1:])
# Containers twice: only their data can be changed in place by a branch that mutates its input.
_STRUCTURED_INPUTS = st.sampled_from((*INPUTS[1:], *(value for value in INPUTS[1:] if isinstance(value, (dict, list)))))
_LABEL_SETS = st.sampled_from(_LABEL_CHOICES)
_EFFECT_CHOICES: Final = ((), (RECORDING_EFFECT,), (FAILING_EFFECT,))
_INPUTS = st.sampled_from(INPUTS)
_GROUP_RETRIES = st.sampled_from(GROUP_RETRIES)
_SEQUENTIAL_RETRIES = st.sampled_from(SEQUENTIAL_RETRY_TRIES)
_INPUT_KINDS = st.sampled_from(INPUT_KINDS)
_RUN_COUNTS = st.sampled_from(RUN_COUNTS)
_SET_LIMITS = st.sampled_from(SET_LIMITS)
_SEQUENTIAL_STAGE = st.sampled_from((False, True, True))


def durations() -> st.SearchStrategy[int]:
    """Virtual milliseconds from 0 to 1000, mostly from a few round values so that ties are common."""
    return _DURATIONS


def parallel_caps() -> st.SearchStrategy[int | None]:
    """No explicit cap, 1 to 16, or 0 to -2 (one worker)."""
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


def inputs() -> st.SearchStrategy[JSONValue]:
    """The pipeline input: ``"x"``, non-ASCII or escaped text, or a structured value."""
    return _INPUTS


def _descriptor(labels: tuple[str, ...]) -> DescriptorSpec | None:
    return DescriptorSpec(labels=labels) if labels else None


@dataclass(frozen=True, slots=True)
class _BranchDraw:
    """Everything drawn for one branch, before it becomes a command."""

    answer: str
    duration: int
    labelling: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
    effects: tuple[str, ...]
    mutates_input: bool


def _answer(name: str, index: int, answer: str) -> dict[str, object]:
    """The answering keys of a branch's command for one kind of answer."""
    if answer == "raises":
        return {"raises": f"{name} failed on {{input}}"}
    if answer == "float":
        # Not an integer, and written 1e-7 by JSON.stringify but 1e-07 by Python's json.
        return {"returns": (index + 1) * 1e-7}
    if answer == "object":
        return {"returns": {"branch": name, "seen": "{input}", "score": index + 0.5}}
    if answer == "not-a-signal":
        return {"returns": {"value": "Retry", "branch": name}}
    if answer == "retry":
        return {"retry": True}
    if answer == "signal":
        return {"returns": {"value": "retry", "branch": name}}
    if answer == "retry-text":
        return {"returns": "retry"}
    if answer.startswith("marker"):
        look_alike: dict[str, JSONValue] = {"message": f"{name} looks failed", "error": "E", "branch": name}
        if answer == "marker-indexed":
            look_alike["index"] = index + 1  # another branch's position, or none for the last branch
        if answer == "marker-valued":
            look_alike["value"] = "{input}"
        return {"returns": look_alike}
    return {"returns": f"{name}:{{input}}"}


def _branch(name: str, index: int, drawn: _BranchDraw) -> CommandSpec:
    labels, result_labels, value_labels = drawn.labelling
    return CommandSpec(
        name=name,
        duration_ms=drawn.duration,
        labels=labels,
        result_descriptor=_descriptor(result_labels),
        value_descriptor=_descriptor(value_labels),
        effects=drawn.effects,
        mutates_input=drawn.mutates_input,
        **_answer(name, index, drawn.answer),  # type: ignore[arg-type]
    )


_MUTATES: Final = (False,) * 5 + (True,)
# A branch is three draws: its answer, its duration, and one choice that holds
# its labelling, effects and mutation as digits. Generation costs one draw per
# strategy level, and a branch drawn field by field (a tuple of five
# strategies, two of them mapped) cost eight; a draw costs more than running
# the branch. Choice 0 is the plain branch on every digit, so the choice
# shrinks toward it, and the answer and the duration, which most failures turn
# on, still shrink on their own. Each choice is a ``sampled_from`` over fewer
# than 2,000 values: hypothesis draws those evenly, while a wider range leans
# hard toward small values (which would leave most branches unlabelled).
_DURATIONS_ALL: Final = tuple(_duration(choice) for choice in range(_DURATION_CHOICES))
_DURATIONS_BRIEF: Final = (0, 10, 10, 50)
"""With ``brief`` on: branches shorter than most pacing delays, and ties everywhere."""
_PLAIN_ANSWERS: Final = ANSWERS[:4]
_RAISING_ANSWERS: Final = ("raises",) * 4
_LOOK_ALIKE_ANSWERS: Final = ANSWERS[5:]


@dataclass(frozen=True, slots=True)
class _BranchChoices:
    """What a branch may be drawn as, given the features on; the first of each tuple is the plain choice."""

    answers: tuple[str, ...]
    durations: tuple[int, ...]
    labellings: tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...]
    effects: tuple[tuple[str, ...], ...]
    mutates: tuple[bool, ...]

    @property
    def answer_indexes(self) -> st.SearchStrategy[int]:
        return _indexes(len(self.answers))

    @property
    def rest(self) -> st.SearchStrategy[int]:
        return _indexes(len(self.labellings) * len(self.effects) * len(self.mutates))

    @property
    def duration_indexes(self) -> st.SearchStrategy[int]:
        return _indexes(len(self.durations))

    def branch(self, answer: int, duration: int, rest: int) -> _BranchDraw:
        rest, mutates = divmod(rest, len(self.mutates))
        labelling, effects = divmod(rest, len(self.effects))
        return _BranchDraw(
            self.answers[answer], self.durations[duration], self.labellings[labelling], self.effects[effects],
            self.mutates[mutates],
        )


@lru_cache(maxsize=None)
def _indexes(count: int) -> st.SearchStrategy[int]:
    return st.sampled_from(range(count))


@lru_cache(maxsize=None)
def _askers(width: int) -> st.SearchStrategy[int]:
    """Which branch of a group asks for a retry: the first in about half the draws, while its siblings still wait."""
    return st.sampled_from((0,) * width + tuple(range(width)))


_RAISE_LEVELS: Final = ((_PLAIN_ANSWERS, ()), (_PLAIN_ANSWERS, _RAISING_ANSWERS), (_PLAIN_ANSWERS[:1], _RAISING_ANSWERS))
"""With ``raises`` on, how one group answers (plain answers, raising ones): cleanly (no raise and no look-alike, so it
publishes no marker), raising in one branch in two, or in four in five."""
_COMMAND_LABELLINGS: Final = tuple(labelling for labelling in _LABELLINGS if labelling[0])
"""The labellings that label the branch's command itself."""


@lru_cache(maxsize=None)
def _branch_choices(
    features: frozenset[str], level: tuple[tuple[str, ...], tuple[str, ...]] = _RAISE_LEVELS[1],
    command_labelled: bool = False,
) -> _BranchChoices:
    plain, raising = level
    answers = plain + raising if "raises" in features else _PLAIN_ANSWERS
    if "look-alikes" in features and ("raises" not in features or raising):
        answers += _LOOK_ALIKE_ANSWERS
    labellings = _LABELLINGS[:1]
    if "labels" in features:
        labellings = _COMMAND_LABELLINGS if command_labelled else _LABELLINGS
    return _BranchChoices(
        answers=answers,
        durations=_DURATIONS_BRIEF if "brief" in features else _DURATIONS_ALL,
        labellings=labellings,
        effects=_EFFECT_CHOICES if "effects" in features else _EFFECT_CHOICES[:1],
        mutates=(False, True) if "structured-input" in features else (False,),
    )


@lru_cache(maxsize=None)
def _group_choices(features: frozenset[str]) -> st.SearchStrategy[_BranchChoices]:
    """What the branches of one group may be, drawn per group (swarm testing inside the scenario).

    A feature on for the scenario is not used evenly by all its groups: with
    ``raises`` a group answers cleanly, raises in half its branches or in
    most (:data:`_RAISE_LEVELS`), and with
    ``labels`` a group either mixes labellings or labels every branch's
    command. A clean group beside a failing one, or a group whose branches all
    carry labels, is then an even draw instead of a rare one. The plain mode
    comes first, where a group shrinks.
    """
    raise_levels = _RAISE_LEVELS if "raises" in features else _RAISE_LEVELS[:1]
    labellings = (False, True) if "labels" in features else (False,)
    return st.sampled_from(tuple(
        _branch_choices(features, raising, labelled) for labelled in labellings for raising in raise_levels
    ))  # fmt: skip


_ALL_FEATURES: Final = frozenset(FEATURES)


def _draw_branch(draw: st.DrawFn, choices: _BranchChoices) -> _BranchDraw:
    return choices.branch(draw(choices.answer_indexes), draw(choices.duration_indexes), draw(choices.rest))


@st.composite
def _branch_commands(draw: st.DrawFn, name: str, index: int) -> CommandSpec:
    return _branch(name, index, _draw_branch(draw, _branch_choices(_ALL_FEATURES)))


def branch_commands(name: str, index: int = 0) -> st.SearchStrategy[CommandSpec]:
    """One branch command named ``name`` (branch ``index`` of its group): its answer, duration, labels and effects."""
    return _branch_commands(name, index)


def _sequential(
    name: str, labels: tuple[str, ...], retry_until: int | None, limit: str | None = None
) -> CommandSpec:
    """A sequential stage that passes its input on, after asking for ``retry_until - 1`` retries if given.

    With ``limit`` it sets ``PIPELINE_PARALLEL_LIMIT`` when it runs, for the groups after it.
    """
    set_env = {} if limit is None else {"PIPELINE_PARALLEL_LIMIT": limit}
    if retry_until is None:
        return CommandSpec(name=name, labels=labels, set_env=set_env)
    return CommandSpec(name=name, labels=labels, retry=True, retry_until=retry_until, set_env=set_env)


@lru_cache(maxsize=None)
def _widths(max_branches: int) -> st.SearchStrategy[int]:
    """1 to 4 branches nine times in ten, otherwise 5 to ``max_branches``; one draw, which shrinks to 1.

    A lone branch shows no concurrency, so 2 to 4 come about three times as
    often as 1. The widths are listed in increasing order and drawn evenly
    (``sampled_from``), so a smaller choice is never a wider group and a
    failure shrinks one branch at a time.
    """
    narrow = min(4, max_branches)
    weights = {1: 12, **{width: (90 - 12) // (narrow - 1) for width in range(2, narrow + 1)}} if narrow > 1 else {1: 90}
    listed = [width for width, weight in weights.items() for _ in range(weight)]
    wide = range(narrow + 1, max_branches + 1)
    listed += [wide[index * len(wide) // 10] for index in range(10)] if wide else [narrow] * 10
    return st.sampled_from(tuple(listed))


@lru_cache(maxsize=None)
def _group_counts(max_groups: int) -> st.SearchStrategy[int]:
    """One group two times in ten, more (most often two) otherwise: a second group is where state carries over."""
    counts = (1, 1, *((2,) * 5), *((min(3, max_groups),) * 3)) if max_groups > 1 else (1,)
    return st.sampled_from(tuple(min(count, max_groups) for count in counts))


_TABLE_BITS: Final = 10


@lru_cache(maxsize=None)
def _feature_tables(emphasis: frozenset[str], quiet: frozenset[str]) -> tuple[st.SearchStrategy[frozenset[str]], ...]:
    """Which features one draw may use: each on for one draw in two, emphasized in seven in eight, quiet in one in four.

    A feature takes one bit (on when set), three when emphasized (on when
    any is set), or two when quiet (on when both are). The bits are drawn in tables
    of at most 2**10 combinations, each a ``sampled_from`` (drawn evenly under
    2,000 values) that shrinks to the empty set: the plain scenario.
    """
    fields = [(feature, 3 if feature in emphasis else 2 if feature in quiet else 1, feature in quiet) for feature in FEATURES]
    chunks: list[list[tuple[str, int, bool]]] = [[]]
    for field in fields:
        if sum(bits for _, bits, _ in chunks[-1]) + field[1] > _TABLE_BITS:
            chunks.append([])
        chunks[-1].append(field)

    def features(chunk: list[tuple[str, int, bool]], choice: int) -> frozenset[str]:
        on: set[str] = set()
        for feature, bits, both in chunk:
            set_bits = choice & ((1 << bits) - 1)
            choice >>= bits
            if set_bits == (1 << bits) - 1 if both else set_bits:
                on.add(feature)
        return frozenset(on)

    return tuple(
        st.sampled_from(tuple(features(chunk, choice) for choice in range(2 ** sum(bits for _, bits, _ in chunk))))
        for chunk in chunks
    )


def _draw_features(draw: st.DrawFn, emphasis: frozenset[str], quiet: frozenset[str]) -> frozenset[str]:
    return frozenset().union(*(draw(table) for table in _feature_tables(emphasis, quiet)))


def _draw_cap(draw: st.DrawFn, features: frozenset[str]) -> int | None:
    if "one-worker" in features:
        return draw(_ONE_WORKER_CAPS)
    return draw(_EXPLICIT_CAPS) if "caps" in features else None


@st.composite
def _scenarios(
    draw: st.DrawFn,
    max_groups: int,
    max_branches: int,
    name: str,
    carried_state: bool,
    emphasis: frozenset[str],
    quiet: frozenset[str],
) -> Scenario:
    features = _draw_features(draw, emphasis, quiet)
    group_choices = _group_choices(features)
    clean = _branch_choices(features, _RAISE_LEVELS[0])
    # The input first: draws made early vary most evenly across examples.
    value = draw(_STRUCTURED_INPUTS) if "structured-input" in features else INPUTS[0]
    kind = draw(_INPUT_KINDS)
    labelled = "labels" in features
    stages: list[str | tuple[str, ...]] = []
    commands: dict[str, CommandSpec] = {}
    widths = _widths(max_branches)
    sequential = "sequential-stages" in features
    count = draw(_group_counts(max_groups))
    for group in range(1, count + 1):
        if sequential and draw(_SEQUENTIAL_STAGE):
            before = f"s{group}"
            # Only a stage that follows a group asks for a retry: it re-runs that whole group.
            retry_until = draw(_SEQUENTIAL_RETRIES) if group > 1 else None
            limit = draw(_SET_LIMITS) if carried_state and group > 1 else None
            labels = draw(_LABEL_SETS) if labelled else ()
            commands[before] = _sequential(before, labels, retry_until, limit)
            stages.append(before)
        # Recovery: after groups that may fail, the last one answers cleanly (what a run leaves behind shows there).
        choices = draw(group_choices) if group < count or count == 1 or "recovery" not in features else clean
        width = draw(widths)
        # A retry fails its group's stage and ends the run: only the last group asks, so the others run out.
        retry = draw(_GROUP_RETRIES) if "group-retries" in features and group == count else None
        asking = draw(_askers(width)) if retry is not None else None
        branches = tuple(f"g{group}b{index}" for index in range(width))
        for index, branch in enumerate(branches):
            drawn = _draw_branch(draw, choices)
            commands[branch] = _branch(branch, index, drawn if index != asking else replace(drawn, answer=retry))
        stages.append(branches)
    if sequential and draw(_SEQUENTIAL_STAGE):
        commands["tail"] = _sequential("tail", draw(_LABEL_SETS) if labelled else (), draw(_SEQUENTIAL_RETRIES))
        stages.append("tail")
    env_limit = draw(_SET_ENV_LIMITS) if "environment" in features else None
    delay = draw(_PACED) if "pacing" in features else 0
    if kind == "source":
        commands[SOURCE_COMMAND] = CommandSpec(name=SOURCE_COMMAND, returns=value)
    return Scenario(
        name=name,
        description="drawn by harness.strategies.scenarios",
        input=None if kind == "source" else value,
        source=SOURCE_COMMAND if kind == "source" else None,
        input_replayable=kind != "fixed",
        runs=draw(_RUN_COUNTS) if carried_state else 1,
        input_descriptor=_descriptor(draw(_LABEL_SETS)) if labelled else None,
        stages=tuple(stages),
        parallel_cap=_draw_cap(draw, features),
        delay_ms=delay or None,
        env={} if env_limit is None else {"PIPELINE_PARALLEL_LIMIT": env_limit},
        deadline_ms=GENERATED_DEADLINE_MS,
        commands=commands,
        failing_effects={FAILING_EFFECT: "audit down for {input}"} if "effects" in features and draw(st.booleans()) else {},
    )


def scenarios(
    *,
    max_groups: int = 3,
    max_branches: int = 24,
    name: str = "generated",
    carried_state: bool = False,
    emphasis: Iterable[str] = (),
    quiet: Iterable[str] = (),
) -> st.SearchStrategy[Scenario]:
    """Scenarios of 1 to ``max_groups`` parallel groups of 1 to ``max_branches`` branches.

    Sequential stages may stand before each group and after the last one;
    they pass their input on, some carry labels, and those that follow a
    group may ask for one or two retries first, which re-run that group.
    ``carried_state`` adds repeated runs of one executor instance and
    limits set by a stage for the groups after it (see the module docstring).
    ``emphasis`` names :data:`FEATURES` to turn on in three draws in four
    and ``quiet`` those to turn on in one in four, instead of one in two
    (per-property strategies); an unknown or doubly named feature raises
    ``ValueError``.
    """
    stressed, muted = frozenset(emphasis), frozenset(quiet)
    unknown = (stressed | muted) - _ALL_FEATURES
    if unknown or stressed & muted:
        raise ValueError(
            f"scenarios(emphasis={sorted(stressed)}, quiet={sorted(muted)}): each must name distinct features of {FEATURES}"
        )
    return _scenario_strategy(max_groups, max_branches, name, carried_state, stressed, muted)


@lru_cache(maxsize=None)
def _scenario_strategy(
    max_groups: int, max_branches: int, name: str, carried_state: bool, emphasis: frozenset[str], quiet: frozenset[str]
) -> st.SearchStrategy[Scenario]:
    return _scenarios(max_groups, max_branches, name, carried_state, emphasis, quiet)
