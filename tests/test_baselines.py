"""The pinned corpus: every scenario under ``baselines/`` observed on the candidate equals its baseline.

``pytest --snapshot-update`` rewrites the baselines through the same syrupy
extension and serializer that ``harness record`` uses; syrupy reports
baselines no scenario uses any more.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.baselines import BASELINE_SUFFIX
from harness.candidates import Implementation
from harness.observation import observe
from harness.scenario.loader import discover_scenarios, load_scenario

CORPUS = Path(__file__).resolve().parent.parent / "baselines"
SCENARIOS = discover_scenarios([CORPUS]) if CORPUS.is_dir() else []


def test_the_corpus_is_large_enough_to_mean_something() -> None:
    """The corpus pins at least 40 scenarios; a corpus that silently emptied would pass every other test."""
    assert len(SCENARIOS) >= 40


def test_every_baseline_pins_a_scenario_of_the_corpus() -> None:
    """A baseline whose scenario was deleted or renamed is reported, not silently kept."""
    scenario_names = {path.stem for path in SCENARIOS}
    orphans = sorted(
        path.name for path in CORPUS.glob(f"*{BASELINE_SUFFIX}") if path.name.removesuffix(BASELINE_SUFFIX) not in scenario_names
    )
    assert orphans == [], f"unused baselines (delete them or restore their scenarios): {orphans}"


@pytest.mark.characterization
@pytest.mark.parametrize("path", SCENARIOS, ids=[path.stem for path in SCENARIOS])
def test_candidate_matches_the_pinned_baseline(
    path: Path, harness_candidate: Implementation, baseline_snapshot: Any
) -> None:
    """The candidate's observation of each corpus scenario is byte-identical to its baseline."""
    scenario = load_scenario(path)
    assert observe(scenario, harness_candidate) == baseline_snapshot(scenario)
