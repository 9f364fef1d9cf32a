"""``benchmarks/power.py``: the scratch project's mutmut settings, survivor keys and the report.

The mutation runs themselves belong to the nightly job (``tox -e power``);
these tests pin what the script hands mutmut and how it reads the answers.
The planted mistake: a ``pyproject.toml`` whose old ``[tool.mutmut]`` table
survived the rewrite would be a duplicate table, which tomllib rejects, so the
rewrite test fails on it.
"""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def power() -> ModuleType:
    sys.path.insert(0, str(ROOT / "benchmarks"))  # it imports its sibling verdicts.py
    spec = importlib.util.spec_from_file_location("power", ROOT / "benchmarks" / "power.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("power", module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _rewritten(power: ModuleType, selection: str) -> dict[str, object]:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    document = tomllib.loads(power._without_mutmut_table(text) + "\n" + power.mutmut_table(selection, [power.AREA]))
    return document["tool"]["mutmut"]


def test_the_corpus_selection_mutates_the_whole_area_under_the_corpus_test_alone(power: ModuleType) -> None:
    table = _rewritten(power, "corpus")
    assert table["only_mutate"] == ["harness/pipeline/*"]
    assert table["pytest_add_cli_args_test_selection"] == ["tests/test_corpus_check.py"]
    assert "baselines/" in table["also_copy"]


def test_the_suite_selection_is_the_suite_without_the_listed_exclusions(power: ModuleType) -> None:
    selection = _rewritten(power, "suite")["pytest_add_cli_args_test_selection"]
    assert selection[0] == "tests/"
    assert selection[1:] == [f"--ignore={path}" for path in power.SUITE_EXCLUDED]
    assert "tests/test_corpus_check.py" not in power.SUITE_EXCLUDED
    assert all((ROOT / path).exists() for path in power.SUITE_EXCLUDED)


def test_the_suite_runs_its_properties_on_a_fixed_seed_without_the_example_database(power: ModuleType) -> None:
    """A failure saved by one mutant's run must not be replayed as the next mutant's kill."""
    assert "--hypothesis-seed=0" in _rewritten(power, "suite")["pytest_add_cli_args"]
    assert _rewritten(power, "corpus")["pytest_add_cli_args"] == ["-p", "no:randomly", "-p", "no:xdist"]


def test_the_rewrite_keeps_the_other_tables(power: ModuleType) -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    kept = tomllib.loads(power._without_mutmut_table(text))
    assert "mutmut" not in kept.get("tool", {})
    assert kept["tool"]["harness"]["gate"] == tomllib.loads(text)["tool"]["harness"]["gate"]


DIFF = """--- harness/pipeline/markers.py
+++ harness/pipeline/markers.py
@@ -12,7 +12,7 @@
-            message = message.split(" at line ", 1)[0]
+            message = message.rsplit(" at line ", 1)[0]
"""


def test_a_survivor_key_ignores_line_numbers_and_the_mutant_number(power: ModuleType) -> None:
    moved = DIFF.replace("@@ -12,7 +12,7 @@", "@@ -40,7 +40,7 @@")
    key = power.survivor_key("harness.pipeline.markers.x_format_error__mutmut_14", DIFF)
    assert key == power.survivor_key("harness.pipeline.markers.x_format_error__mutmut_3", moved)
    assert key.startswith("harness.pipeline.markers.x_format_error:")
    changed = DIFF.replace('rsplit(" at line ", 1)', 'rsplit(" at line ", 2)')
    assert power.survivor_key("harness.pipeline.markers.x_format_error__mutmut_14", changed) != key


def test_the_report_gives_both_scores_and_names_unexplained_survivors(power: ModuleType) -> None:
    explained = power.Survivor("m.f__mutmut_1", "m.f:aaa", DIFF, "equivalent: why")
    unexplained = power.Survivor("m.f__mutmut_2", "m.f:bbb", DIFF, None)
    corpus = power.SelectionResult("corpus", {"killed": 9, "survived": 1, "no tests": 3}, (unexplained,), 12.0)
    suite = power.SelectionResult("suite", {"killed": 9, "timeout": 1, "survived": 1}, (explained,), 30.0)
    text = power.report([corpus, suite], "python3 benchmarks/power.py")
    assert "corpus score: 9/10 = 90.0%" in text
    assert "suite score: 10/11 = 90.9%" in text
    assert "- `m.f:bbb` (m.f__mutmut_2): UNEXPLAINED" in text
    assert "- `m.f:aaa` (m.f__mutmut_1): equivalent: why" in text


def test_every_committed_verdict_says_equivalent_or_names_what_kills_it(power: ModuleType) -> None:
    verdicts = power.load_verdicts()
    assert verdicts, "benchmarks/power_verdicts/ has no verdicts"
    for key, verdict in verdicts.items():
        assert ":" in key and verdict.split(":", 1)[0] in {"equivalent", "killed by", "unreachable"}, (key, verdict)


def test_the_suite_tests_only_what_the_corpus_left_alive_and_the_suite_has_not_killed(power: ModuleType) -> None:
    corpus = {"m.f__mutmut_1": "killed", "m.f__mutmut_2": "survived", "m.f__mutmut_3": "no tests",
              "m.f__mutmut_4": "timeout", "m.f__mutmut_5": "survived", "m.f__mutmut_6": "skipped"}
    cached = {"m.f__mutmut_5": "killed", "m.f__mutmut_2": "survived"}
    assert power.suite_names(corpus, cached) == ["m.f__mutmut_2", "m.f__mutmut_3"]


def test_the_suite_keeps_the_corpus_verdict_where_the_corpus_detected_the_mutant(power: ModuleType) -> None:
    # The suite copy never ran mutant 1 (the corpus killed it), so mutmut calls it "not checked" there;
    # taking that over the corpus's verdict would count a killed mutant as untested.
    corpus = {"m.f__mutmut_1": "killed", "m.f__mutmut_2": "survived", "m.f__mutmut_3": "no tests"}
    suite = {"m.f__mutmut_1": "not checked", "m.f__mutmut_2": "killed", "m.f__mutmut_3": "survived"}
    assert power.suite_statuses(corpus, suite) == {
        "m.f__mutmut_1": "killed", "m.f__mutmut_2": "killed", "m.f__mutmut_3": "survived",
    }


def test_a_verdict_that_matches_no_survivor_is_a_leftover(power: ModuleType) -> None:
    """Planted mistake, tried in a temporary copy: comparing names instead of keys leaves both reported."""
    survivor = power.Survivor("m.f__mutmut_2", "m.f:bbb", DIFF, "equivalent: why")
    verdicts = {"m.f:aaa": "unreachable: killed since", "m.f:bbb": "equivalent: why", "m.g:ccc": "killed by x"}
    assert power.leftover_verdicts(verdicts, [survivor]) == ("m.f:aaa", "m.g:ccc")
    corpus = power.SelectionResult("corpus", {"killed": 9, "survived": 1}, (survivor,), 12.0, leftovers=("m.f:aaa",))
    assert "## Leftover verdicts, matching no survivor (1)\n\n- `m.f:aaa`" in power.report([corpus], "power")


def test_every_unreachable_verdict_names_the_scenario_keys_it_considered(power: ModuleType) -> None:
    """A key added later must show which verdicts to re-read (a verdict without the list, tried in a copy, fails)."""
    unnamed = [
        key for key, verdict in power.load_verdicts().items()
        if verdict.startswith("unreachable:") and "Keys considered: " not in verdict
    ]
    assert unnamed == []
