"""Orphaned baselines: ``harness check`` names every baseline that pins no scenario and exits 1.

A baseline left behind when its scenario is deleted or renamed pins nothing
and would silently stop guarding its behaviour. The planted mistake is done
in a temporary corpus (``tmp_path``): a scenario renamed without its baseline,
and a scenario deleted with its baseline kept.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.check import orphaned_baselines
from harness.scenario.loader import discover_scenarios

from cli_support import run_cli

CORPUS = Path(__file__).resolve().parent.parent / "baselines"
PINNED = ("cap-two", "order-tied-durations")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A small corpus of two scenarios with their baselines, copied from the real one."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in PINNED:
        shutil.copy(CORPUS / f"{name}.toml", folder)
        shutil.copy(CORPUS / f"{name}.baseline.json", folder)
    return folder


def test_a_complete_corpus_has_no_orphans_and_passes(corpus: Path) -> None:
    code, out, err = run_cli("check", str(corpus))
    assert (code, err) == (0, "")
    assert out.strip().endswith("total: 2 passed, 0 failed")


def test_a_renamed_scenario_leaves_an_orphan_that_fails_the_check_in_one_line(corpus: Path) -> None:
    """Renaming ``cap-two.toml`` without its baseline: the old baseline is named, exit 1, the new one unpinned."""
    (corpus / "cap-two.toml").rename(corpus / "cap-two-renamed.toml")
    code, _out, err = run_cli("check", str(corpus))
    assert code == 1
    orphan_lines = [line for line in err.splitlines() if "orphaned baseline" in line]
    assert orphan_lines == [
        f"harness check: {corpus / 'cap-two.baseline.json'}: orphaned baseline, no scenario cap-two.toml "
        "or cap-two.json beside it (delete it or restore its scenario)"
    ]


def test_a_deleted_scenario_fails_even_when_every_scenario_passes(corpus: Path) -> None:
    (corpus / "order-tied-durations.toml").unlink()
    code, out, err = run_cli("check", str(corpus))
    assert code == 1
    assert "total: 1 passed, 0 failed" in out
    assert err.count("\n") == 1 and "order-tied-durations.baseline.json: orphaned baseline" in err


def test_the_json_report_lists_the_orphans(corpus: Path) -> None:
    (corpus / "order-tied-durations.toml").unlink()
    code, out, _err = run_cli("check", "--json", str(corpus))
    assert code == 1
    assert json.loads(out)["orphaned_baselines"] == [str(corpus / "order-tied-durations.baseline.json")]


def test_a_scenario_named_by_file_says_nothing_about_its_neighbours(corpus: Path) -> None:
    (corpus / "order-tied-durations.toml").unlink()
    code, _out, err = run_cli("check", str(corpus / "cap-two.toml"))
    assert (code, err) == (0, "")


def test_orphans_are_found_in_subfolders_but_not_under_snapshots(corpus: Path) -> None:
    nested = corpus / "nested"
    nested.mkdir()
    shutil.copy(corpus / "cap-two.baseline.json", nested / "gone.baseline.json")
    snapshots = corpus / "__snapshots__"
    snapshots.mkdir()
    shutil.copy(corpus / "cap-two.baseline.json", snapshots / "syrupy-owned.baseline.json")
    found = discover_scenarios([corpus])
    assert list(orphaned_baselines([corpus], found)) == [nested / "gone.baseline.json"]


def test_the_committed_corpus_has_no_orphans() -> None:
    """Every baseline under ``baselines/`` pins a scenario beside it."""
    assert orphaned_baselines([CORPUS], discover_scenarios([CORPUS])) == {}
