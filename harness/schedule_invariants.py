"""What a correct executor guarantees whatever the order of callbacks ready at the same instant.

:func:`schedule_independent` maps an observation to the part of it that must
not depend on how ties are broken, in the spec's terms:

- the outcome and the error (R2.4), except which of several calls raising
  at the instant an interrupt ends the run wins; the output with its type, text, data,
  labels, taint, sources, tools, capability and policy context (R6, R7);
  aggregate ``data`` is in declaration order with every marker in place, and
  each marker's content is fixed (R3.6, R4.1, R4.2);
- every stage entry: stage, attempt, outcome, error, output (R2, R5);
- the lifecycle events in order, with their durations (R9): stages run one
  after another, so ties never reorder them;
- the elapsed virtual time, and the start and end of every command call
  (R3.3, R3.5): time is never bent, only same-instant callbacks reorder.

The parts a correct executor may order differently are compared as multisets
or in a canonical order, each for the reason in :data:`SCHEDULE_DEPENDENT_PARTS`
(the README says the same). Nothing is left out entirely.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final

from harness.observation import Observation

__all__ = ["SCHEDULE_DEPENDENT_PARTS", "schedule_independent"]

SCHEDULE_DEPENDENT_PARTS: Final[Mapping[str, str]] = MappingProxyType({
    "latest_errors": (
        "a multiset: markers are appended as their branches complete (R4.3), "
        "and branches that finish at the same instant complete in tie order"
    ),
    "errors": (
        "the errors list of the output and of every stage entry: a multiset, for the same reason "
        "(the markers in `data` stay in place, so their positions are still pinned)"
    ),
    "effects": (
        "ordered by virtual time, then stage, then branch: effects of branches finishing at the same "
        "instant interleave in tie order, while one branch's effects keep their list order (R8.1, R8.5)"
    ),
    "timeline": (
        "a multiset of calls, each with its start and end, read in order of start time: calls that "
        "start at the same instant (a cap releasing several workers, equal durations) are recorded in tie order"
    ),
    "error": (
        "of a run interrupted at an instant when two or more calls raised: the one the tie order reaches "
        "first interrupts the run, so the error is compared as the set of those calls (the FIFO check, "
        "which compares everything as it is, still pins which one wins)"
    ),
})
"""Each part of an observation compared as a multiset or in a canonical order, and why."""


def schedule_independent(observation: Observation) -> Observation:
    """The observation with every schedule-dependent part in a canonical order (see the module doc)."""
    projected = dict(observation)
    projected["latest_errors"] = _multiset(observation["latest_errors"])
    if observation["output"] is not None:
        projected["output"] = _with_errors_as_multiset(observation["output"])
    projected["stages"] = [_with_errors_as_multiset(entry) for entry in observation["stages"]]
    # sorted() is stable: the effects of one branch at one instant keep their order.
    projected["effects"] = sorted(observation["effects"], key=_effect_place)
    projected["timeline"] = sorted(observation["timeline"], key=_call_place)
    if observation["outcome"] == "interrupted" and len(tied := _raised_at_the_end(observation)) > 1:
        projected["error"] = {"interrupted by one of": tied}
    return projected


def _raised_at_the_end(observation: Observation) -> list[str]:
    """The calls that raised at the instant the run ended, as ``stage/branch/command``, in a canonical order."""
    ended = observation["elapsed_ms"]
    return sorted(
        f"{call['stage']}/{call['branch']}/{call['command']}"
        for call in observation["timeline"]
        if call["result"] == "raise" and call["end_ms"] == ended
    )


def _with_errors_as_multiset(document: Mapping[str, Any]) -> dict[str, Any]:
    projected = dict(document)
    if isinstance(document.get("errors"), list):
        projected["errors"] = _multiset(document["errors"])
    return projected


def _multiset(items: Iterable[Any]) -> list[Any]:
    """The items in one canonical order, so two lists compare equal exactly when they hold the same items."""
    return sorted(items, key=_canonical)


def _canonical(item: object) -> str:
    return json.dumps(item, sort_keys=True, ensure_ascii=False)


def _call_place(call: Mapping[str, Any]) -> tuple[int, int, int, str]:
    # The full record breaks the remaining ties, so the order is canonical: a multiset, read in time order.
    branch = call["branch"]
    return (call["start_ms"], call["stage"], -1 if branch is None else branch, _canonical(call))


def _effect_place(effect: Mapping[str, Any]) -> tuple[int, int, int]:
    branch = effect["branch"]
    return (effect["at_ms"], effect["stage"], -1 if branch is None else branch)
