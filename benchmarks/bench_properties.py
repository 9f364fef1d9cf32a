"""Property throughput and draw distribution: examples per second on the ci profile, and what the draws reach.

Throughput: each property check of ``tests/properties/parallel_properties.py``
runs as a ``@given`` test on the scenarios it draws in the suite
(``property_scenarios``, with ``aim``'s targets) with the ci profile's
settings (200 derandomized examples, no database, no deadline) on the
extracted executor; one example is one drawn scenario, observed once and
checked. The figure is all examples over all their wall time
(``time.perf_counter``), generation and shrinking included.

Distribution: the same 200 derandomized draws, observed on the reference,
counted by what they reached: a successful parallel aggregate, a second
parallel group run, the stages after the last group, an accepted retry (a
stage execution that ended in a retry), a rejected retry in a group, a cap of
0 or below, and an input other than a plain ASCII string; and the
conjunctions faults hide in (``rare_observations``: siblings waiting at a
retry, branches held by the cap, starts held by the pacing gate, failures
finishing out of declaration order, and pacing at one worker).
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from harness.candidates import BUILTIN_IMPLEMENTATIONS, DEFAULT_CANDIDATE
from harness.observation import Observation, observe
from harness.scenario.model import Scenario
from harness.strategies import scenarios

from measure import Figure
from report import run_standalone

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests" / "properties"), str(ROOT / "tests")]

import parallel_properties as props  # noqa: E402  (the tests' folder is put on the path just above)

__all__ = ["CHECKS", "PARTS", "distribution", "examples_per_second", "run"]

NAME = "5 properties"
EXAMPLES = 200
QUICK_EXAMPLES = 30
TARGET_PER_S = 200.0
CANDIDATE = BUILTIN_IMPLEMENTATIONS[DEFAULT_CANDIDATE]
REFERENCE = BUILTIN_IMPLEMENTATIONS["reference"]
CHECKS: Mapping[str, Callable[[Scenario, Observation], None]] = props.PROPERTIES


def _ci_settings(examples: int) -> settings:
    return settings(
        max_examples=examples, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck)
    )


def examples_per_second(examples: int) -> tuple[float, int]:
    """All checks' examples over their wall time, and how many examples ran."""
    ran = 0
    elapsed = 0.0
    for name in CHECKS:
        calls: list[int] = []

        @_ci_settings(examples)
        @given(props.property_scenarios(name))
        def property_(scenario: Scenario) -> None:
            calls.append(1)
            observation = observe(scenario, CANDIDATE)
            props.aim(scenario, observation)
            CHECKS[name](scenario, observation)

        started = time.perf_counter()
        property_()
        elapsed += time.perf_counter() - started
        ran += len(calls)
    return ran / elapsed, ran


def distribution(examples: int) -> tuple[Counter[str], int]:
    """How many of ``examples`` derandomized draws reached each part, and the number of draws."""
    sample = props.drawn_sample(scenarios(), examples)
    return props.distribution(sample, REFERENCE), len(sample)


PARTS = (
    "an aggregate", "a second group run", "a sequential stage after a group", "completion", "an accepted retry",
    "a rejected retry", "a cap <= 0", "a structured or non-ASCII input", "a float answer", "an object answer",
    "pacing at one worker", "siblings waiting at a retry", "branches held by the cap", "starts held by the pacing gate",
    "failures finishing out of declaration order",
)


def run(quick: bool) -> list[Figure]:
    examples = QUICK_EXAMPLES if quick else EXAMPLES
    rate, ran = examples_per_second(examples)
    note = f"{len(CHECKS)} checks x {examples} derandomized examples on {CANDIDATE.name}, {ran} ran"
    figures = [
        Figure(benchmark=NAME, name="examples per second, ci profile", value=rate, unit="per_s",
               note=f"{note}; target >= {TARGET_PER_S:g} /s, the next figure"),
        Figure(benchmark=NAME, name="ms per example, ci profile", value=1000 / rate, unit="ms",
               target=1000 / TARGET_PER_S, note=note),
    ]
    counts, drawn = distribution(examples)
    figures += [
        Figure(benchmark=NAME, name=f"share of draws reaching {part}", value=counts[part] / drawn, unit="ratio",
               note=f"{counts[part]} of {drawn} derandomized draws, observed on the reference")
        for part in PARTS
    ]
    return figures


if __name__ == "__main__":
    sys.exit(run_standalone(run, NAME))
