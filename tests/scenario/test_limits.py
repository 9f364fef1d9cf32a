"""Whole-scenario checks: size limits, unknown placeholders, unread env names, near-miss effect names.

Planted mistakes (each tried in a temporary copy): dropping the
``check_scenario_limits`` call from ``load_scenario`` lets every refused case
below load; a placeholder pattern that also matches JSON braces refuses the
accepted ``{"a": 1}`` case.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import EXIT_INVALID, EXIT_OK
from harness.scenario import load_scenario
from harness.scenario.limits import MAX_BRANCHES, MAX_FILE_BYTES

from cli_support import run_cli

HEAD = 'input = "x"\npipeline = "a"\n'


def _group(width: int) -> str:
    names = [f"c{index}" for index in range(width)]
    return 'input = "x"\nstages = [[' + ", ".join(f'"{n}"' for n in names) + "]]\n" + "".join(
        f"[commands.{n}]\n" for n in names
    )


KNOWN = "(known: {input}, {try}, {hint}, {stage}, {attempt}, {global_attempt}, {total_stages}, {tries}, {hint_history}, {previous_outputs}, {context_id})"
REFUSED = [
    ("placeholder", HEAD + '[commands.a]\nreturns = "L:{inptu}"\n', "commands.a.returns",
     "unknown placeholder {inptu} " + KNOWN),
    ("placeholder-nested", HEAD + '[commands.a]\nreturns = { deep = ["{who}"] }\n', "commands.a.returns",
     "unknown placeholder {who} " + KNOWN),
    ("placeholder-each", HEAD + '[commands.a]\nreturns_each = ["{input}", "{retries}"]\n', "commands.a.returns_each[1]",
     "unknown placeholder {retries} " + KNOWN),
    ("placeholder-effect", HEAD + '[commands.a]\neffects = ["audit"]\n[effects.audit]\nraises = "down {when}"\n',
     "effects.audit.raises", "unknown placeholder {when} " + KNOWN),
    ("env", HEAD + 'env = { PIPELINE_PARALEL_LIMIT = "1" }\n[commands.a]\n', "env.PIPELINE_PARALEL_LIMIT",
     "not read by the executor (it reads PIPELINE_PARALLEL_LIMIT)"),
    ("effect-typo", HEAD + '[commands.a]\neffects = ["audti"]\n[effects.audit]\nraises = "down"\n',
     "commands.a.effects[0]", '"audti" is not declared, did you mean "audit"? (declared: audit)'),
    ("duration", HEAD + "[commands.a]\nduration_ms = 1000000000001\n", "commands.a.duration_ms",
     "1000000000001 ms is past the limit of 1000000000000 ms (about 31 years) (a scenario this large is surely a mistake)"),
    ("deadline", HEAD + "deadline_ms = 99999999999999\n[commands.a]\n", "deadline_ms",
     "99999999999999 ms is past the limit of 10000000000 ms (about 116 days) (a scenario this large is surely a mistake)"),
    ("deadline-just-past", HEAD + "deadline_ms = 10000000001\n[commands.a]\n", "deadline_ms",
     "10000000001 ms is past the limit of 10000000000 ms (about 116 days) (a scenario this large is surely a mistake)"),
    ("retry-until", HEAD + "[commands.a]\nretry = true\nretry_until = 100001\n", "commands.a.retry_until",
     "100001 is past the limit of 100,000 (a scenario this large is surely a mistake)"),
    ("branches", _group(MAX_BRANCHES + 1), "stages[0]",
     "10,001 branches is past the limit of 10,000 in one group (a scenario this large is surely a mistake)"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "text", "key", "problem"), REFUSED, ids=[case[0] for case in REFUSED])
def test_a_scenario_past_a_limit_or_naming_what_nothing_reads_is_one_line(
    write_scenario, case: str, text: str, key: str, problem: str
) -> None:
    """``harness run`` and ``check``: exit 2, one line ``FILE: KEY: PROBLEM``."""
    path = write_scenario(case, text)
    code, out, err = run_cli("run", str(path))
    assert (code, out, err) == (EXIT_INVALID, "", f"harness run: {path}: {key}: {problem}\n")


ACCEPTED = [
    ("json-text", HEAD + '[commands.a]\nreturns = \'{"a": 1, "b": [2]}\'\n'),
    ("undeclared-effect-succeeds", HEAD + '[commands.a]\neffects = ["show"]\n[effects.audit]\nraises = "down"\n'
     '[commands.b]\neffects = ["audit"]\n'),
    ("known-env", HEAD + 'env = { PIPELINE_PARALLEL_LIMIT = "2" }\n[commands.a]\n'),
    ("all-placeholders", HEAD + '[commands.a]\nreturns = "{input}{try}{hint}{stage}{attempt}{global_attempt}{total_stages}'
     '{tries}{hint_history}{previous_outputs}{context_id}"\n'),
    ("at-the-limit", _group(MAX_BRANCHES)),
]  # fmt: skip


@pytest.mark.parametrize(("case", "text"), ACCEPTED, ids=[case[0] for case in ACCEPTED])
def test_legitimate_scenarios_pass_the_checks(write_scenario, case: str, text: str) -> None:
    """JSON text in braces, a succeeding effect nobody declared, the parallel limit, a group of exactly 10,000."""
    assert load_scenario(write_scenario(case, text)).name == case


def test_a_file_past_the_size_limit_is_refused_without_reading_it_all(write_scenario) -> None:
    path = write_scenario("huge", HEAD + "[commands.a]\n" + "#" * (MAX_FILE_BYTES + 1) + "\n")
    code, _, err = run_cli("run", str(path))
    assert (code, err) == (EXIT_INVALID, f"harness run: {path}: larger than the limit of 10 MiB (a scenario this large is surely a mistake)\n")


def test_run_on_a_folder_says_it_is_a_folder(tmp_path: Path) -> None:
    """``harness run DIR``: not ``unsupported file type ""``."""
    code, out, err = run_cli("run", str(tmp_path))
    assert (code, out) == (EXIT_INVALID, "")
    assert err == f"harness run: {tmp_path}: is a folder, not a scenario file (name one .toml or .json file in it)\n"


def test_a_file_without_suffix_says_so(tmp_path: Path) -> None:
    (tmp_path / "scenario").write_text(HEAD, encoding="utf-8")
    assert run_cli("run", str(tmp_path / "scenario"))[2].endswith(": unsupported file type no suffix (expected .toml or .json)\n")


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_a_byte_order_mark_is_read_as_utf8(write_scenario, suffix: str) -> None:
    """A file saved with a BOM loads like the same file without one."""
    text = HEAD + "[commands.a]\n" if suffix == ".toml" else '{"input": "x", "pipeline": "a", "commands": {"a": {}}}'
    path = write_scenario("bom", "\ufeff" + text, suffix)
    code, out, _ = run_cli("run", str(path))
    assert (code, out.splitlines()[0]) == (EXIT_OK, "ok: bom on reference")


def test_json_messages_never_read_at_at(write_scenario) -> None:
    """json's "Invalid control character at" is shown without the dangling "at"."""
    path = write_scenario("control", '{"input": "x\ty"}', ".json")
    _, _, err = run_cli("run", str(path))
    assert err == f"harness run: {path}: invalid JSON: Invalid control character (at line 1, column 13)\n"
    assert "at (at" not in err


def test_baseline_json_messages_never_read_at_at(tmp_path: Path) -> None:
    """The baseline reader shares the message: no dangling "at" there either."""
    from harness.baselines import load_baseline
    from harness.errors import InvalidBaselineError

    baseline = tmp_path / "x.baseline.json"
    baseline.write_text('{"a": "x\ty"}', encoding="utf-8")
    with pytest.raises(InvalidBaselineError, match=r"invalid JSON: Invalid control character \(at line 1, column 9\)$"):
        load_baseline(baseline)


def test_a_duration_past_the_deadline_ends_at_the_deadline_at_once(write_scenario) -> None:
    """The longest wait under the longest deadline ends there, in well under a second of wall time.

    The planted mistake, tried: with deadline_ms allowed up to 10^12 like the
    durations, a deadline of 10^12 ms and a 2 x 10^10 ms wait spun for over a minute
    (the float clock's step past 10^7 s is coarser than the loop's resolution).
    """
    text = HEAD.replace('pipeline = "a"', 'pipeline = "a"\ndeadline_ms = 10000000000') + (
        "[commands.a]\nduration_ms = 1000000000000\n"
    )
    code, _, err = run_cli("run", str(write_scenario("longest", text)))
    assert code == 1
    assert "deadline_ms 10000000000 reached at virtual 10000000000 ms" in err
