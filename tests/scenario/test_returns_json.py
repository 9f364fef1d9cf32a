"""The ``returns_json`` command key: an answer given as JSON text, so that JSON ``null`` can appear in it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.candidates import BUILTIN_IMPLEMENTATIONS
from harness.errors import InvalidScenarioError
from harness.observation import observe
from harness.scenario import dump_scenario, load_scenario

HEAD = 'input = "x"\npipeline = "a"\n[commands.a]\n'


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "x.toml"
    path.write_text(HEAD + body, encoding="utf-8")
    return path


def test_returns_json_answers_the_parsed_value_nulls_included(tmp_path: Path) -> None:
    scenario = load_scenario(_write(tmp_path, "returns_json = '{\"message\": null, \"error\": [1, null]}'\n"))
    assert scenario.commands["a"].returns_json == '{"message": null, "error": [1, null]}'
    observation = observe(scenario, BUILTIN_IMPLEMENTATIONS["reference"])
    assert observation["output"]["text"] == '{"message":null,"error":[1,null]}'
    assert load_scenario(dump_scenario(scenario, tmp_path / "again" / "x.toml")) == scenario


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("returns_json = '{\"a\": }'\n", "x.toml: commands.a.returns_json: invalid JSON text: "),
        ("returns_json = 1\n", "x.toml: commands.a.returns_json: expected a string, got 1"),
        ("returns_json = '" + "[" * 33 + "]" * 33 + "'\n", "x.toml: commands.a.returns_json: nested deeper than 32"),
        (
            "returns_json = 'null'\nreturns = 1\n",
            "x.toml: commands.a: `returns` and `returns_json` cannot be combined (a command answers in one way)",
        ),
    ],
    ids=["invalid-json", "not-a-string", "too-deep", "with-returns"],
)
def test_bad_returns_json_is_refused_in_one_line(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(InvalidScenarioError) as caught:
        load_scenario(_write(tmp_path, body))
    assert str(caught.value).startswith(message.replace("x.toml", str(tmp_path / "x.toml")))


def test_bad_returns_json_exits_2_without_a_traceback(tmp_path: Path) -> None:
    path = _write(tmp_path, "returns_json = 'nul'\n")
    result = subprocess.run(
        [sys.executable, "-m", "harness", "run", str(path)], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 2
    assert "commands.a.returns_json: invalid JSON text" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
