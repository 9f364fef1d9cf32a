"""The README cannot drift from the program: every command and key it shows is checked here."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from harness.cli import build_parser, main
from harness.gate.config import GATE_KEYS
from harness.observation import observe
from harness.candidates import BUILTIN_IMPLEMENTATIONS
from harness.scenario.loader import COMMAND_KEYS, SCENARIO_KEYS, load_scenario

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, flags=re.DOTALL)


def blocks(language: str) -> list[str]:
    return [body for kind, body in BLOCKS if kind == language]


def console_lines() -> list[str]:
    return [line.strip() for body in blocks("console") for line in body.splitlines() if line.strip()]


def section(title: str) -> str:
    return README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def table_keys(text: str) -> list[str]:
    return re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.MULTILINE)


def test_the_quickstart_holds_exactly_the_two_commands() -> None:
    """One command runs the main job, one runs the tests, both from a fresh install."""
    quickstart = [body for kind, body in BLOCKS if kind == "console"][0]
    assert quickstart.strip().splitlines() == [
        'python3 -m pip install -e ".[test]" && harness check',
        'python3 -m pip install -e ".[test]" && python3 -m pytest -n auto',
    ]


HARNESS_LINES = [line for line in console_lines() if line.startswith("harness ")]


@pytest.mark.parametrize("line", HARNESS_LINES)
def test_every_harness_command_shown_parses(line: str) -> None:
    """Each ``harness ...`` line of the README is a valid command line."""
    arguments = build_parser().parse_args(shlex.split(line)[1:])
    assert arguments.command == shlex.split(line)[1]


def test_the_commands_table_names_only_real_options() -> None:
    """Every ``--option`` in the commands table belongs to the subcommand of its row."""
    parser = build_parser()
    subparsers = next(action for action in parser._actions if action.dest == "command").choices
    rows = re.findall(r"^\| `harness ([\w-]+) ([^`]*)` \|", section("Commands"), flags=re.MULTILINE)
    assert sorted(name for name, _ in rows) == sorted(subparsers)
    for name, usage in rows:
        known = {option for action in subparsers[name]._actions for option in action.option_strings}
        for action in subparsers[name]._actions:  # `harness phase ACTION ...`: the actions' options too
            for nested in getattr(action, "choices", None) or {}:
                if isinstance(action.choices[nested], type(parser)):
                    known |= {option for inner in action.choices[nested]._actions for option in inner.option_strings}
        assert set(re.findall(r"--[a-z-]+", usage)) <= known, name


def test_pytest_options_shown_exist() -> None:
    """Options on ``python3 -m pytest`` lines are options pytest knows here (with xdist, hypothesis, syrupy)."""
    help_text = subprocess.run(
        [sys.executable, "-m", "pytest", "--help"], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    for line in console_lines():
        if "python3 -m pytest" in line:
            for option in re.findall(r"(?<= )--?[a-z][a-z-]*", line.split("python3 -m pytest", 1)[1]):
                assert option in help_text, option


def test_the_scenario_key_tables_list_exactly_the_keys_the_loader_accepts() -> None:
    """Every key the loader accepts is documented, and nothing undocumented is shown."""
    text = section("Writing a scenario")
    top, command = text.split("Command keys", 1)
    assert sorted(table_keys(top)) == sorted(SCENARIO_KEYS)
    assert sorted(table_keys(command)) == sorted(COMMAND_KEYS)


def test_the_scenario_example_loads_and_runs(tmp_path: Path) -> None:
    """The README's scenario is valid and runs to an outcome on the reference."""
    example = next(body for body in blocks("toml") if "[commands.left]" in body)
    path = tmp_path / "readme-example.toml"
    path.write_text(example, encoding="utf-8")
    observation = observe(load_scenario(path), BUILTIN_IMPLEMENTATIONS["reference"])
    assert observation["outcome"] == "ok"
    assert observation["output"]["text"] == "L:x + r1:x"


def test_the_gate_configuration_shown_uses_only_known_keys() -> None:
    """The ``[tool.harness.gate]`` example matches the keys the gate reads, and the project's own table."""
    shown = tomllib.loads(next(body for body in blocks("toml") if "[tool.harness.gate]" in body))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert set(shown["tool"]["harness"]["gate"]) <= set(GATE_KEYS)
    assert set(shown["tool"]["harness"]["gate"]) == set(project["tool"]["harness"]["gate"])


def test_the_timeline_shown_is_what_harness_run_prints(capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    """The picture in the README is the real output of the command above it."""
    monkeypatch.chdir(ROOT)
    shown = next(body for kind, body in BLOCKS if kind == "text" and "held by cap" in body)
    assert main(["run", "baselines/order-reverse-durations-capped.toml", "--timeline"]) == 0
    assert capsys.readouterr().out.endswith(shown)


def test_the_plugin_example_passes_in_a_fresh_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's plugin example is a working test file for a user's project."""
    monkeypatch.delenv("CI", raising=False)  # a developer's first run: under CI, --snapshot-update refuses to write
    example = next(body for body in blocks("python") if "def test_two_branches" in body)
    scenario = (ROOT / "baselines" / "ref-parallel-basic.toml").read_text(encoding="utf-8")
    pytester.makefile(".toml", **{"scenarios/two-branches": scenario})
    pytester.makepyfile(test_readme_example=example)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--snapshot-update")
    result.assert_outcomes(passed=2)


def test_the_given_recipe_passes_and_records_failures_in_a_fresh_project(pytester: pytest.Pytester) -> None:
    """The ``@given`` recipe passes hypothesis's health checks; under a faulty candidate it writes a replayable file.

    The recipe it replaced, ``@given`` with the function-scoped ``harness``
    fixture, failed the ``function_scoped_fixture`` health check.
    """
    example = next(body for body in blocks("python") if "@given(scenario=scenarios())" in body)
    pytester.makepyfile(test_recipe=example)
    passed = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--harness-profile", "dev")
    passed.assert_outcomes(passed=1)
    pytester.makepyfile(faulty_executors=(ROOT / "tests" / "faulty_executors.py").read_text(encoding="utf-8"))
    failed = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--harness-profile", "dev", "--candidate", "faulty_executors:ReversedOrderExecutor"
    )
    failed.assert_outcomes(failed=1)
    failed.stdout.fnmatch_lines(["*(replay: harness repro artifacts/repro/drawn.toml)*"])
    assert "# candidate: faulty_executors:ReversedOrderExecutor" in (
        pytester.path / "artifacts" / "repro" / "drawn.toml"
    ).read_text(encoding="utf-8")


def test_the_markers_a_stage_reads_are_what_harness_run_prints(tmp_path: Path, capsys) -> None:
    example = next(body for body in blocks("toml") if "[commands.report]" in body)
    shown = re.search(r"`harness run` on it prints `(output: [^`]+)`", README)
    assert shown is not None
    path = tmp_path / "markers.toml"
    path.write_text(example, encoding="utf-8")
    assert main(["run", str(path)]) == 0
    assert shown[1] in capsys.readouterr().out.splitlines()


def test_tox_environments_named_exist() -> None:
    """Every tox environment the README names is defined in tox.ini."""
    tox = (ROOT / "tox.ini").read_text(encoding="utf-8")
    defined = set(re.findall(r"^\[testenv:([\w-]+)\]", tox, flags=re.MULTILINE))
    named = set(re.findall(r"`(check|gate|nightly|mutation|repro)`", section("tox and CI")))
    assert named <= defined
    assert re.search(r"^envlist\s*=.*py311", tox, flags=re.MULTILINE)


def test_the_commands_table_names_only_real_short_options() -> None:
    """The one-letter options in the commands table (``-k``, ``-x``, ``-q``, ``-v``) belong to their row's subcommand."""
    parser = build_parser()
    subparsers = next(action for action in parser._actions if action.dest == "command").choices
    rows = re.findall(r"^\| `harness ([\w-]+) ([^`]*)` \|", section("Commands"), flags=re.MULTILINE)
    for name, usage in rows:
        known = {option for action in subparsers[name]._actions for option in action.option_strings}
        for action in subparsers[name]._actions:  # `harness phase ACTION ...`: the actions' options too
            for nested in getattr(action, "choices", None) or {}:
                if isinstance(action.choices[nested], type(parser)):
                    known |= {option for inner in action.choices[nested]._actions for option in inner.option_strings}
        assert set(re.findall(r"(?<![\w-])-[a-z](?![\w-])", usage)) <= known, name


def test_every_check_option_described_exists() -> None:
    """Each option in the list of ``harness check``'s pytest habits is an option of ``check``, and each option is listed."""
    habits = section("Commands").split("`harness check` speaks pytest's dialect:", 1)[1].split("\n\n", 1)[1]
    habits = habits.split("\n\n", 1)[0]
    parser = build_parser()
    check = next(action for action in parser._actions if action.dest == "command").choices["check"]
    known = {option for action in check._actions for option in action.option_strings}
    described = set(re.findall(r"`(--?[a-z][a-z-]*)", habits))
    assert described <= known
    assert {"-k", "-x", "--exitfirst", "--list", "--collect-only", "-q", "-v", "--junit-xml", "--json"} <= described


def test_the_scenario_limits_shown_are_the_loaders() -> None:
    """The sizes the README says the loader refuses are the constants it uses."""
    from harness.scenario import limits

    text = " ".join(section("Writing a scenario").split())
    assert f"over {limits.MAX_FILE_BYTES // (1024 * 1024)} MiB" in text
    assert f"more than {limits.MAX_STAGES:,} stages" in text
    assert f"more than {limits.MAX_BRANCHES:,} branches in a group" in text
    assert f"{limits.MAX_CALLS:,} command calls" in text
    assert "10^12 virtual milliseconds" in text and limits.MAX_VIRTUAL_MS == 10**12
    assert f"more than {limits.MAX_ANSWERS:,} `returns_each` answers" in text
    assert f"over {limits.MAX_RETRY_UNTIL:,}" in text
    assert set(limits.ENV_NAMES) == {"PIPELINE_PARALLEL_LIMIT"} and "PIPELINE_PARALLEL_LIMIT" in text


def test_the_profiles_and_plugin_options_shown_exist() -> None:
    """The README's profile names are the plugin's, and ``--harness-profile`` / ``harness_profile`` are real."""
    from harness.plugin import PROFILES, hypothesis_profile_name

    text = section("Property tests, profiles and the nightly run") + section("Using the plugin in another project")
    for name in PROFILES:
        assert f"`{hypothesis_profile_name(name)}`" in text
    help_text = subprocess.run(
        [sys.executable, "-m", "pytest", "--help"], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert "--harness-profile" in help_text and "harness_profile" in help_text


def test_ci_runs_the_test_command_once_through_the_gate() -> None:
    """``.ci/run`` runs no test command itself: ``harness gate -v`` runs the README's, and ``harness check``, once each."""
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line.strip() for line in script.splitlines() if line.strip() and not line.lstrip().startswith(("#", "echo"))]
    assert not any("pytest" in line for line in commands), commands
    assert sum("harness gate -v" in line for line in commands) == 1
    assert 'python3 -m pip install --quiet -e ".[test]"' in commands
    configured = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["harness"]["gate"]
    readme_test_command = 'python3 -m pip install -e ".[test]" && python3 -m pytest -n auto'
    assert readme_test_command.split(" && ")[1] in configured["commands"]
    assert "harness check" in configured["commands"]
    assert "harness gate -v" in section("tox and CI")
