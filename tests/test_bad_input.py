"""Malformed scenario and baseline files: one line naming the file and key, exit 2, nothing written.

Every case runs through the real entry point, ``harness.cli.main``, in a
temporary folder whose files (names, bytes, modification times, inodes) must
be the same afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.baselines import baseline_path
from harness.check import baseline_collisions, record_scenario
from harness.cli import EXIT_INVALID, EXIT_OK

from cli_support import run_cli

pytestmark = pytest.mark.usefixtures("outside_ci", "in_tmp_path")

GOOD = """
input = "x"
pipeline = "a | b"
[commands.a]
returns = "A:{input}"
[commands.b]
returns = "B:{input}"
"""

_DROP = object()


def write_file(write_scenario: Callable[..., Path], name: str, content: str | bytes, suffix: str) -> Path:
    path = write_scenario(name, "", suffix)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def located(path: Path, key: str, problem: str) -> str:
    """The message of an invalid file: ``FILE: KEY: PROBLEM``, or ``FILE: PROBLEM`` when the whole file is at fault."""
    return f"{path}: {key}: {problem}" if key else f"{path}: {problem}"


def report_of_one_invalid(command: str, path: Path, message: str) -> str:
    """What a subcommand prints on stdout when its only scenario file is invalid."""
    if command == "check":
        closing = f"failed scenarios (1):\n  INVALID          {path}\n"
        # The message goes to standard error alone: an invalid file is reported once.
        return f"INVALID          {path.stem}\n{closing}total: 0 passed, 1 failed\n"
    if command == "record":
        return f"invalid    {baseline_path(path)}\n    {message}\n"
    return ""


COMMAND_KEYS = (
    "duration_ms, effects, from, hang, hint, interrupts, join, labels, member_descriptors, mutates_input,"
    " raises, raises_from, result_descriptor, result_labels, result_plain_descriptor, retry, retry_until, returns, returns_each, returns_js, returns_json, set_env, transform, value_descriptor, value_labels"
)
"""Every command key, as the loader lists them in an unknown-key message."""

SCENARIO_ERRORS = [
    # Not TOML or JSON at all.
    pytest.param(
        ".toml", 'input = "x"\npipeline = "a"\n[commands.a\n',
        "", "invalid TOML: Expected ']' at the end of a table declaration (at line 3, column 12)",
        id="invalid-toml",
    ),
    pytest.param(
        ".json", '{"input": "x" "pipeline": "a"}',
        "", "invalid JSON: Expecting ',' delimiter (at line 1, column 15)",
        id="invalid-json",
    ),
    pytest.param(
        ".json", '{"input": "x", "input": "y", "pipeline": "a", "commands": {"a": {}}}',
        "", 'invalid JSON: duplicate key "input"',
        id="json-key-given-twice",
    ),
    pytest.param(
        ".toml", b'input = "\xff"\npipeline = "a"\n[commands.a]\n',
        "", "invalid TOML: not UTF-8 (byte 0xff at offset 9)",
        id="not-utf8",
    ),
    pytest.param(
        ".json", '["a"]',
        "", 'the top level must be a table (a JSON object), got ["a"]',
        id="json-not-an-object",
    ),
    # The keys of the input kinds, runs and the commands' side effects.
    pytest.param(
        ".toml", 'input = "x"\nruns = -1\npipeline = "a"\n[commands.a]\n',
        "runs", "expected a positive integer, got -1",
        id="runs-negative",
    ),
    pytest.param(
        ".toml", 'input = "x"\npipeline = "a"\n[commands.a]\nset_env = ["A=1"]\n',
        "commands.a.set_env", 'expected a table, got ["A=1"]',
        id="set-env-a-list",
    ),
    pytest.param(
        ".toml", 'input = "x"\npipeline = "a"\n[commands.a]\ninterrupts = "Exception"\n',
        "commands.a.interrupts", 'expected "KeyboardInterrupt" or "SystemExit", got "Exception"',
        id="interrupts-not-a-base-exception",
    ),
    pytest.param(
        ".json", '{"source": "a", "input_replayable": false, "pipeline": "a", "commands": {"a": {}}}',
        "input_replayable", "`false` describes a literal `input`; a `source` always replays",
        id="fixed-literal-with-source",
    ),
    # Unknown keys: typos are errors, never ignored.
    pytest.param(
        ".toml", 'input = "x"\npipline = "a"\n[commands.a]\n',
        "pipline", "unknown key, did you mean `pipeline`? (expected one of: commands, deadline_ms, delay_ms, "
        "description, effects, env, input, input_descriptor, input_labels, input_replayable, parallel_cap, pipeline, "
        "runs, schedule, source, stages)",
        id="typo-top-level",
    ),
    pytest.param(
        ".toml", 'input = "x"\npipeline = "a"\n[commands.a]\nduraton_ms = 5\n',
        "commands.a.duraton_ms", "unknown key, did you mean `duration_ms`? (expected one of: " + COMMAND_KEYS + ")",
        id="typo-command-key",
    ),
    pytest.param(
        ".json", '{"input": "x", "pipeline": "a", "commands": {"a": {"retrys": true}}}',
        "commands.a.retrys", "unknown key, did you mean `retry`? (expected one of: " + COMMAND_KEYS + ")",
        id="typo-in-json",
    ),
    # Wrong types.
    pytest.param(
        ".toml", 'input = "x"\npipeline = "left"\n[commands.left]\nduration_ms = "fast"\n',
        "commands.left.duration_ms", 'expected a non-negative integer, got "fast"',
        id="duration-not-a-number",
    ),
    pytest.param(
        ".toml", 'input = "x"\npipeline = "a"\n[commands.a]\nretry = "yes"\n',
        "commands.a.retry", 'expected true or false, got "yes"',
        id="retry-not-a-boolean",
    ),
    pytest.param(
        ".toml", 'input = "x"\nstages = "a | b"\n[commands.a]\n[commands.b]\n',
        "stages", 'expected an array of command names, got "a | b" (the text form is `pipeline = "a | b"`)',
        id="stages-as-text",
    ),
    pytest.param(
        ".toml", 'input = 1979-05-27\npipeline = "a"\n[commands.a]\n',
        "input", "TOML dates and times are not supported, got 1979-05-27 (quote it to make a string)",
        id="toml-date",
    ),
    # Numbers out of range.
    pytest.param(
        ".toml", 'input = "x"\npipeline = "a"\n[commands.a]\nduration_ms = -5\n',
        "commands.a.duration_ms", "expected a non-negative integer, got -5",
        id="negative-duration",
    ),
    pytest.param(
        ".toml", 'input = "x"\npipeline = "a"\ndelay_ms = -1\n[commands.a]\n',
        "delay_ms", "expected a non-negative integer, got -1",
        id="negative-delay",
    ),
    pytest.param(
        ".toml", 'input = "x"\npipeline = "a"\n[commands.a]\nretry = true\nfrom = -1\n',
        "commands.a.from", "expected a non-negative integer, got -1",
        id="negative-retry-target",
    ),
    pytest.param(
        ".toml", 'input = "x"\npipeline = "a"\ndeadline_ms = 0\n[commands.a]\n',
        "deadline_ms", "expected a positive integer, got 0",
        id="zero-deadline",
    ),
    # Names that point nowhere.
    pytest.param(
        ".toml", 'input = "x"\npipeline = "a | b"\n[commands.a]\n',
        "pipeline", 'unknown command "b" (defined: a)',
        id="pipeline-names-undefined-command",
    ),
    pytest.param(
        ".toml", 'input = "x"\nstages = ["a", ["a", "c"]]\n[commands.a]\n',
        "stages[1][1]", 'unknown command "c" (defined: a)',
        id="stages-name-undefined-command",
    ),
    pytest.param(
        ".toml", 'source = "s"\npipeline = "a"\n[commands.a]\n',
        "source", 'unknown command "s" (defined: a)',
        id="undefined-source",
    ),
    # Empty pipelines, stages and parallel groups.
    pytest.param(
        ".toml", 'input = "x"\npipeline = "a || | b"\n[commands.a]\n[commands.b]\n',
        "pipeline", 'empty branch in parallel group at position 1 in "a || | b"',
        id="empty-branch",
    ),
    pytest.param(
        ".toml", 'input = "x"\npipeline = "a |"\n[commands.a]\n',
        "pipeline", 'empty stage at position 2 in "a |"',
        id="trailing-bar",
    ),
    pytest.param(
        ".toml", 'input = "x"\npipeline = "||"\n[commands.a]\n',
        "pipeline", 'empty branch in parallel group at position 1 in "||"',
        id="bare-parallel-bars",
    ),
    pytest.param(
        ".toml", 'input = "x"\npipeline = "  "\n[commands.a]\n',
        "pipeline", 'empty pipeline "  " (name at least one command, or write `stages = []` for a pipeline of no stage)',
        id="blank-pipeline",
    ),
    pytest.param(
        ".toml", 'input = "x"\npipeline = "a ||| b"\n[commands.a]\n[commands.b]\n',
        "pipeline", '"|||" is ambiguous in "a ||| b" (separate stages with " | ", branches with " || ")',
        id="triple-bar",
    ),
    pytest.param(
        ".toml", 'input = "x"\nstages = ["a", []]\n[commands.a]\n',
        "stages[1]", "empty parallel group (name at least one command)",
        id="empty-group-in-stages",
    ),
    # Keys that cannot be combined, or are missing.
    pytest.param(
        ".toml", 'input = "x"\npipeline = "a"\nstages = ["a"]\n[commands.a]\n',
        "", "`pipeline` and `stages` cannot be combined (give the stages once)",
        id="pipeline-and-stages",
    ),
    pytest.param(
        ".toml", 'input = "x"\nsource = "s"\npipeline = "a"\n[commands.s]\nreturns = "S"\n[commands.a]\n',
        "", '`input` and `source` cannot be combined unless the source reads its input: '
        'command "s" has no {input} in its templates',
        id="input-and-source",
    ),
    pytest.param(
        ".toml", 'input = "x"\npipeline = "a"\n[commands.a]\nraises = "boom"\nretry = true\n',
        "commands.a", "`raises` and `retry` cannot be combined",
        id="raises-and-retry",
    ),
    pytest.param(
        ".toml", 'input = "x"\npipeline = "a"\n[commands.a]\nreturns = "A"\nraises = "boom"\n',
        "commands.a", "`returns` and `raises` cannot be combined (a command answers in one way)",
        id="returns-and-raises",
    ),
    pytest.param(
        ".toml", 'input = "x"\ninput_labels = ["s"]\npipeline = "a"\n[commands.a]\n[input_descriptor]\nlabels = ["t"]\n',
        "", "`input_labels` and `input_descriptor` cannot be combined (put the labels in `input_descriptor.labels`)",
        id="labels-and-descriptor",
    ),
    pytest.param(
        ".toml", 'pipeline = "a"\n[commands.a]\n',
        "", "missing `input` or `source` (the pipeline input)",
        id="no-input",
    ),
]  # fmt: skip


@pytest.mark.parametrize("command", ["run", "check", "record", "repro"])
@pytest.mark.parametrize(("suffix", "content", "key", "problem"), SCENARIO_ERRORS)
def test_a_malformed_scenario_is_one_line_naming_file_and_key(
    command: str, suffix: str, content: str | bytes, key: str, problem: str,
    write_scenario, folder_state, tmp_path: Path,
) -> None:
    """Each subcommand exits 2 with ``harness CMD: FILE: KEY: PROBLEM`` on stderr and writes nothing."""
    path = write_file(write_scenario, "bad", content, suffix)
    message = located(path, key, problem)
    before = folder_state(tmp_path)
    code, out, err = run_cli(command, str(path))
    assert (code, err) == (EXIT_INVALID, f"harness {command}: {message}\n")
    assert out == report_of_one_invalid(command, path, message)
    assert folder_state(tmp_path) == before


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_a_scenario_nested_too_deeply_is_invalid_input_not_a_crash(write_scenario, folder_state, tmp_path, suffix) -> None:
    """Nesting deeper than the parser's recursion limit is a one-line error, not a RecursionError."""
    depth = 100_000
    nested = "[" * depth + "]" * depth
    content = f'{{"input": {nested}}}' if suffix == ".json" else f"input = {nested}\n"
    path = write_file(write_scenario, "deep", content, suffix)
    before = folder_state(tmp_path)
    code, out, err = run_cli("run", str(path))
    kind = suffix[1:].upper()
    assert (code, out, err) == (EXIT_INVALID, "", f"harness run: {path}: invalid {kind}: nested too deeply\n")
    assert folder_state(tmp_path) == before


def test_a_value_nested_past_the_limit_is_named_at_the_level_it_went_too_deep(write_scenario, folder_state, tmp_path) -> None:
    """Values nest at most 32 levels: deeper, the key path shows where, before anything runs."""
    nested = "[" * 40 + "]" * 40
    path = write_file(write_scenario, "deep", f"input = {nested}\n", ".toml")
    before = folder_state(tmp_path)
    code, out, err = run_cli("run", str(path))
    key = "input" + "[0]" * 32
    assert (code, out, err) == (EXIT_INVALID, "", f"harness run: {path}: {key}: nested deeper than 32 levels\n")
    assert folder_state(tmp_path) == before


def edited(document: dict[str, object], changes: dict[str, object]) -> dict[str, object]:
    """``document`` with each key of ``changes`` set to its value, or removed when the value is ``_DROP``."""
    result = dict(document)
    for key, value in changes.items():
        if value is _DROP:
            del result[key]
        else:
            result[key] = value
    return result


BASELINE_ERRORS = [
    pytest.param(
        b'{"schema_version": 1,', "",
        "invalid JSON: Expecting property name enclosed in double quotes (at line 1, column 22)",
        id="not-json",
    ),
    pytest.param(b"\xff{}", "", "invalid JSON: not UTF-8 (byte 0xff at offset 0)", id="not-utf8"),
    pytest.param(b"[]", "", "expected a JSON object, got list", id="not-an-object"),
    pytest.param({"schema_version": _DROP}, "schema_version", "required field missing", id="no-schema-version"),
    pytest.param({"timeline": _DROP}, "timeline", "required field missing", id="lacks-a-field"),
    pytest.param(
        {"schema_version": 1}, "schema_version", "expected 2, got 1 (re-record it with `harness record --force`)",
        id="other-schema-version",
    ),
    pytest.param(
        {"schema_version": "2"}, "schema_version",
        'expected 2, got "2" (re-record it with `harness record --force`)',
        id="schema-version-as-text",
    ),
    pytest.param({"events": {}}, "events", "expected a list, got {}", id="field-of-wrong-type"),
]


@pytest.fixture
def pinned_scenario(write_scenario) -> Path:
    """A valid scenario with its baseline recorded from the reference."""
    path = write_scenario("pinned", GOOD)
    assert record_scenario(path).status == "created"
    return path


def corrupt(baseline: Path, change: bytes | dict[str, object]) -> None:
    if isinstance(change, bytes):
        baseline.write_bytes(change)
    else:
        baseline.write_text(json.dumps(edited(json.loads(baseline.read_text(encoding="utf-8")), change)))


@pytest.mark.parametrize(("change", "key", "problem"), BASELINE_ERRORS)
def test_check_reports_a_malformed_baseline_in_one_line(
    pinned_scenario: Path, change: bytes | dict[str, object], key: str, problem: str, folder_state, tmp_path: Path
) -> None:
    """``check`` names the baseline file and key, reports the scenario INVALID, and writes nothing."""
    baseline = baseline_path(pinned_scenario)
    corrupt(baseline, change)
    message = located(baseline, key, problem)
    before = folder_state(tmp_path)
    code, out, err = run_cli("check", str(pinned_scenario))
    assert (code, err) == (EXIT_INVALID, f"harness check: {message}\n")
    closing = f"failed scenarios (1):\n  INVALID          {pinned_scenario}\n"
    assert out == f"INVALID          pinned\n{closing}total: 0 passed, 1 failed\n"
    assert folder_state(tmp_path) == before


@pytest.mark.parametrize(("change", "key", "problem"), BASELINE_ERRORS)
def test_record_leaves_a_malformed_baseline_alone_without_force(
    pinned_scenario: Path, change: bytes | dict[str, object], key: str, problem: str, folder_state, tmp_path: Path
) -> None:
    """An unreadable baseline may be a merge still to resolve: ``record`` refuses to replace it."""
    baseline = baseline_path(pinned_scenario)
    corrupt(baseline, change)
    fix = "" if "--force" in problem else " (fix or delete it, or pass --force)"
    message = located(baseline, key, problem) + fix
    before = folder_state(tmp_path)
    code, out, err = run_cli("record", str(pinned_scenario))
    assert (code, err) == (EXIT_INVALID, f"harness record: {message}\n")
    assert out == f"invalid    {baseline}\n    {message}\n"
    assert folder_state(tmp_path) == before


def test_record_force_replaces_a_malformed_baseline(pinned_scenario: Path) -> None:
    """With ``--force`` the unreadable baseline is re-recorded and says what it replaced; then the check passes."""
    baseline = baseline_path(pinned_scenario)
    recorded = baseline.read_bytes()
    baseline.write_bytes(b"<<<<<<< ours\n")
    code, out, err = run_cli("record", "--force", str(pinned_scenario))
    assert (code, err) == (EXIT_OK, "")
    assert out == (
        f"updated    {baseline}\n"
        f"    replaced an unreadable baseline: {baseline}: invalid JSON: Expecting value (at line 1, column 1)\n"
    )
    assert baseline.read_bytes() == recorded
    assert run_cli("check", str(pinned_scenario))[:2] == (EXIT_OK, "MATCH            pinned\ntotal: 1 passed, 0 failed\n")


def test_a_baseline_that_is_a_folder_is_reported_by_check_and_record(
    write_scenario, folder_state, tmp_path: Path
) -> None:
    """A folder where the baseline should be cannot be read, nor replaced even with ``--force``."""
    path = write_scenario("pinned", GOOD)
    baseline = baseline_path(path)
    baseline.mkdir()
    expected = {
        ("check",): f"harness check: {baseline}: cannot be read: Is a directory\n",
        ("record",): f"harness record: {baseline}: cannot be read: Is a directory (fix or delete it, or pass --force)\n",
        ("record", "--force"): f"harness record: {baseline}: cannot be written: Is a directory\n",
    }
    before = folder_state(tmp_path)
    for argv, message in expected.items():
        code, _, err = run_cli(*argv, str(path))
        assert (code, err) == (EXIT_INVALID, message)
    assert folder_state(tmp_path) == before
    assert baseline.is_dir() and list(baseline.parent.glob(".*.tmp")) == []


def test_check_reports_an_invalid_file_and_still_runs_the_others(write_scenario, folder_state, tmp_path: Path) -> None:
    """One bad file among good ones: the others run and match, the bad one is INVALID, and the exit code is 2."""
    first = write_scenario("a-first", GOOD)
    last = write_scenario("c-last", GOOD.replace("B:", "C:"))
    for path in (first, last):
        assert record_scenario(path).status == "created"
    bad = write_scenario("b-invalid", GOOD.replace("[commands.b]", "[commands.b]\nduration_ms = -1"))
    message = f"{bad}: commands.b.duration_ms: expected a non-negative integer, got -1"
    before = folder_state(tmp_path)
    code, out, err = run_cli("check", str(first.parent))
    assert (code, err) == (EXIT_INVALID, f"harness check: {message}\n")
    assert out == (
        "MATCH            a-first\n"
        "INVALID          b-invalid\n"
        "MATCH            c-last\n"
        f"failed scenarios (1):\n  INVALID          {bad}\n"
        "total: 2 passed, 1 failed\n"
    )
    assert folder_state(tmp_path) == before


def test_check_json_reports_an_invalid_file_with_its_message(write_scenario) -> None:
    """``check --json`` lists the invalid file with its status and one-line message."""
    bad = write_scenario("bad", 'input = "x"\npipeline = "a |"\n[commands.a]\n')
    code, out, _ = run_cli("check", "--json", str(bad))
    assert code == EXIT_INVALID
    [result] = json.loads(out)["results"]
    assert (result["status"], result["message"]) == ("invalid", f'{bad}: pipeline: empty stage at position 2 in "a |"')


def test_record_writes_the_good_baselines_and_reports_the_invalid_file(write_scenario) -> None:
    """``record`` on a folder with one bad file records the others and exits 2."""
    good = write_scenario("good", GOOD)
    bad = write_scenario("typo", GOOD.replace("returns =", "retuns =", 1))
    message = (
        f"{bad}: commands.a.retuns: unknown key, did you mean `returns`? (expected one of: " + COMMAND_KEYS + ")"
    )
    code, out, err = run_cli("record", str(good.parent))
    assert (code, err) == (EXIT_INVALID, f"harness record: {message}\n")
    assert out == f"created    {baseline_path(good)}\ninvalid    {baseline_path(bad)}\n    {message}\n"
    assert not baseline_path(bad).exists()


def test_baseline_collisions_name_every_file_sharing_a_baseline(tmp_path: Path) -> None:
    """``a.toml`` and ``a.json`` in one folder share ``a.baseline.json``; ``b.toml`` and one file named twice do not."""
    a_json, a_toml, b_toml = tmp_path / "a.json", tmp_path / "a.toml", tmp_path / "b.toml"
    same_b = tmp_path / "sub" / ".." / "b.toml"
    baseline = tmp_path / "a.baseline.json"
    assert baseline_collisions([a_json, a_toml, b_toml, same_b]) == {
        a_json: f"{a_json}: shares its baseline {baseline} with {a_toml} (rename one of them)",
        a_toml: f"{a_toml}: shares its baseline {baseline} with {a_json} (rename one of them)",
    }
    assert baseline_collisions([a_toml, tmp_path / "other" / "a.json", b_toml, same_b]) == {}


def write_colliding_corpus(write_scenario) -> tuple[Path, Path, Path]:
    a_json = write_scenario("a", json.dumps({"input": "j", "pipeline": "a", "commands": {"a": {}}}), ".json")
    a_toml = write_scenario("a", 'input = "t"\npipeline = "a"\n[commands.a]\n')
    return a_json, a_toml, write_scenario("b", GOOD)


def test_check_reports_scenarios_sharing_a_baseline_as_invalid(write_scenario, folder_state, tmp_path: Path) -> None:
    """Neither file of a colliding pair is checked against the other's baseline; the rest still runs."""
    a_json, a_toml, b_toml = write_colliding_corpus(write_scenario)
    assert record_scenario(b_toml).status == "created"
    shared = baseline_path(a_toml)
    json_message = f"{a_json}: shares its baseline {shared} with {a_toml} (rename one of them)"
    toml_message = f"{a_toml}: shares its baseline {shared} with {a_json} (rename one of them)"
    before = folder_state(tmp_path)
    code, out, err = run_cli("check", str(b_toml.parent))
    assert (code, err) == (EXIT_INVALID, f"harness check: {json_message}\nharness check: {toml_message}\n")
    assert out == (
        "INVALID          a\n"
        "INVALID          a\n"
        "MATCH            b\n"
        f"failed scenarios (2):\n  INVALID          {a_json}\n  INVALID          {a_toml}\n"
        "total: 1 passed, 2 failed\n"
    )
    assert folder_state(tmp_path) == before


def test_record_never_writes_a_baseline_two_scenarios_share(write_scenario) -> None:
    """``record`` refuses both files of a colliding pair instead of letting the second overwrite the first."""
    a_json, a_toml, b_toml = write_colliding_corpus(write_scenario)
    shared = baseline_path(a_toml)
    code, out, err = run_cli("record", str(b_toml.parent))
    json_message = f"{a_json}: shares its baseline {shared} with {a_toml} (rename one of them)"
    toml_message = f"{a_toml}: shares its baseline {shared} with {a_json} (rename one of them)"
    assert (code, err) == (EXIT_INVALID, f"harness record: {json_message}\nharness record: {toml_message}\n")
    assert out == (
        f"invalid    {shared}\n    {json_message}\n"
        f"invalid    {shared}\n    {toml_message}\n"
        f"created    {baseline_path(b_toml)}\n"
    )
    assert not shared.exists()


def test_python_dash_m_harness_run_prints_one_line_and_no_traceback(tmp_path: Path) -> None:
    """Through a real process: exit 2, exactly the one-line message on stderr, nothing on stdout."""
    (tmp_path / "typo.toml").write_text('input = "x"\npipeline = "a"\n[commands.a]\nduration_ms = "fast"\n')
    completed = subprocess.run(
        [sys.executable, "-m", "harness", "run", "typo.toml"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )
    assert (completed.returncode, completed.stdout) == (EXIT_INVALID, "")
    assert completed.stderr == 'harness run: typo.toml: commands.a.duration_ms: expected a non-negative integer, got "fast"\n'


def test_python_dash_m_harness_check_reports_a_bad_baseline_without_traceback(pinned_scenario: Path) -> None:
    """``check`` in a real process: the bad baseline is one line on stderr, the report on stdout, exit 2."""
    baseline = baseline_path(pinned_scenario)
    baseline.write_text('{"schema_version": 7}')
    completed = subprocess.run(
        [sys.executable, "-m", "harness", "check", pinned_scenario.name],
        cwd=pinned_scenario.parent, capture_output=True, text=True, check=False,
    )
    message = f"{baseline.name}: schema_version: expected 2, got 7 (re-record it with `harness record --force`)"
    assert completed.returncode == EXIT_INVALID
    assert completed.stderr == f"harness check: {message}\n"
    closing = f"failed scenarios (1):\n  INVALID          {pinned_scenario.name}\n"
    assert completed.stdout == f"INVALID          pinned\n{closing}total: 0 passed, 1 failed\n"
