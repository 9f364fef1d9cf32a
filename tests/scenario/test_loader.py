"""Scenario files: exact one-line messages for every mistake, exact values for valid files."""

from __future__ import annotations

import json
import re
import tomllib
import typing
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import harness.scenario
from harness.errors import InvalidScenarioError
from harness.scenario import (
    CommandSpec,
    DescriptorSpec,
    Scenario,
    ToolSpec,
    discover_scenarios,
    dump_scenario,
    load_scenario,
    parse_pipeline,
    parse_scenario,
)
from harness.scenario.model import RESERVED_NAMES

HEAD = 'input = "x"\npipeline = "a"\n'
"""A valid start: cases append a `[commands.a]` table or change one key."""

COMMAND_KEYS = (
    "duration_ms, effects, from, hang, hint, interrupts, join, labels, member_descriptors, mutates_input, raises, "
    "raises_from, result_descriptor, result_labels, result_plain_descriptor, retry, retry_until, returns, "
    "returns_each, returns_js, returns_json, set_env, transform, "
    "value_descriptor, value_labels"
)
NAME_RULE = "use letters, digits, `_` and `-`, starting with a letter or `_`"

BAD_FILES: dict[str, tuple[str, str | bytes, str]] = {
    # The file as a whole.
    "invalid-toml": (
        "x.toml",
        'input = "x"\npipeline = \n',
        "x.toml: invalid TOML: Invalid value (at line 2, column 12)",
    ),
    "invalid-json": (
        "x.json",
        '{"input": "x" "y"}',
        "x.json: invalid JSON: Expecting ',' delimiter (at line 1, column 15)",
    ),
    "json-top-level-array": (
        "x.json",
        "[1, 2]",
        "x.json: the top level must be a table (a JSON object), got [1, 2]",
    ),
    "json-duplicate-key": (
        "x.json",
        '{"input": "x", "input": "y"}',
        'x.json: invalid JSON: duplicate key "input"',
    ),
    "not-utf8": ("x.json", b'{"input": "\xff"}', "x.json: invalid JSON: not UTF-8 (byte 0xff at offset 11)"),
    "unsupported-suffix": (
        "x.yaml",
        "input: x",
        'x.yaml: unsupported file type ".yaml" (expected .toml or .json)',
    ),
    # Unknown keys.
    "unknown-key-top": (
        "x.toml",
        'inptu = "x"\n',
        "x.toml: inptu: unknown key, did you mean `input`? (expected one of: commands, deadline_ms, "
        "delay_ms, description, effects, env, input, input_descriptor, input_labels, input_replayable, "
        "parallel_cap, pipeline, runs, schedule, source, stages)",
    ),
    "unknown-key-command": (
        "x.toml",
        HEAD + '[commands.a]\nretunrs = "A"\n',
        f"x.toml: commands.a.retunrs: unknown key, did you mean `returns`? (expected one of: {COMMAND_KEYS})",
    ),
    "unknown-key-no-suggestion": (
        "x.toml",
        HEAD + "[commands.a]\nzzz = 1\n",
        f"x.toml: commands.a.zzz: unknown key (expected one of: {COMMAND_KEYS})",
    ),
    "unknown-key-descriptor": (
        "x.toml",
        HEAD + "[commands.a]\nresult_descriptor = { lables = [] }\n",
        "x.toml: commands.a.result_descriptor.lables: unknown key, did you mean `labels`? "
        "(expected one of: capability, labels, policy_context, sources, taint, tools)",
    ),
    "unknown-key-effect": (
        "x.toml",
        HEAD + '[commands.a]\n[effects.audit]\nraises = "down"\nmessage = "x"\n',
        "x.toml: effects.audit.message: unknown key (expected one of: raises)",
    ),
    # Wrong types and ranges; values are shown as JSON.
    "duration-not-int": (
        "x.toml",
        HEAD + '[commands.a]\nduration_ms = "fast"\n',
        'x.toml: commands.a.duration_ms: expected a non-negative integer, got "fast"',
    ),
    "delay-negative": (
        "x.toml",
        HEAD + "delay_ms = -5\n[commands.a]\n",
        "x.toml: delay_ms: expected a non-negative integer, got -5",
    ),
    "schedule-negative": (
        "x.toml",
        HEAD + "schedule = [1, -2]\n[commands.a]\n",
        "x.toml: schedule[1]: expected a non-negative integer, got -2",
    ),
    "schedule-not-a-list": (
        "x.toml",
        HEAD + 'schedule = "1 2"\n[commands.a]\n',
        'x.toml: schedule: expected a list of non-negative integers, got "1 2"',
    ),
    "cap-bool": (
        "x.toml",
        HEAD + "parallel_cap = true\n[commands.a]\n",
        "x.toml: parallel_cap: expected an integer, got true",
    ),
    "deadline-zero": (
        "x.toml",
        HEAD + "deadline_ms = 0\n[commands.a]\n",
        "x.toml: deadline_ms: expected a positive integer, got 0",
    ),
    "description-not-str": (
        "x.toml",
        HEAD + "description = 3\n[commands.a]\n",
        "x.toml: description: expected a string, got 3",
    ),
    "retry-until-zero": (
        "x.toml",
        HEAD + "[commands.a]\nretry = true\nretry_until = 0\n",
        "x.toml: commands.a.retry_until: expected a positive integer, got 0",
    ),
    "from-negative": (
        "x.toml",
        HEAD + "[commands.a]\nretry = true\nfrom = -1\n",
        "x.toml: commands.a.from: expected a non-negative integer, got -1",
    ),
    "retry-not-bool": (
        "x.toml",
        HEAD + '[commands.a]\nretry = "yes"\n',
        'x.toml: commands.a.retry: expected true or false, got "yes"',
    ),
    "transform-unknown": (
        "x.toml",
        HEAD + '[commands.a]\ntransform = "title"\n',
        'x.toml: commands.a.transform: expected one of "upper", "lower", got "title"',
    ),
    "returns-each-empty": (
        "x.toml",
        HEAD + "[commands.a]\nreturns_each = []\n",
        "x.toml: commands.a.returns_each: expected a non-empty array, got []",
    ),
    "labels-not-array": (
        "x.toml",
        HEAD + '[commands.a]\nlabels = "secret"\n',
        'x.toml: commands.a.labels: expected an array of strings, got "secret"',
    ),
    "labels-item-not-str": (
        "x.toml",
        HEAD + '[commands.a]\nlabels = ["a", 1]\n',
        "x.toml: commands.a.labels[1]: expected a string, got 1",
    ),
    "env-value-not-str": (
        "x.toml",
        HEAD + "env = { LIMIT = 1 }\n[commands.a]\n",
        "x.toml: env.LIMIT: expected a string, got 1",
    ),
    "env-not-table": (
        "x.toml",
        HEAD + 'env = "LIMIT=1"\n[commands.a]\n',
        'x.toml: env: expected a table, got "LIMIT=1"',
    ),
    "effect-name-invalid": (
        "x.toml",
        HEAD + '[commands.a]\neffects = ["show it"]\n',
        f'x.toml: commands.a.effects[0]: invalid effect name "show it" ({NAME_RULE})',
    ),
    "json-null-in-value": (
        "x.json",
        '{"input": "x", "pipeline": "a", "commands": {"a": {"returns": [1, null]}}}',
        "x.json: commands.a.returns[1]: null is not supported (TOML has no null)",
    ),
    "toml-datetime": (
        "x.toml",
        'input = { when = 1979-05-27 }\npipeline = "a"\n[commands.a]\n',
        "x.toml: input.when: TOML dates and times are not supported, got 1979-05-27 (quote it to make a string)",
    ),
    "tool-without-name": (
        "x.toml",
        HEAD + "[commands.a]\nresult_descriptor = { tools = [{ args = [] }] }\n",
        "x.toml: commands.a.result_descriptor.tools[0]: missing `name`",
    ),
    "tools-not-array": (
        "x.toml",
        HEAD + 'input_descriptor = { tools = "grep" }\n[commands.a]\n',
        'x.toml: input_descriptor.tools: expected an array of tables, got "grep"',
    ),
    "policy-context-not-table": (
        "x.toml",
        HEAD + 'input_descriptor = { policy_context = "strict" }\n[commands.a]\n',
        'x.toml: input_descriptor.policy_context: expected a table, got "strict"',
    ),
    # Names.
    "command-name-invalid": (
        "x.toml",
        HEAD + '[commands."my cmd"]\n',
        f'x.toml: commands."my cmd": invalid command name "my cmd" ({NAME_RULE})',
    ),
    "command-name-reserved": (
        "x.toml",
        'input = "x"\npipeline = "__source__"\n[commands.__source__]\n',
        'x.toml: commands.__source__: reserved command name "__source__" (the executor gives it its own meaning)',
    ),
    "pipeline-unknown-command": (
        "x.toml",
        'input = "x"\npipeline = "left || rigth | combine"\n[commands.left]\n[commands.right]\n[commands.combine]\n',
        'x.toml: pipeline: unknown command "rigth" (defined: left, right, combine)',
    ),
    "stages-unknown-command": (
        "x.toml",
        'input = "x"\nstages = [["left", "rigth"]]\n[commands.left]\n[commands.right]\n',
        'x.toml: stages[0][1]: unknown command "rigth" (defined: left, right)',
    ),
    "no-commands-defined": (
        "x.toml",
        HEAD,
        'x.toml: pipeline: unknown command "a" (none defined; add a [commands.a] table)',
    ),
    "source-unknown-command": (
        "x.toml",
        HEAD + 'source = "sed"\n[commands.a]\n',
        'x.toml: source: unknown command "sed" (defined: a)',
    ),
    # The text form of the pipeline.
    "pipeline-empty": (
        "x.toml",
        'input = "x"\npipeline = ""\n',
        'x.toml: pipeline: empty pipeline "" (name at least one command, or write `stages = []` for a pipeline of no stage)',
    ),
    "pipeline-empty-last-stage": (
        "x.toml",
        'input = "x"\npipeline = "a |"\n[commands.a]\n',
        'x.toml: pipeline: empty stage at position 2 in "a |"',
    ),
    "pipeline-empty-first-stage": (
        "x.toml",
        'input = "x"\npipeline = "| a"\n[commands.a]\n',
        'x.toml: pipeline: empty stage at position 1 in "| a"',
    ),
    "pipeline-empty-branch": (
        "x.toml",
        'input = "x"\npipeline = "a || | b"\n[commands.a]\n',
        'x.toml: pipeline: empty branch in parallel group at position 1 in "a || | b"',
    ),
    "pipeline-only-bars": (
        "x.toml",
        'input = "x"\npipeline = "||"\n',
        'x.toml: pipeline: empty branch in parallel group at position 1 in "||"',
    ),
    "pipeline-triple-bar": (
        "x.toml",
        'input = "x"\npipeline = "a ||| b"\n',
        'x.toml: pipeline: "|||" is ambiguous in "a ||| b" (separate stages with " | ", branches with " || ")',
    ),
    "pipeline-invalid-name": (
        "x.toml",
        'input = "x"\npipeline = "a | b c"\n',
        f'x.toml: pipeline: invalid command name "b c" at position 2 ({NAME_RULE})',
    ),
    "pipeline-not-str": (
        "x.toml",
        'input = "x"\npipeline = ["a"]\n',
        'x.toml: pipeline: expected a string, got ["a"] (the array form is `stages = [...]`)',
    ),
    # The list form.
    "stages-empty-group": (
        "x.toml",
        'input = "x"\nstages = [[]]\n',
        "x.toml: stages[0]: empty parallel group (name at least one command)",
    ),
    "stages-nested-group": (
        "x.toml",
        'input = "x"\nstages = [["a", ["b"]]]\n',
        'x.toml: stages[0][1]: parallel groups do not nest, got ["b"]',
    ),
    "stages-item-not-str": (
        "x.toml",
        'input = "x"\nstages = [1]\n',
        "x.toml: stages[0]: expected a command name or an array of command names, got 1",
    ),
    "stages-branch-not-str": (
        "x.toml",
        'input = "x"\nstages = [["a", 1]]\n',
        "x.toml: stages[0][1]: expected a command name, got 1",
    ),
    "stages-invalid-name": (
        "x.toml",
        'input = "x"\nstages = ["a b"]\n',
        f'x.toml: stages[0]: invalid command name "a b" ({NAME_RULE})',
    ),
    "stages-not-array": (
        "x.toml",
        'input = "x"\nstages = "a | b"\n',
        'x.toml: stages: expected an array of command names, got "a | b" (the text form is `pipeline = "a | b"`)',
    ),
    # Conflicting or missing keys in the scenario.
    "pipeline-and-stages": (
        "x.toml",
        HEAD + 'stages = ["a"]\n[commands.a]\n',
        "x.toml: `pipeline` and `stages` cannot be combined (give the stages once)",
    ),
    "neither-pipeline-nor-stages": (
        "x.toml",
        'input = "x"\n[commands.a]\n',
        'x.toml: missing `pipeline` or `stages` (the commands to run, e.g. pipeline = "a | b")',
    ),
    "neither-input-nor-source": (
        "x.toml",
        'pipeline = "a"\n[commands.a]\n',
        "x.toml: missing `input` or `source` (the pipeline input)",
    ),
    "input-and-source": (
        "x.toml",
        HEAD + 'source = "s"\n[commands.a]\n[commands.s]\nreturns = "S"\n',
        "x.toml: `input` and `source` cannot be combined unless the source reads its input: "
        'command "s" has no {input} in its templates',
    ),
    "input-labels-and-descriptor": (
        "x.toml",
        HEAD + 'input_labels = ["secret"]\ninput_descriptor = { labels = ["secret"] }\n[commands.a]\n',
        "x.toml: `input_labels` and `input_descriptor` cannot be combined "
        "(put the labels in `input_descriptor.labels`)",
    ),
    # Conflicting keys in a command.
    "raises-and-retry": (
        "x.toml",
        HEAD + '[commands.a]\nraises = "boom"\nretry = true\n',
        "x.toml: commands.a: `raises` and `retry` cannot be combined",
    ),
    "returns-and-raises": (
        "x.toml",
        HEAD + '[commands.a]\nreturns = "A"\nraises = "boom"\n',
        "x.toml: commands.a: `returns` and `raises` cannot be combined (a command answers in one way)",
    ),
    "returns-and-returns-each": (
        "x.toml",
        HEAD + '[commands.a]\nreturns = "A"\nreturns_each = ["B"]\n',
        "x.toml: commands.a: `returns` and `returns_each` cannot be combined (a command answers in one way)",
    ),
    "returns-and-join": (
        "x.toml",
        HEAD + '[commands.a]\nreturns = "A"\njoin = ","\n',
        "x.toml: commands.a: `returns` and `join` cannot be combined (a command answers in one way)",
    ),
    "retry-until-without-retry": (
        "x.toml",
        HEAD + '[commands.a]\nretry_until = 2\nreturns = "A"\n',
        "x.toml: commands.a: `retry_until` requires `retry = true`",
    ),
    "hint-without-retry": (
        "x.toml",
        HEAD + '[commands.a]\nhint = "more"\n',
        "x.toml: commands.a: `hint` requires `retry = true`",
    ),
    "from-without-retry": (
        "x.toml",
        HEAD + "[commands.a]\nfrom = 0\n",
        "x.toml: commands.a: `from` requires `retry = true`",
    ),
    "hang-and-raises": (
        "x.toml",
        HEAD + '[commands.a]\nhang = true\nraises = "boom"\n',
        "x.toml: commands.a: `hang` and `raises` cannot be combined",
    ),
    # The keys of the input kinds, runs and the commands' side effects.
    "input-replayable-not-a-boolean": (
        "x.toml",
        'input = "x"\ninput_replayable = "no"\npipeline = "a"\n[commands.a]\n',
        'x.toml: input_replayable: expected true or false, got "no"',
    ),
    "input-replayable-false-with-source": (
        "x.toml",
        'source = "a"\ninput_replayable = false\npipeline = "a"\n[commands.a]\n',
        "x.toml: input_replayable: `false` describes a literal `input`; a `source` always replays",
    ),
    "runs-zero": (
        "x.toml",
        HEAD + "runs = 0\n[commands.a]\n",
        "x.toml: runs: expected a positive integer, got 0",
    ),
    "set-env-not-a-table": (
        "x.toml",
        HEAD + '[commands.a]\nset_env = "PIPELINE_PARALLEL_LIMIT=2"\n',
        'x.toml: commands.a.set_env: expected a table, got "PIPELINE_PARALLEL_LIMIT=2"',
    ),
    "set-env-value-not-a-string": (
        "x.toml",
        HEAD + "[commands.a]\nset_env = { PIPELINE_PARALLEL_LIMIT = 2 }\n",
        "x.toml: commands.a.set_env.PIPELINE_PARALLEL_LIMIT: expected a string, got 2",
    ),
    "mutates-input-not-a-boolean": (
        "x.toml",
        HEAD + "[commands.a]\nmutates_input = 1\n",
        "x.toml: commands.a.mutates_input: expected true or false, got 1",
    ),
    "interrupts-unknown-exception": (
        "x.toml",
        HEAD + '[commands.a]\ninterrupts = "ValueError"\n',
        'x.toml: commands.a.interrupts: expected "KeyboardInterrupt" or "SystemExit", got "ValueError"',
    ),
    "interrupts-and-returns": (
        "x.toml",
        HEAD + '[commands.a]\ninterrupts = "SystemExit"\nreturns = "x"\n',
        "x.toml: commands.a: `returns` and `interrupts` cannot be combined (a command answers in one way)",
    ),
    "interrupts-and-retry": (
        "x.toml",
        HEAD + '[commands.a]\ninterrupts = "SystemExit"\nretry = true\n',
        "x.toml: commands.a: `interrupts` and `retry` cannot be combined",
    ),
    "returns-js-unknown": (
        "x.toml",
        HEAD + '[commands.a]\nreturns_js = "NaN"\n',
        'x.toml: commands.a.returns_js: expected "null" or "undefined" or "object", got "NaN"',
    ),
    "returns-js-and-returns": (
        "x.toml",
        HEAD + '[commands.a]\nreturns_js = "null"\nreturns = "x"\n',
        "x.toml: commands.a: `returns` and `returns_js` cannot be combined (a command answers in one way)",
    ),
    "member-descriptors-not-an-array": (
        "x.toml",
        HEAD + '[commands.a]\nreturns = ["x"]\nmember_descriptors = { labels = ["pii"] }\n',
        'x.toml: commands.a.member_descriptors: expected a non-empty array of descriptor tables, got {"labels": ["pii"]}',
    ),
    "member-descriptors-unknown-key": (
        "x.toml",
        HEAD + '[commands.a]\nreturns = ["x"]\nmember_descriptors = [{ label = ["pii"] }]\n',
        "x.toml: commands.a.member_descriptors[0].label: unknown key, did you mean `labels`? "
        "(expected one of: capability, labels, policy_context, sources, taint, tools)",
    ),
    "member-descriptors-on-a-text-answer": (
        "x.toml",
        HEAD + '[commands.a]\nreturns = "x"\nmember_descriptors = [{ labels = ["pii"] }]\n',
        "x.toml: commands.a: `member_descriptors` needs `returns` or `returns_each` answering arrays or tables",
    ),
    "result-labels-and-descriptor": (
        "x.toml",
        HEAD + '[commands.a]\nresult_labels = ["pii"]\nresult_descriptor = {}\n',
        "x.toml: commands.a: `result_labels` and `result_descriptor` cannot be combined "
        "(put the labels in `result_descriptor.labels`)",
    ),
    "result-descriptor-and-plain-descriptor": (
        "x.toml",
        HEAD + '[commands.a]\nresult_descriptor = {}\nresult_plain_descriptor = { labels = "pii" }\n',
        "x.toml: commands.a: `result_descriptor` and `result_plain_descriptor` cannot be combined "
        "(a result has one descriptor)",
    ),
    "raises-from-without-raises": (
        "x.toml",
        HEAD + "[commands.a]\nraises_from = 2\n",
        "x.toml: commands.a: `raises_from` requires `raises`",
    ),
    "raises-from-zero": (
        "x.toml",
        HEAD + '[commands.a]\nraises = "boom"\nraises_from = 0\n',
        "x.toml: commands.a.raises_from: expected a positive integer, got 0",
    ),
    "result-plain-descriptor-date": (
        "x.toml",
        HEAD + "[commands.a]\nresult_plain_descriptor = { at = 1979-05-27 }\n",
        "x.toml: commands.a.result_plain_descriptor.at: TOML dates and times are not supported, "
        "got 1979-05-27 (quote it to make a string)",
    ),
    # Failing effects.
    "effect-without-raises": (
        "x.toml",
        HEAD + "[commands.a]\n[effects.audit]\n",
        "x.toml: effects.audit: missing `raises` (the message the effect fails with)",
    ),
    "effect-raises-not-str": (
        "x.toml",
        HEAD + "[commands.a]\n[effects.audit]\nraises = 1\n",
        "x.toml: effects.audit.raises: expected a string, got 1",
    ),
}


@pytest.mark.parametrize(("name", "content", "message"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_each_mistake_has_one_exact_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, content: str | bytes, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    if isinstance(content, bytes):
        Path(name).write_bytes(content)
    else:
        Path(name).write_text(content, encoding="utf-8")
    with pytest.raises(InvalidScenarioError) as caught:
        load_scenario(name)
    assert str(caught.value) == message
    assert "\n" not in message


def test_errors_name_the_path_as_given(tmp_path: Path) -> None:
    missing = tmp_path / "baselines" / "x.toml"
    with pytest.raises(InvalidScenarioError) as caught:
        load_scenario(missing)
    assert str(caught.value) == f"{missing}: no such file"
    assert (caught.value.path, caught.value.key) == (str(missing), "")


def test_key_paths_quote_keys_that_are_not_bare() -> None:
    document = {"input": {"a b": [1, None]}, "pipeline": "a", "commands": {"a": {}}}
    with pytest.raises(InvalidScenarioError) as caught:
        parse_scenario(document, path="baselines/x.json", name="x")
    assert str(caught.value) == 'baselines/x.json: input."a b"[1]: null is not supported (TOML has no null)'
    assert caught.value.key == 'input."a b"[1]'


FULL_TOML = """\
description = "Two branches, then a combine stage"
input = { text = "x", n = [1, 2.5, true] }
source = "seed"
input_descriptor = { labels = ["secret"], taint = ["src:file"], sources = ["disk"], \
tools = [{ name = "grep", args = ["-r"], audit_ref = "a1" }, { name = "ls" }], capability = "read", \
policy_context = { level = 2 } }
pipeline = "left || right | combine | ask | tag"
parallel_cap = 0
delay_ms = 100
env = { PIPELINE_PARALLEL_LIMIT = "1" }
deadline_ms = 5000

[commands.seed]
returns = "seed:{input}"
[commands.left]
returns = ["L:{input}", { nested = "{try}" }]
duration_ms = 30
[commands.right]
returns_each = ["draft", "final"]
[commands.combine]
join = " + "
transform = "upper"
[commands.ask]
retry = true
retry_until = 3
hint = { why = "{stage}" }
from = 0
[commands.tag]
labels = ["secret"]
result_labels = ["pii"]
value_descriptor = { taint = ["net"] }
effects = ["show", "audit"]
[commands.boom]
raises = "boom:{input}"
[commands.stuck]
hang = true

[effects.audit]
raises = "audit down: {input}"
"""

FULL = Scenario(
    name="full",
    description="Two branches, then a combine stage",
    input={"text": "x", "n": [1, 2.5, True]},
    has_input=True,
    source="seed",
    input_descriptor=DescriptorSpec(
        labels=("secret",),
        taint=("src:file",),
        sources=("disk",),
        tools=(ToolSpec(name="grep", args=("-r",), audit_ref="a1"), ToolSpec(name="ls")),
        capability="read",
        policy_context={"level": 2},
    ),
    stages=(("left", "right"), "combine", "ask", "tag"),
    parallel_cap=0,
    delay_ms=100,
    env={"PIPELINE_PARALLEL_LIMIT": "1"},
    deadline_ms=5000,
    commands={
        "seed": CommandSpec(name="seed", returns="seed:{input}"),
        "left": CommandSpec(name="left", returns=["L:{input}", {"nested": "{try}"}], duration_ms=30),
        "right": CommandSpec(name="right", returns_each=("draft", "final")),
        "combine": CommandSpec(name="combine", join=" + ", transform="upper"),
        "ask": CommandSpec(name="ask", retry=True, retry_until=3, hint={"why": "{stage}"}, from_stage=0),
        "tag": CommandSpec(
            name="tag",
            labels=("secret",),
            result_descriptor=DescriptorSpec(labels=("pii",)),
            value_descriptor=DescriptorSpec(taint=("net",)),
            effects=("show", "audit"),
        ),
        "boom": CommandSpec(name="boom", raises="boom:{input}"),
        "stuck": CommandSpec(name="stuck", hang=True),
    },
    failing_effects={"audit": "audit down: {input}"},
)


def test_a_file_with_every_key_parses_to_the_expected_values(tmp_path: Path) -> None:
    path = tmp_path / "full.toml"
    path.write_text(FULL_TOML, encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario == FULL
    assert scenario.path == str(path)
    assert scenario.commands["ask"].has_hint
    assert not scenario.commands["left"].has_hint
    assert list(scenario.commands) == ["seed", "left", "right", "combine", "ask", "tag", "boom", "stuck"]


def test_defaults_of_a_minimal_file(tmp_path: Path) -> None:
    path = tmp_path / "tiny.toml"
    path.write_text('input = ""\npipeline = "echo"\n[commands.echo]\n', encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario == Scenario(
        name="tiny", input="", stages=("echo",), commands={"echo": CommandSpec(name="echo")}
    )
    assert (scenario.description, scenario.source, scenario.input_descriptor) == (None, None, None)
    assert (scenario.parallel_cap, scenario.delay_ms, scenario.deadline_ms) == (None, None, 3_600_000)
    assert (dict(scenario.env), dict(scenario.failing_effects)) == ({}, {})
    assert scenario.commands["echo"].is_identity


@pytest.mark.parametrize(
    ("text", "stages"),
    [
        ("a", ("a",)),
        ("  a|b  ", ("a", "b")),
        ("left || right | combine", (("left", "right"), "combine")),
        ("a||b||c|d|e||f", (("a", "b", "c"), "d", ("e", "f"))),
        ("_x-1 | Y_2", ("_x-1", "Y_2")),
    ],
)
def test_parse_pipeline_splits_stages_and_branches(text: str, stages: tuple[object, ...]) -> None:
    assert parse_pipeline(text, path="x.toml") == stages


def test_text_and_list_forms_give_equal_scenarios() -> None:
    commands = {"left": {}, "right": {}, "combine": {"join": " + "}}
    text_form = parse_scenario(
        {"input": "x", "pipeline": "left || right | combine", "commands": commands}, path="a.toml", name="s"
    )
    list_form = parse_scenario(
        {"input": "x", "stages": [[" left", "right"], "combine"], "commands": commands},
        path="b.toml",
        name="s",
    )
    assert text_form == list_form


PARALLEL_TOML = """\
input = 3
input_labels = ["secret"]
pipeline = "ok || fail | combine"
[commands.ok]
returns = { text = "ok:{input}", n = [1.5, false] }
value_descriptor = { tools = [{ name = "t" }], policy_context = {} }
[commands.fail]
raises = "boom:{input}"
[commands.combine]
join = ","
effects = ["show"]
[effects.show]
raises = "no screen"
"""

PARALLEL_JSON = """\
{
  "input": 3,
  "input_labels": ["secret"],
  "stages": [["ok", "fail"], "combine"],
  "commands": {
    "ok": {
      "returns": {"text": "ok:{input}", "n": [1.5, false]},
      "value_descriptor": {"tools": [{"name": "t"}], "policy_context": {}}
    },
    "fail": {"raises": "boom:{input}"},
    "combine": {"join": ",", "effects": ["show"]}
  },
  "effects": {"show": {"raises": "no screen"}}
}
"""


def test_json_and_toml_give_equal_scenarios(tmp_path: Path) -> None:
    (tmp_path / "parallel.toml").write_text(PARALLEL_TOML, encoding="utf-8")
    (tmp_path / "parallel.json").write_text(PARALLEL_JSON, encoding="utf-8")
    from_toml = load_scenario(tmp_path / "parallel.toml")
    assert from_toml == load_scenario(tmp_path / "parallel.json")
    assert from_toml.commands["ok"].value_descriptor == DescriptorSpec(
        tools=(ToolSpec(name="t"),), policy_context={}
    )


def test_input_and_source_together_when_the_source_reads_its_input() -> None:
    for seed in ({"returns": ["{input}!"]}, {"join": ","}, {}):
        document = {"input": "x", "source": "seed", "pipeline": "seed", "commands": {"seed": seed}}
        assert parse_scenario(document, path="x.toml", name="x").source == "seed"


def test_returns_js_and_member_descriptors_load_and_write_back(tmp_path: Path) -> None:
    path = tmp_path / "js.toml"
    path.write_text(
        HEAD.replace('"a"', '"a | b"') + '[commands.a]\nreturns_js = "undefined"\n'
        '[commands.b]\nreturns_each = [["x"], { k = "v" }]\nmember_descriptors = [{ labels = ["pii"], taint = ["net"] }]\n',
        encoding="utf-8",
    )
    scenario = load_scenario(path)
    assert scenario.commands["a"].returns_js == "undefined"
    assert scenario.commands["b"].member_descriptors == (DescriptorSpec(labels=("pii",), taint=("net",)),)
    assert load_scenario(dump_scenario(scenario, tmp_path / "again" / "js.toml")) == scenario


def test_a_plain_result_descriptor_is_kept_as_written(tmp_path: Path) -> None:
    """``result_plain_descriptor`` is any TOML value, kept unchecked for the executor (a loader that built it is seen)."""
    text = HEAD + '[commands.a]\nresult_plain_descriptor = { labels = "pii", tools = { name = "t" }, capability = 7 }\n'
    scenario = parse_scenario(tomllib.loads(text), path="x.toml", name="x")
    plain = {"labels": "pii", "tools": {"name": "t"}, "capability": 7}
    assert scenario.commands["a"].result_plain_descriptor == plain
    assert scenario.commands["a"].result_descriptor is None
    path = tmp_path / "x.toml"
    dump_scenario(scenario, path)
    assert load_scenario(path).commands["a"].result_plain_descriptor == plain
    text = HEAD + '[commands.a]\nresult_plain_descriptor = "secret"\n'
    assert parse_scenario(tomllib.loads(text), path="x.toml", name="x").commands["a"].result_plain_descriptor == "secret"


def test_raises_from_is_read_and_round_trips(tmp_path: Path) -> None:
    """``raises_from`` is kept with its ``raises`` and written back (a loader that dropped it is seen)."""
    text = HEAD + '[commands.a]\nraises = "down"\nraises_from = 2\n'
    scenario = parse_scenario(tomllib.loads(text), path="x.toml", name="x")
    assert (scenario.commands["a"].raises, scenario.commands["a"].raises_from) == ("down", 2)
    assert scenario.commands["a"].reads_input
    path = tmp_path / "x.toml"
    dump_scenario(scenario, path)
    assert load_scenario(path).commands["a"].raises_from == 2


def test_json_null_is_kept_for_input_and_hint(tmp_path: Path) -> None:
    path = tmp_path / "nulls.json"
    document = {"input": None, "pipeline": "ask", "commands": {"ask": {"retry": True, "hint": None}}}
    path.write_text(json.dumps(document), encoding="utf-8")
    scenario = load_scenario(path)
    assert (scenario.has_input, scenario.input) == (True, None)
    assert (scenario.commands["ask"].has_hint, scenario.commands["ask"].hint) == (True, None)
    assert load_scenario(dump_scenario(scenario, tmp_path / "again" / "nulls.json")) == scenario
    with pytest.raises(ValueError, match="TOML has no null"):
        dump_scenario(scenario, tmp_path / "nulls.toml")


def test_to_document_leaves_out_defaults_in_a_stable_order() -> None:
    assert Scenario(
        name="s", source="a", stages=(("a", "b"),), commands=_identity("a", "b")
    ).to_document() == {
        "source": "a",
        "stages": [["a", "b"]],
        "commands": {"a": {}, "b": {}},
    }
    assert list(FULL.to_document()) == [
        "description", "input", "source", "input_descriptor", "stages", "parallel_cap", "delay_ms",
        "env", "deadline_ms", "commands", "effects",
    ]  # fmt: skip
    assert FULL.to_document()["commands"]["tag"] == {  # type: ignore[index]
        "labels": ["secret"],
        "result_labels": ["pii"],
        "value_descriptor": {"taint": ["net"]},
        "effects": ["show", "audit"],
    }


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_dump_then_load_gives_an_equal_scenario(tmp_path: Path, suffix: str) -> None:
    assert load_scenario(dump_scenario(FULL, tmp_path / f"full{suffix}")) == FULL


def test_toml_writer_escapes_awkward_strings_and_keys(tmp_path: Path) -> None:
    awkward = 'quote " back \\ tab \t nl \n del \x7f nul \x00 é ✓ {input}'
    scenario = Scenario(
        name="awkward",
        input={awkward: [awkward, -0.0, 1e300, float("inf")], "": {}},
        stages=("a",),
        env={"PIPELINE_PARALLEL_LIMIT": awkward},
        commands={"a": CommandSpec(name="a", returns={"k.e.y": [[], {}]})},
    )
    assert load_scenario(dump_scenario(scenario, tmp_path / "awkward.toml")) == scenario


def test_dump_refuses_other_suffixes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="use .toml or .json"):
        dump_scenario(FULL, tmp_path / "full.yaml")


# Any text but a `{name}` that is no placeholder, which the loader refuses (harness.scenario.limits).
_TEXT = st.text(st.characters(codec="utf-8"), max_size=6).filter(
    lambda text: re.search(r"\{[A-Za-z_][A-Za-z0-9_]*\}", text) is None
)
_NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,5}", fullmatch=True).filter(
    lambda n: n not in RESERVED_NAMES
)
_VALUES = st.recursive(
    st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False) | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=6,
)
_STRINGS = st.lists(_TEXT, max_size=2).map(tuple)
_DESCRIPTORS = st.builds(
    DescriptorSpec,
    labels=_STRINGS,
    taint=_STRINGS,
    sources=_STRINGS,
    tools=st.lists(
        st.builds(ToolSpec, name=_TEXT, args=st.none() | _STRINGS, audit_ref=st.none() | _TEXT), max_size=2
    ).map(tuple),
    capability=st.none() | _TEXT,
    policy_context=st.none() | st.dictionaries(_TEXT, _VALUES, max_size=2),
)


@st.composite
def _commands(draw: st.DrawFn, name: str) -> CommandSpec:
    answer = draw(st.sampled_from(("returns", "returns_each", "join", "raises", None)))
    fields: dict[str, object] = {}
    if answer == "returns":
        fields["returns"] = draw(_VALUES)
    elif answer == "returns_each":
        fields["returns_each"] = tuple(draw(st.lists(_VALUES, min_size=1, max_size=3)))
    elif answer is not None:
        fields[answer] = draw(_TEXT)
    if answer != "raises" and draw(st.booleans()):
        fields.update(retry=True, retry_until=draw(st.none() | st.integers(1, 5)))
        fields.update(from_stage=draw(st.none() | st.integers(0, 5)), hint=draw(st.none() | _VALUES))
    return CommandSpec(
        name=name,
        duration_ms=draw(st.integers(0, 100)),
        labels=draw(_STRINGS),
        result_descriptor=draw(st.none() | _DESCRIPTORS),
        value_descriptor=draw(st.none() | _DESCRIPTORS),
        effects=tuple(draw(st.lists(_NAMES, max_size=2))),
        transform=draw(st.sampled_from((None, "upper", "lower"))),
        hang=answer != "raises" and draw(st.booleans()),
        **fields,  # type: ignore[arg-type]
    )


@st.composite
def _scenarios(draw: st.DrawFn) -> Scenario:
    names = draw(st.lists(_NAMES, min_size=1, max_size=4, unique=True))
    commands = {name: draw(_commands(name)) for name in names}
    stage = st.sampled_from(names) | st.lists(st.sampled_from(names), min_size=1, max_size=3).map(tuple)
    source = draw(st.none() | st.sampled_from(names))
    has_input = source is None or (commands[source].reads_input and draw(st.booleans()))
    return Scenario(
        name="drawn",
        description=draw(st.none() | _TEXT),
        input=draw(_VALUES) if has_input else None,
        source=source,
        input_descriptor=draw(st.none() | _DESCRIPTORS),
        stages=tuple(draw(st.lists(stage, min_size=1, max_size=4))),
        parallel_cap=draw(st.none() | st.integers(-2, 8)),
        delay_ms=draw(st.none() | st.integers(0, 1000)),
        env=draw(st.dictionaries(st.just("PIPELINE_PARALLEL_LIMIT"), _TEXT, max_size=1)),
        deadline_ms=draw(st.integers(1, 10_000_000)),
        commands=commands,
        failing_effects=draw(st.dictionaries(_NAMES, _TEXT, max_size=2)),
    )


@settings(max_examples=75, deadline=None, database=None)
@given(scenario=_scenarios(), suffix=st.sampled_from([".toml", ".json"]))
def test_any_expressible_scenario_survives_dump_and_load(
    tmp_path_factory: pytest.TempPathFactory, scenario: Scenario, suffix: str
) -> None:
    path = dump_scenario(scenario, tmp_path_factory.mktemp("roundtrip") / f"drawn{suffix}")
    assert load_scenario(path) == scenario


def test_discover_expands_directories_and_skips_baselines_and_snapshots(tmp_path: Path) -> None:
    for relative in (
        "b.toml", "a.json", "notes.md", "x.baseline.json", "sub/c.toml",
        "__snapshots__/d.toml", "sub/__snapshots__/e.json",
    ):  # fmt: skip
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("", encoding="utf-8")
    explicit = tmp_path / "x.baseline.json"
    assert discover_scenarios([tmp_path, explicit, tmp_path / "b.toml"]) == [
        tmp_path / "a.json",
        tmp_path / "b.toml",
        tmp_path / "sub" / "c.toml",
        explicit,
    ]


def test_discover_reports_a_missing_path(tmp_path: Path) -> None:
    with pytest.raises(InvalidScenarioError) as caught:
        discover_scenarios([tmp_path / "nowhere"])
    assert str(caught.value) == f"{tmp_path / 'nowhere'}: no such file or directory"


def test_values_check_their_invariants_when_built_in_code() -> None:
    with pytest.raises(ValueError, match="`raises` and `retry` cannot be combined"):
        CommandSpec(name="a", raises="boom", retry=True)
    with pytest.raises(ValueError, match="unknown command 'b'"):
        Scenario(name="s", input="x", stages=("a", ("b",)), commands=_identity("a"))
    with pytest.raises(ValueError, match="missing `input` or `source`"):
        Scenario(name="s", stages=("a",), commands=_identity("a"))
    with pytest.raises(ValueError, match="named 'b'"):
        Scenario(
            name="s",
            input="x",
            stages=("a",),
            commands={"a": CommandSpec(name="a"), "b": CommandSpec(name="a")},
        )
    with pytest.raises(ValueError, match="JSON-like"):
        Scenario(name="s", input=("a", "tuple"), stages=("a",), commands=_identity("a"))  # type: ignore[arg-type]


def test_values_are_frozen_and_hashable() -> None:
    assert hash(FULL) == hash(Scenario(**{f: getattr(FULL, f) for f in FULL.__dataclass_fields__}))
    with pytest.raises(TypeError):
        FULL.commands["new"] = CommandSpec(name="new")  # type: ignore[index]
    with pytest.raises(AttributeError):
        FULL.name = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("command", "is_identity", "reads_input"),
    [
        (CommandSpec(name="a"), True, True),
        (CommandSpec(name="a", returns="x"), False, False),
        (CommandSpec(name="a", returns={"k": ["{input}"]}), False, True),
        (CommandSpec(name="a", returns_each=("x", "{input}")), False, True),
        (CommandSpec(name="a", raises="boom {input}"), False, True),
        (CommandSpec(name="a", join=","), False, True),
        (CommandSpec(name="a", retry=True), False, False),
        (CommandSpec(name="a", retry=True, retry_until=2), True, True),
        (CommandSpec(name="a", retry=True, hint="{input}?"), False, True),
        (CommandSpec(name="a", hang=True), False, False),
    ],
)
def test_identity_and_reading_the_input(command: CommandSpec, is_identity: bool, reads_input: bool) -> None:
    assert (command.is_identity, command.reads_input) == (is_identity, reads_input)


def test_public_surface() -> None:
    for value_type in (Scenario, CommandSpec, DescriptorSpec, ToolSpec):
        assert typing.get_type_hints(value_type)  # the annotations resolve at run time
    assert sorted(harness.scenario.__all__) == [
        "CommandSpec", "DEFAULT_DEADLINE_MS", "DescriptorSpec", "JSONValue", "Scenario", "StageSpec", "ToolSpec",
        "Transform", "discover_scenarios", "dump_scenario", "load_scenario", "parse_pipeline", "parse_scenario",
        "scenario_text",
    ]  # fmt: skip


def _identity(*names: str) -> dict[str, CommandSpec]:
    return {name: CommandSpec(name=name) for name in names}


@pytest.mark.parametrize("which", ["reference", "extracted"])
def test_an_empty_pipeline_loads_and_returns_its_input(which: str, tmp_path: Path) -> None:
    """``stages = []`` is a scenario: the executor accepts no stage and returns its input, labels and all.

    The loader refused it before, so no scenario could pin what both executors do there.
    """
    from harness.candidates import BUILTIN_IMPLEMENTATIONS
    from harness.observation import observe

    path = tmp_path / "empty.toml"
    path.write_text('input = "in"\ninput_labels = ["secret"]\nstages = []\n', encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.stages == ()
    observation = observe(scenario, BUILTIN_IMPLEMENTATIONS[which])
    assert (observation["outcome"], observation["output"]["text"], observation["output"]["labels"]) == ("ok", "in", ["secret"])
    assert [stage["stage"] for stage in observation["stages"]] == [0] and observation["timeline"] == []


def test_every_mistake_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    """One error names each mistake on a line of its own, in reading order, without knock-on mistakes.

    The loader stopped at the first mistake before, so fixing a file took one run per mistake.
    """
    path = tmp_path / "x.toml"
    path.write_text(
        'input = "x"\npipeline = "a | b"\ndelay_ms = -1\ncolour = 1\n'
        '[commands.a]\nduration_ms = "fast"\n[commands.b]\nretrun = 1\n',
        encoding="utf-8",
    )
    with pytest.raises(InvalidScenarioError) as raised:
        load_scenario(path)
    lines = str(raised.value).splitlines()
    assert [line.split(": ")[1] for line in lines] == ["colour", "delay_ms", "commands.a.duration_ms", "commands.b.retrun"]
    assert all(line.startswith(f"{path}: ") for line in lines)
    assert (raised.value.key, raised.value.path) == ("colour", str(path))
