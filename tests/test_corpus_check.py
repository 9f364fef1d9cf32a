"""``harness check`` as a test: every corpus scenario side by side and against its baseline.

Each scenario under ``baselines/`` runs on the frozen reference and on the
candidate through :func:`harness.check.check_scenario`, the function behind
``harness check``: the two observations must agree with each other and the
reference's with the pinned baseline. This module is the corpus selection of
the power measurement (``benchmarks/power.py``): a mutant of ``harness/pipeline``
that no test here kills is a mistake ``harness check`` would not catch.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.candidates import Implementation
from harness.check import check_scenario
from harness.report.text import describe_result
from harness.scenario.loader import discover_scenarios

CORPUS = Path(__file__).resolve().parent.parent / "baselines"
SCENARIOS = discover_scenarios([CORPUS]) if CORPUS.is_dir() else []


@pytest.mark.characterization
@pytest.mark.parametrize("path", SCENARIOS, ids=[path.stem for path in SCENARIOS])
def test_harness_check_passes_on_the_scenario(
    path: Path, harness_candidate: Implementation, harness_reference: Implementation
) -> None:
    """The scenario's reference and candidate observations agree, and the reference's matches its baseline."""
    result = check_scenario(path, harness_candidate, reference=harness_reference)
    assert result.status == "match", describe_result(result, candidate_name=harness_candidate.name)
