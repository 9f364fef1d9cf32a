"""The side-by-side check and the recording of baselines.

:func:`check_scenario` runs one scenario on the reference and on a candidate,
compares the two observations with each other and the reference with the
pinned baseline, and says ``match`` only when all three agree. A run that
does not finish by its deadline is compared too: the candidate runs even when
the reference did not finish; both unfinished with the same message is a
match, and one finished while the other did not is a mismatch that says so. With
``repeat`` each implementation runs several times and any difference between
repeats is a failure of its own. A scenario with a ``schedule`` (a repro file
copied into the corpus) runs the candidate under exactly that order of
same-instant ties and compares its schedule-independent observation with the
reference's under FIFO, so a race it pins fails the plain check for good.
:func:`record_scenario` writes the reference observation (under FIFO) as the
scenario's baseline. A bad scenario or baseline file is a
result (``invalid``), never an exception, so one bad file does not stop the rest.

Two scenario files in one folder that differ only in their suffix
(``a.toml`` and ``a.json``) would be pinned by the same baseline and silently
overwrite each other's. :func:`baseline_collisions` finds them in a corpus;
given its answer, :func:`check_scenario` and :func:`record_scenario` report
each of them as ``invalid`` and touch no baseline.

A baseline with no scenario beside it pins nothing: :func:`orphaned_baselines`
lists them under the checked folders, so that a deleted or renamed scenario
is noticed (as syrupy reports unused snapshots).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final, Literal, cast, final

from harness.baselines import BASELINE_SUFFIX, baseline_path, load_baseline, serialize_baseline, write_atomic
from harness.candidates import BUILTIN_IMPLEMENTATIONS, Implementation
from harness.crash import ImplementationCrash
from harness.compare import Difference, diff_observations, format_differences
from harness.errors import CandidateError, InvalidInputError
from harness.observation import DeadlineExceeded, Observation, canonical_json, observe
from harness.scenario.loader import load_scenario
from harness.scenario.model import Scenario
from harness.schedule_invariants import schedule_independent
from harness.scheduling import TieOrder

__all__ = [
    "CheckStatus",
    "RecordResult",
    "ScenarioResult",
    "baseline_collisions",
    "check_against_references",
    "check_scenario",
    "orphaned_baselines",
    "record_scenario",
]


CheckStatus = Literal["match", "mismatch", "unpinned", "invalid", "unfinished", "nondeterministic", "crashed"]
_NO_COLLISIONS: Final[Mapping[Path, str]] = MappingProxyType({})


@final
@dataclass(frozen=True, slots=True)
class ScenarioResult:
    """What the check found for one scenario file."""

    path: str
    name: str
    status: CheckStatus
    message: str | None = None
    candidate_differences: tuple[Difference, ...] = ()
    baseline_differences: tuple[Difference, ...] = ()
    reference: Observation | None = None
    candidate: Observation | None = None

    @property
    def passed(self) -> bool:
        return self.status == "match"


def _repeat_difference(runs: Sequence[Observation]) -> str | None:
    first = canonical_json(runs[0])
    for number, run in enumerate(runs[1:], start=2):
        if canonical_json(run) != first:
            differences = diff_observations(runs[0], run)
            return f"run {number} differs from run 1:\n{format_differences(differences)}"
    return None


def baseline_collisions(paths: Sequence[Path | str]) -> dict[Path, str]:
    """The scenario files among ``paths`` that share a baseline with another one.

    Maps each such file, as given, to a one-line message naming the baseline
    and the other files; pass the result as ``collisions`` to
    :func:`check_scenario` and :func:`record_scenario`. The same file named
    twice (``a.toml`` and ``./x/../a.toml``) is not a collision.
    """
    sharing: dict[Path, dict[Path, Path]] = {}
    for given in paths:
        path = Path(given)
        sharing.setdefault(baseline_path(path).resolve(), {}).setdefault(path.resolve(), path)
    collisions: dict[Path, str] = {}
    for files in sharing.values():
        if len(files) < 2:
            continue
        shown = list(files.values())
        for path in shown:
            others = " and ".join(str(other) for other in shown if other is not path)
            collisions[path] = (
                f"{path}: shares its baseline {baseline_path(path)} with {others} (rename one of them)"
            )
    return collisions


def orphaned_baselines(paths: Sequence[Path | str], scenarios: Sequence[Path | str]) -> dict[Path, str]:
    """The baselines under the folders among ``paths`` that pin none of ``scenarios``.

    Maps each such ``*.baseline.json`` file to a one-line message naming it.
    Only folders are searched (a scenario file given by name says nothing
    about its neighbours), and files under ``__snapshots__`` are left alone,
    as scenario discovery leaves them.
    """
    pinned = {baseline_path(scenario).resolve() for scenario in scenarios}
    orphans: dict[Path, str] = {}
    for given in paths:
        folder = Path(given)
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob(f"*{BASELINE_SUFFIX}")):
            if "__snapshots__" in path.relative_to(folder).parts or path.resolve() in pinned:
                continue
            stem = path.name.removesuffix(BASELINE_SUFFIX)
            orphans.setdefault(
                path, f"{path}: orphaned baseline, no scenario {stem}.toml or {stem}.json beside it (delete it or restore its scenario)"
            )
    return orphans


def check_scenario(
    path: Path | str,
    candidate: Implementation,
    *,
    repeat: int = 1,
    collisions: Mapping[Path, str] = _NO_COLLISIONS,
    reference: Implementation | None = None,
) -> ScenarioResult:
    """Check one scenario file: candidate against reference, reference against its baseline.

    A file listed in ``collisions`` (see :func:`baseline_collisions`) is not run.
    ``reference`` is the frozen snapshot unless another one is given
    (``--reference REV``, or a new snapshot being frozen).
    """
    if reference is None:
        reference = BUILTIN_IMPLEMENTATIONS["reference"]
    shown = str(path)
    collision = collisions.get(Path(path))
    if collision is not None:
        return ScenarioResult(shown, Path(path).stem, "invalid", collision)
    try:
        scenario = load_scenario(path)
    except InvalidInputError as exc:
        return ScenarioResult(shown, Path(path).stem, "invalid", str(exc))
    try:
        reference_runs = [_observe_or_unfinished(scenario, reference) for _ in range(repeat)]
        candidate_runs = [_observe_or_unfinished(scenario, candidate, scenario.schedule) for _ in range(repeat)]
    except CandidateError as exc:
        return ScenarioResult(shown, scenario.name, "invalid", str(exc))
    except ImplementationCrash as exc:  # a crash, not a diff: who, what, where
        return ScenarioResult(shown, scenario.name, "crashed", str(exc))
    unfinished = _unfinished_result(shown, scenario.name, candidate.name, reference_runs[0], candidate_runs[0])
    if unfinished is not None:
        return unfinished
    reference_observation, observed = cast("Observation", reference_runs[0]), cast("Observation", candidate_runs[0])
    reference_runs = [run for run in reference_runs if not isinstance(run, DeadlineExceeded)]
    candidate_runs = [run for run in candidate_runs if not isinstance(run, DeadlineExceeded)]
    for label, runs in ((reference.name, reference_runs), (candidate.name, candidate_runs)):
        unstable = _repeat_difference(runs)
        if unstable is not None:
            return ScenarioResult(
                shown,
                scenario.name,
                "nondeterministic",
                f"{label}: {unstable}",
                reference=reference_observation,
                candidate=observed,
            )
    candidate_differences = _candidate_differences(scenario, reference_observation, observed)
    pinned = baseline_path(path)
    if not pinned.exists():
        status: CheckStatus = "mismatch" if candidate_differences else "unpinned"
        return ScenarioResult(
            shown,
            scenario.name,
            status,
            f"no baseline at {pinned} (run `harness record {shown}`)",
            candidate_differences,
            reference=reference_observation,
            candidate=observed,
        )
    try:
        baseline = load_baseline(pinned)
    except InvalidInputError as exc:
        return ScenarioResult(shown, scenario.name, "invalid", str(exc))
    baseline_differences = tuple(diff_observations(baseline, reference_observation))
    status = "match" if not candidate_differences and not baseline_differences else "mismatch"
    return ScenarioResult(
        shown, scenario.name, status, None, candidate_differences, baseline_differences, reference_observation, observed
    )


def check_against_references(
    path: Path | str,
    candidate: Implementation,
    references: Sequence[Implementation],
    *,
    repeat: int = 1,
    collisions: Mapping[Path, str] = _NO_COLLISIONS,
) -> ScenarioResult:
    """:func:`check_scenario` against each reference in turn: the first failure, else the first result.

    Every reference is compared with the candidate and with the pinned
    baseline, so several frozen "befores" (one per phase) each hold the
    candidate to the same corpus. A scenario without a baseline goes on to
    the next reference, which may still disagree with the candidate.
    """
    first: ScenarioResult | None = None
    for reference in references:
        result = check_scenario(path, candidate, repeat=repeat, collisions=collisions, reference=reference)
        if result.status not in ("match", "unpinned"):
            return result
        first = first or result
    if first is None:
        raise ValueError("check_against_references needs at least one reference")
    return first


def _observe_or_unfinished(
    scenario: Scenario, implementation: Implementation, schedule: tuple[int, ...] = ()
) -> Observation | DeadlineExceeded:
    try:
        return observe(scenario, implementation, ties=TieOrder(schedule) if schedule else None)
    except DeadlineExceeded as exc:
        return exc


def _candidate_differences(
    scenario: Scenario, reference: Observation, candidate: Observation
) -> tuple[Difference, ...]:
    """How the candidate differs from the reference; under a pinned schedule, in the schedule-independent parts."""
    if not scenario.schedule:
        return tuple(diff_observations(reference, candidate))
    return tuple(diff_observations(schedule_independent(reference), schedule_independent(candidate)))


def _unfinished_result(
    shown: str,
    name: str,
    candidate_name: str,
    reference: Observation | DeadlineExceeded,
    candidate: Observation | DeadlineExceeded,
) -> ScenarioResult | None:
    """The result when either run did not finish, or ``None`` when both finished."""
    if isinstance(reference, DeadlineExceeded) and isinstance(candidate, DeadlineExceeded):
        if str(reference) == str(candidate):
            return ScenarioResult(shown, name, "match", f"neither finished: {reference}")
        return ScenarioResult(
            shown, name, "mismatch", f"neither finished, differently:\nreference: {reference}\n{candidate_name}: {candidate}"
        )
    if isinstance(reference, DeadlineExceeded):
        return ScenarioResult(
            shown, name, "mismatch", f"reference did not finish but {candidate_name} did: {reference}",
            candidate=cast("Observation", candidate),
        )
    if isinstance(candidate, DeadlineExceeded):
        return ScenarioResult(
            shown, name, "mismatch", f"{candidate_name} did not finish but the reference did: {candidate}",
            reference=reference,
        )
    return None


RecordStatus = Literal["created", "updated", "unchanged", "invalid", "unfinished"]


@final
@dataclass(frozen=True, slots=True)
class RecordResult:
    """What recording one scenario's baseline did."""

    path: str
    baseline: str
    status: RecordStatus
    message: str | None = None
    differences: tuple[Difference, ...] = ()


def record_scenario(
    path: Path | str, *, replace_invalid: bool = False, collisions: Mapping[Path, str] = _NO_COLLISIONS
) -> RecordResult:
    """Write the reference observation of a scenario as its baseline, if it changed.

    An existing baseline that cannot be read is left alone (reported as
    ``invalid``) unless ``replace_invalid``: it may hold a merge a person
    still has to resolve. A file listed in ``collisions`` is not recorded, and
    a baseline that cannot be written is reported as ``invalid``.
    """
    shown, pinned = str(path), baseline_path(path)
    collision = collisions.get(Path(path))
    if collision is not None:
        return RecordResult(shown, str(pinned), "invalid", collision)
    try:
        scenario = load_scenario(path)
        observation = observe(scenario, BUILTIN_IMPLEMENTATIONS["reference"])
    except InvalidInputError as exc:
        return RecordResult(shown, str(pinned), "invalid", str(exc))
    except DeadlineExceeded as exc:
        return RecordResult(shown, str(pinned), "unfinished", str(exc))
    text = serialize_baseline(observation)
    try:
        current = pinned.read_bytes()
    except FileNotFoundError:
        return _write_baseline(shown, pinned, text, "created")
    except OSError:
        current = None  # load_baseline below says why it cannot be read
    if current == text.encode("utf-8"):
        return RecordResult(shown, str(pinned), "unchanged")
    message: str | None = None
    try:
        differences = tuple(diff_observations(load_baseline(pinned), observation))
    except InvalidInputError as exc:
        if not replace_invalid:
            # The schema-version message already says how to replace the file.
            fix = "" if "--force" in exc.problem else " (fix or delete it, or pass --force)"
            return RecordResult(shown, str(pinned), "invalid", f"{exc}{fix}")
        differences, message = (), f"replaced an unreadable baseline: {exc}"
    return _write_baseline(shown, pinned, text, "updated", message, differences)


def _write_baseline(
    shown: str,
    pinned: Path,
    text: str,
    status: RecordStatus,
    message: str | None = None,
    differences: tuple[Difference, ...] = (),
) -> RecordResult:
    try:
        write_atomic(pinned, text)
    except OSError as exc:
        return RecordResult(shown, str(pinned), "invalid", f"{pinned}: cannot be written: {exc.strerror or exc}")
    return RecordResult(shown, str(pinned), status, message, differences)
