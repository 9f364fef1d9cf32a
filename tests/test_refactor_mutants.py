"""``benchmarks/refactor_mutants.py`` and ``refactor_power.py``: each operator's mutant, and how the runner classifies.

Each operator is run alone on a small source and must make exactly the
mistake it names (and no mutant where it must not: two independent
statements commute, so their swap is never made). The runner's tests apply a
mutant's diff to a copy of ``harness/`` with two corpus scenarios and run the
check there: a mutant that does not import is counted apart, never as a kill;
a realistic mistake is killed; a change no input can see survives. The
planted mistake for the runner's classification: a runner that took any
non-zero exit for a kill would count the non-importing mutant as killed, and
``test_a_mutant_that_does_not_import_is_counted_apart`` fails on it.
"""

from __future__ import annotations

import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from planting import copy_project

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

libcst = pytest.importorskip("libcst", reason="libcst is in the test extra: pip install -e '.[test]'")

import refactor_mutants as generator  # noqa: E402
import refactor_power as runner  # noqa: E402
from verdicts import load_verdicts, stale_verdicts, verdict_kind  # noqa: E402

FIXTURE = textwrap.dedent(
    '''\
    def emit(events, name, *, final=False):
        events.append((name, final))


    async def run(events, work, raw):
        """Announce, work, announce."""
        normalized = raw.strip()
        count = 0
        total = 1
        emit(events, "start")
        result = await work(normalized)
        events.clear()
        if not result:
            return None
        emit(events, "done", final=True)
        return result + normalized
    '''
)


def only(operator: str, source: str = FIXTURE) -> list[generator.Mutant]:
    defaults = generator.keyword_defaults([source])
    return generator.mutants("fixture.py", source, defaults, [operator])


def changed(mutant: generator.Mutant) -> list[str]:
    return [
        line for line in mutant.diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_swap_statements_swaps_dependent_neighbours_only() -> None:
    """``count = 0`` and ``total = 1`` share no name: their swap is equivalent and never made."""
    mutants = only("swap-statements")
    swapped = [[line.strip() for line in changed(m)] for m in mutants]
    assert ["-if not result:", "-return None", "+if not result:", "+return None"] not in swapped
    assert all("total = 1" not in " ".join(lines) or "count = 0" not in " ".join(lines) for lines in swapped)
    # the emit and the return that follows it: the emit becomes dead code
    assert any(
        m.function == "run" and "return result + normalized" in m.source.split('emit(events, "done", final=True)')[0]
        for m in mutants
    )


def test_move_across_await_moves_a_statement_past_the_nearest_await() -> None:
    mutants = only("move-across-await")
    sources = [m.source for m in mutants]
    announced_after = FIXTURE.replace(
        '    emit(events, "start")\n    result = await work(normalized)\n',
        '    result = await work(normalized)\n    emit(events, "start")\n',
    )
    reset_before = FIXTURE.replace(
        "    result = await work(normalized)\n    events.clear()\n",
        "    events.clear()\n    result = await work(normalized)\n",
    )
    assert announced_after in sources
    assert reset_before in sources
    assert all(m.operator == "move-across-await" and m.function == "run" for m in mutants)


def test_delete_call_deletes_a_bare_call_and_keeps_a_block_valid() -> None:
    mutants = only("delete-call")
    assert FIXTURE.replace("    events.clear()\n", "") in [m.source for m in mutants]
    emptied = [m for m in mutants if m.function == "emit"]
    assert len(emptied) == 1 and "    pass\n" in emptied[0].source


def test_swap_local_uses_the_raw_value_where_the_normalized_one_was_meant() -> None:
    mutants = only("swap-local")
    sources = [m.source for m in mutants]
    assert FIXTURE.replace("await work(normalized)", "await work(raw)") in sources
    assert FIXTURE.replace("return result + normalized", "return result + raw") in sources
    # never a name before the local it would read is bound, nor an attribute's receiver
    assert FIXTURE.replace("normalized = raw.strip()", "normalized = normalized.strip()") not in sources
    assert all(m.line > 7 for m in mutants)


def test_drop_default_kwarg_drops_a_keyword_the_callee_defaults() -> None:
    (mutant,) = only("drop-default-kwarg")
    assert mutant.source == FIXTURE.replace('emit(events, "done", final=True)', 'emit(events, "done")')


def test_drop_default_kwarg_needs_every_definition_of_the_name_to_default_it() -> None:
    source = FIXTURE + "\n\nclass Other:\n    def emit(self, events, name, final):\n        pass\n"
    assert only("drop-default-kwarg", source) == []


def test_swap_early_return_negates_an_early_return_and_swaps_an_else() -> None:
    (negated,) = only("swap-early-return")
    assert negated.source == FIXTURE.replace("    if not result:\n", "    if not (not result):\n")
    with_else = "def pick(flag):\n    if flag:\n        return 1\n    else:\n        x = 2\n    return x\n"
    (swapped,) = only("swap-early-return", with_else)
    assert swapped.source == "def pick(flag):\n    if flag:\n        x = 2\n    else:\n        return 1\n    return x\n"


def test_every_mutant_is_a_diff_that_parses_and_has_a_stable_key() -> None:
    mutants = generator.mutants("fixture.py", FIXTURE, generator.keyword_defaults([FIXTURE]))
    assert {m.operator for m in mutants} == set(generator.OPERATORS)
    assert len({m.key for m in mutants}) == len(mutants)
    assert len({m.source for m in mutants}) == len(mutants)
    for mutant in mutants:
        compile(mutant.source, "fixture.py", "exec")
        assert mutant.diff.startswith("--- a/fixture.py\n+++ b/fixture.py\n")
    moved = generator.mutants("fixture.py", "\n\n" + FIXTURE, generator.keyword_defaults([FIXTURE]))
    assert [m.key for m in moved] == [m.key for m in mutants]


# --- the runner -------------------------------------------------------------------------------


SCENARIOS = ["order-varied-durations", "cap-two"]
CACHE = "harness/pipeline/cache.py"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project", SCENARIOS)


def mutant_of(source: str, after: str, operator: str = "delete-call") -> generator.Mutant:
    return generator.Mutant(CACHE, "f", operator, 1, generator.unified_diff(CACHE, source, after), after)


def test_a_mutant_that_does_not_import_is_counted_apart(copy: Path) -> None:
    """An import error makes the check exit non-zero, but it is no kill: the runner says ``no-import``."""
    source = (ROOT / CACHE).read_text(encoding="utf-8")
    broken = mutant_of(source, source + "\nimport harness.no_such_module\n")
    outcome = runner.test_mutant(copy, broken, timeout=120)
    assert outcome.status == "no-import", outcome.detail
    assert (copy / CACHE).read_text(encoding="utf-8") == source  # the copy is clean again
    tally = runner.Tally.of([outcome], {})
    assert (tally.imported, tally.detected) == (0, 0)


def test_a_realistic_mistake_is_killed_and_a_comment_survives(copy: Path) -> None:
    source = (ROOT / CACHE).read_text(encoding="utf-8")
    # the cache hands back the index where the cached value was meant
    (mistake,) = [m for m in generator.mutants(CACHE, source, {}) if "+        return index\n" in m.diff]
    assert runner.test_mutant(copy, mistake, timeout=120).status == "killed", mistake.diff
    harmless = mutant_of(source, source + "\n# a comment\n")
    assert runner.test_mutant(copy, harmless, timeout=120).status == "survived"
    unparsable = replace(harmless, source=source + "\ndef (\n")
    assert runner.test_mutant(copy, unparsable, timeout=120).status == "unparsable"


def test_the_score_discounts_equivalent_survivors_and_reports_stale_verdicts() -> None:
    made = [mutant_of("a\n", f"b{index}\n") for index in range(4)]
    outcomes = [
        runner.Outcome(made[0], "killed"),
        runner.Outcome(made[1], "timeout"),
        runner.Outcome(made[2], "survived"),
        runner.Outcome(made[3], "survived"),
    ]
    verdicts = {made[2].key: "equivalent: the two lines are never read", "gone:f:0": "unreachable: no scenario"}
    tally = runner.Tally.of(outcomes, verdicts)
    assert (tally.detected, tally.imported, tally.equivalent) == (2, 4, 1)
    assert f"{tally.score:.1f} {tally.raw:.1f}" == "66.7 50.0"
    assert stale_verdicts(verdicts, [made[2].key, made[3].key]) == ["gone:f:0"]
    assert verdict_kind("Equivalent: why") == "equivalent" and verdict_kind("maybe") is None


def test_every_committed_verdict_names_its_kind() -> None:
    for key, verdict in load_verdicts(runner.VERDICTS).items():
        assert verdict_kind(verdict) is not None, key
        assert len(verdict.partition(":")[2].strip()) > 20, key


def test_the_cache_keeps_a_kill_while_the_corpus_only_grows_and_retests_a_survivor() -> None:
    """A new scenario cannot revive a killed mutant, but may kill a survivor; a changed scenario may do either."""
    cache = runner.Cache({}, {})
    before = {"a.toml": "1", "a.baseline.json": "2"}
    cache.record("killed", "killed", "c1", before)
    cache.record("alive", "survived", "c1", before)
    grown = {**before, "b.toml": "3"}
    assert (cache.status("killed", "c2", grown), cache.status("alive", "c2", grown)) == ("killed", None)
    changed = {**grown, "a.baseline.json": "4"}
    assert cache.status("killed", "c3", changed) is None
    assert (cache.status("killed", "c1", before), cache.status("alive", "c1", before)) == ("killed", "survived")
    assert cache.status("never", "c1", before) is None


def test_a_check_the_mutant_breaks_is_detected_in_its_own_column(copy: Path) -> None:
    """A run that returns its text instead of its value: the check cannot read it (exit 2), which is detected.

    The planted mistake: a runner that took exit 2 for an error of its own
    would leave this mutant out of the score, and the status would be ``error``.
    """
    module = "harness/pipeline/execution_loop_runner.py"
    source = (ROOT / module).read_text(encoding="utf-8")
    after = source.replace("            return final_value\n", "            return final_value.text\n")
    assert after != source
    mutant = generator.Mutant(module, "ExecutionLoopRunner._finish", "swap-local", 1, generator.unified_diff(module, source, after), after)
    outcome = runner.test_mutant(copy, mutant, timeout=120)
    assert outcome.status == "check-error", outcome.detail
    tally = runner.Tally.of([outcome], {})
    assert (tally.detected, tally.check_errors, tally.imported) == (1, 1, 1)


def test_a_mutant_that_exhausts_memory_is_detected_not_a_lost_measurement(copy: Path) -> None:
    """A check that runs out of memory on what the mutant built fails, and the runner counts it detected.

    The executor's ``MemoryError`` is a crash of the candidate (``CRASHED``,
    exit 1); one in the harness's own code, serializing what the candidate
    built, is a check error. Without the runner's address-space limit the
    system's out-of-memory killer ended such checks with SIGKILL, which the
    runner can only call ``error`` (not measured, the run fails). Removing
    the ``setrlimit`` line of ``RUNNER`` in a temporary copy makes this test
    fail: the mutant's untouched pages cost nothing then, and it survives.
    """
    source = (ROOT / CACHE).read_text(encoding="utf-8")
    anchor = "    def set(self, index: int, value: StructuredValue) -> None:\n"
    assert anchor in source
    # every stored value keeps 1 GiB more mapped: the fifth passes the limit
    hog = anchor + "        _KEPT.append(bytearray(1024**3))\n"
    greedy = mutant_of(source, source.replace(anchor, hog, 1) + "\n_KEPT: list[bytearray] = []\n")
    outcome = runner.test_mutant(copy, greedy, timeout=120)
    assert outcome.status in runner.DETECTED, outcome.detail
    assert (copy / CACHE).read_text(encoding="utf-8") == source
