"""Read scenario files into :class:`~harness.scenario.model.Scenario` values.

A scenario file is TOML (``.toml``, read with :mod:`tomllib`) or JSON
(``.json``) and holds one scenario, named after the file stem.  Every mistake
raises :class:`~harness.errors.InvalidScenarioError` with a one-line message
``FILE: KEY: PROBLEM``, the key being a path such as ``commands.left.returns``
or ``stages[0][1]`` (empty when the whole file is at fault)::

    x.toml: commands.left.duration_ms: expected a non-negative integer, got "fast"

Values are shown as JSON.  Every table has a closed set of keys, so a typo is
an error, never an ignored key.  TOML has no null: JSON ``null`` is refused
except as the whole of ``input`` or of a command's ``hint``, where it differs
from leaving the key out.  TOML dates and times are refused everywhere.
"""

from __future__ import annotations

import datetime
import difflib
import json
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar, final

from harness.errors import InvalidScenarioError, describe_json_error
from harness.scenario.limits import MAX_FILE_BYTES, check_scenario_limits
from harness.scenario.model import (
    DEFAULT_DEADLINE_MS,
    INTERRUPTIONS,
    JS_ANSWERS,
    NAME_PATTERN,
    CommandSpec,
    DescriptorSpec,
    JSONValue,
    Scenario,
    StageSpec,
    ToolSpec,
    Transform,
)

__all__ = [
    "COMMAND_KEYS",
    "DESCRIPTOR_KEYS",
    "EFFECT_KEYS",
    "SCENARIO_KEYS",
    "TOOL_KEYS",
    "discover_scenarios",
    "load_scenario",
    "parse_pipeline",
    "parse_scenario",
]

_T = TypeVar("_T")

SCENARIO_KEYS = (
    "description", "input", "source", "input_replayable", "input_labels", "input_descriptor", "pipeline",
    "stages", "parallel_cap", "delay_ms", "env", "deadline_ms", "runs", "commands", "effects", "schedule",
)  # fmt: skip
COMMAND_KEYS = (
    "returns", "returns_json", "returns_each", "join", "raises", "duration_ms", "retry", "retry_until", "hint", "from",
    "labels", "result_labels", "result_descriptor", "value_labels", "value_descriptor", "effects",
    "transform", "hang", "set_env", "mutates_input", "interrupts", "returns_js", "member_descriptors",
    "result_plain_descriptor", "raises_from",
)  # fmt: skip
DESCRIPTOR_KEYS = ("labels", "taint", "sources", "tools", "capability", "policy_context")
TOOL_KEYS = ("name", "args", "audit_ref")
EFFECT_KEYS = ("raises",)
_SUFFIXES = (".toml", ".json")
_NAME_RULE = "use letters, digits, `_` and `-`, starting with a letter or `_`"
_SHOWN_CHARS = 60
MAX_VALUE_DEPTH = 32
"""How deeply arrays and tables may nest inside a value; deeper is surely a mistake, and would exhaust the stack."""
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_NOT_A_TABLE = "the top level must be a table (a JSON object), got "


def load_scenario(path: Path | str) -> Scenario:
    """Read and check one ``.toml`` or ``.json`` scenario file.

    Errors name ``path`` exactly as given.  Raises InvalidScenarioError.
    """
    file = Path(path)
    if file.is_dir():
        raise InvalidScenarioError(path, "", "is a folder, not a scenario file (name one .toml or .json file in it)")
    if file.suffix not in _SUFFIXES:
        shown = f'"{file.suffix}"' if file.suffix else "no suffix"
        problem = f"unsupported file type {shown} (expected .toml or .json)"
        raise InvalidScenarioError(path, "", problem)
    try:
        raw = _read_bounded(file)
    except FileNotFoundError:
        raise InvalidScenarioError(path, "", "no such file") from None
    except OSError as exc:
        raise InvalidScenarioError(path, "", f"cannot read the file: {exc.strerror}") from None
    scenario = parse_scenario(_decode(raw, file.suffix, str(path)), path=str(path), name=file.stem)
    return check_scenario_limits(scenario)


def _read_bounded(file: Path) -> bytes:
    """The file's bytes, refusing one past :data:`MAX_FILE_BYTES` before reading it all."""
    with file.open("rb") as handle:
        raw = handle.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        problem = f"larger than the limit of {MAX_FILE_BYTES // (1024 * 1024)} MiB (a scenario this large is surely a mistake)"
        raise InvalidScenarioError(str(file), "", problem)
    return raw


def parse_scenario(document: Mapping[str, object], *, path: str, name: str) -> Scenario:
    """Check a parsed document (as ``tomllib`` or ``json`` give it) and build the scenario.

    ``path`` is only used in messages. Reading goes on past a mistake, key by
    key and command by command, so that one error names every mistake of the
    file, one line each (a key whose value is wrong reports its first
    problem). Raises InvalidScenarioError.
    """
    read = _DocumentReader(path)
    if not isinstance(document, Mapping):
        raise read.fail("", _NOT_A_TABLE + _show(document))
    mistakes = _Mistakes()
    for key in document:
        if key not in SCENARIO_KEYS:
            mistakes.found.append(read.fail(key, _unknown_key(key, SCENARIO_KEYS)))
    has_input = "input" in document
    description = mistakes.attempt(lambda: read.optional(document, "", "description", read.string))
    input_value = mistakes.attempt(lambda: read.nullable_value(document["input"], "input") if has_input else None)
    source = mistakes.attempt(lambda: read.optional(document, "", "source", read.name))
    input_replayable = mistakes.attempt(lambda: read.optional(document, "", "input_replayable", read.boolean))
    if input_replayable is False and source is not None:
        mistakes.found.append(read.fail("input_replayable", "`false` describes a literal `input`; a `source` always replays"))
    input_descriptor = mistakes.attempt(lambda: read.labelled(document, "", "input"))
    # A misspelt key would also be reported as the stages it failed to give: say it once.
    misspelt = bool(mistakes.found) and "pipeline" not in document and "stages" not in document
    stages, stage_keys = ((), []) if misspelt else mistakes.attempt(lambda: read.stages(document)) or ((), [])
    parallel_cap = mistakes.attempt(lambda: read.optional(document, "", "parallel_cap", read.integer))
    delay_ms = mistakes.attempt(lambda: read.optional(document, "", "delay_ms", read.count))
    env = mistakes.attempt(lambda: read.optional(document, "", "env", read.env))
    deadline_ms = mistakes.attempt(lambda: read.optional(document, "", "deadline_ms", read.positive))
    runs = mistakes.attempt(lambda: read.optional(document, "", "runs", read.positive))
    commands, broken = read.commands(document.get("commands", {}), "commands", mistakes)
    failing_effects = mistakes.attempt(lambda: read.failing_effects(document.get("effects", {}), "effects")) or {}
    schedule = mistakes.attempt(lambda: read.optional(document, "", "schedule", read.counts))
    # Names are checked against the commands only when every command read well.
    if not broken:
        for command, key in zip(_stage_names(stages), stage_keys):
            if command not in commands:
                mistakes.found.append(read.fail(key, _unknown_command(command, commands)))
        if source is not None and source not in commands:
            mistakes.found.append(read.fail("source", _unknown_command(source, commands)))
    mistakes.raise_any()
    try:
        return Scenario(
            name=name,
            path=path,
            description=description,
            input=input_value,
            has_input=has_input,
            source=source,
            input_replayable=input_replayable is not False,
            input_descriptor=input_descriptor,
            stages=stages,
            parallel_cap=parallel_cap,
            delay_ms=delay_ms,
            env=env or {},
            deadline_ms=DEFAULT_DEADLINE_MS if deadline_ms is None else deadline_ms,
            commands=commands,
            failing_effects=failing_effects,
            runs=1 if runs is None else runs,
            schedule=schedule or (),
        )
    except ValueError as exc:
        raise read.fail("", str(exc)) from None


def parse_pipeline(text: str, *, path: str) -> tuple[StageSpec, ...]:
    """Split the text form ``"a || b | c"`` into stages: ``(("a", "b"), "c")``.

    ``|`` separates stages and ``||`` the branches of one parallel group;
    whitespace around names is ignored.  Raises InvalidScenarioError (key
    ``pipeline``) for an empty pipeline, stage or branch, or a bad name.
    """

    def fail(problem: str) -> InvalidScenarioError:
        return InvalidScenarioError(path, "pipeline", problem)

    if not text.strip():
        fix = "name at least one command, or write `stages = []` for a pipeline of no stage"
        raise fail(f"empty pipeline {_show(text)} ({fix})")
    if "|||" in text:
        raise fail(f'"|||" is ambiguous in {_show(text)} (separate stages with " | ", branches with " || ")')
    stages: list[StageSpec] = []
    for position, stage_text in enumerate(re.split(r"(?<!\|)\|(?!\|)", text), start=1):
        if not stage_text.strip():
            raise fail(f"empty stage at position {position} in {_show(text)}")
        branches = [branch.strip() for branch in stage_text.split("||")]
        for branch in branches:
            if not branch:
                raise fail(f"empty branch in parallel group at position {position} in {_show(text)}")
            if not NAME_PATTERN.fullmatch(branch):
                raise fail(f"invalid command name {_show(branch)} at position {position} ({_NAME_RULE})")
        stages.append(branches[0] if len(branches) == 1 else tuple(branches))
    return tuple(stages)


def discover_scenarios(paths: Sequence[Path | str]) -> list[Path]:
    """Expand files and directories into the scenario files to run, in a stable order.

    A directory yields its ``*.toml`` and ``*.json`` files, recursively and
    sorted, except ``*.baseline.json`` files and anything under a
    ``__snapshots__`` folder; a file is taken as it is.  A path named twice
    is listed once.  Raises InvalidScenarioError for a path that does not exist.
    """
    found: dict[Path, None] = {}
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for candidate in sorted(path.rglob("*")):
                if _is_scenario_file(candidate, path):
                    found.setdefault(candidate)
        elif path.exists():
            found.setdefault(path)
        else:
            raise InvalidScenarioError(given, "", "no such file or directory")
    return list(found)


@final
class _Mistakes:
    """The mistakes found in one file so far: reading goes on past each, so that the user sees them all."""

    __slots__ = ("found",)

    def __init__(self) -> None:
        self.found: list[InvalidScenarioError] = []

    def __repr__(self) -> str:
        return f"_Mistakes({len(self.found)} found)"

    def attempt(self, read: Callable[[], _T]) -> _T | None:
        """``read()``, or ``None`` after noting the mistake it raised."""
        try:
            return read()
        except InvalidScenarioError as mistake:
            self.found.append(mistake)
            return None

    def raise_any(self) -> None:
        """Raise one error naming every mistake found, one line each; nothing when there is none."""
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise _SeveralMistakes(self.found)


class _SeveralMistakes(InvalidScenarioError):
    """Several mistakes in one file: the first one's path and key, and every mistake's line in the message."""

    def __init__(self, mistakes: Sequence[InvalidScenarioError]) -> None:
        first = mistakes[0]
        super().__init__(first.path, first.key, first.problem)
        self.args = ("\n".join(str(mistake) for mistake in mistakes),)


@dataclass(frozen=True, slots=True)
class _DocumentReader:
    """Checks the parts of one document; each method gets the value and its key path."""

    path: str

    def fail(self, key: str, problem: str) -> InvalidScenarioError:
        return InvalidScenarioError(self.path, key, problem)

    def expected(self, key: str, what: str, value: object, fix: str = "") -> InvalidScenarioError:
        return self.fail(key, f"expected {what}, got {_show(value)}{fix}")

    def optional(
        self, table: Mapping[str, object], key: str, name: str, read: Callable[[object, str], _T]
    ) -> _T | None:
        return read(table[name], _child(key, name)) if name in table else None

    def table(self, value: object, key: str, allowed: Sequence[str] | None = None) -> Mapping[str, object]:
        if not isinstance(value, Mapping):
            raise self.expected(key, "a table", value)
        for name in value:
            if allowed is not None and name not in allowed:
                raise self.fail(_child(key, name), _unknown_key(name, allowed))
        return value

    def string(self, value: object, key: str) -> str:
        if not isinstance(value, str):
            raise self.expected(key, "a string", value)
        return value

    def json_text(self, value: object, key: str) -> str:
        text = self.string(value, key)
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise self.fail(key, f"invalid JSON text: {describe_json_error(exc)}") from None
        except (ValueError, RecursionError):  # an integer too long to convert, or absurd nesting
            raise self.fail(key, "invalid JSON text: too large or nested too deeply") from None
        if _depth(parsed) > MAX_VALUE_DEPTH:
            raise self.fail(key, f"nested deeper than {MAX_VALUE_DEPTH} levels")
        return text

    def strings(self, value: object, key: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.expected(key, "an array of strings", value)
        return tuple(self.string(item, _item(key, index)) for index, item in enumerate(value))

    def boolean(self, value: object, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.expected(key, "true or false", value)
        return value

    def integer(self, value: object, key: str, minimum: int | None = None) -> int:
        # bool is a subclass of int, but `retry_until = true` is a mistake.
        if isinstance(value, int) and not isinstance(value, bool) and (minimum is None or value >= minimum):
            return value
        what = {None: "an integer", 0: "a non-negative integer", 1: "a positive integer"}[minimum]
        raise self.expected(key, what, value)

    def count(self, value: object, key: str) -> int:
        return self.integer(value, key, minimum=0)

    def counts(self, value: object, key: str) -> tuple[int, ...]:
        if not isinstance(value, list):
            raise self.expected(key, "a list of non-negative integers", value)
        return tuple(self.count(item, _item(key, index)) for index, item in enumerate(value))

    def positive(self, value: object, key: str) -> int:
        return self.integer(value, key, minimum=1)

    def name(self, value: object, key: str, kind: str = "command") -> str:
        if not isinstance(value, str):
            raise self.expected(key, f"a {kind} name", value)
        if not NAME_PATTERN.fullmatch(value):
            raise self.fail(key, f"invalid {kind} name {_show(value)} ({_NAME_RULE})")
        return value

    def effect_names(self, value: object, key: str) -> tuple[str, ...]:
        names = self.strings(value, key)
        for index, name in enumerate(names):
            self.name(name, _item(key, index), "effect")
        return names

    def nullable_value(self, value: object, key: str) -> JSONValue | None:
        return None if value is None else self.value(value, key)

    def value(self, value: object, key: str, depth: int = 0) -> JSONValue:
        if value is None:
            raise self.fail(key, "null is not supported (TOML has no null)")
        if isinstance(value, (str, int, float)):
            return value
        if depth >= MAX_VALUE_DEPTH and isinstance(value, (list, Mapping)):
            raise self.fail(key, f"nested deeper than {MAX_VALUE_DEPTH} levels")
        if isinstance(value, list):
            return [self.value(item, _item(key, index), depth + 1) for index, item in enumerate(value)]
        if isinstance(value, Mapping):
            return {name: self.value(item, _child(key, name), depth + 1) for name, item in value.items()}
        problem = f"TOML dates and times are not supported, got {_show(value)} (quote it to make a string)"
        raise self.fail(key, problem)

    def answers(self, value: object, key: str) -> tuple[JSONValue, ...]:
        if not isinstance(value, list) or not value:
            raise self.expected(key, "a non-empty array", value)
        return tuple(self.value(item, _item(key, index)) for index, item in enumerate(value))

    def transform(self, value: object, key: str) -> Transform:
        if value not in ("upper", "lower"):
            raise self.expected(key, 'one of "upper", "lower"', value)
        return value

    def plain_table(self, value: object, key: str) -> dict[str, JSONValue]:
        table = self.table(value, key)
        return {name: self.value(item, _child(key, name)) for name, item in table.items()}

    def env(self, value: object, key: str) -> dict[str, str]:
        table = self.table(value, key)
        return {name: self.string(item, _child(key, name)) for name, item in table.items()}

    def descriptor(self, value: object, key: str) -> DescriptorSpec:
        table = self.table(value, key, DESCRIPTOR_KEYS)
        tools = table.get("tools", [])
        tools_key = _child(key, "tools")
        if not isinstance(tools, list):
            raise self.expected(tools_key, "an array of tables", tools)
        return DescriptorSpec(
            labels=self.strings(table.get("labels", []), _child(key, "labels")),
            taint=self.strings(table.get("taint", []), _child(key, "taint")),
            sources=self.strings(table.get("sources", []), _child(key, "sources")),
            tools=tuple(self.tool(tool, _item(tools_key, index)) for index, tool in enumerate(tools)),
            capability=self.optional(table, key, "capability", self.string),
            policy_context=self.optional(table, key, "policy_context", self.plain_table),
        )

    def tool(self, value: object, key: str) -> ToolSpec:
        table = self.table(value, key, TOOL_KEYS)
        if "name" not in table:
            raise self.fail(key, "missing `name`")
        return ToolSpec(
            name=self.string(table["name"], _child(key, "name")),
            args=self.optional(table, key, "args", self.strings),
            audit_ref=self.optional(table, key, "audit_ref", self.string),
        )

    def labelled(self, table: Mapping[str, object], key: str, prefix: str) -> DescriptorSpec | None:
        """Read the ``PREFIX_labels`` short form or the ``PREFIX_descriptor`` full form."""
        short, full = f"{prefix}_labels", f"{prefix}_descriptor"
        if short in table and full in table:
            problem = f"`{short}` and `{full}` cannot be combined (put the labels in `{full}.labels`)"
            raise self.fail(key, problem)
        if short in table:
            return DescriptorSpec(labels=self.strings(table[short], _child(key, short)))
        return self.optional(table, key, full, self.descriptor)

    def plain_descriptor(self, table: Mapping[str, object], key: str) -> JSONValue | None:
        """``result_plain_descriptor``: any TOML value, handed to the executor as is; not with the other result forms."""
        name = "result_plain_descriptor"
        if name in table:
            for other in ("result_labels", "result_descriptor"):
                if other in table:
                    raise self.fail(key, f"`{other}` and `{name}` cannot be combined (a result has one descriptor)")
        return self.optional(table, key, name, self.value)

    def stages(self, document: Mapping[str, object]) -> tuple[tuple[StageSpec, ...], list[str]]:
        """The stages in either form, and the key path of each command name in them."""
        if "pipeline" in document and "stages" in document:
            raise self.fail("", "`pipeline` and `stages` cannot be combined (give the stages once)")
        if "pipeline" in document:
            text = document["pipeline"]
            if not isinstance(text, str):
                raise self.expected("pipeline", "a string", text, " (the array form is `stages = [...]`)")
            parsed = parse_pipeline(text, path=self.path)
            return parsed, ["pipeline"] * len(list(_stage_names(parsed)))
        if "stages" not in document:
            problem = 'missing `pipeline` or `stages` (the commands to run, e.g. pipeline = "a | b")'
            raise self.fail("", problem)
        value = document["stages"]
        if not isinstance(value, list):
            fix = f" (the text form is `pipeline = {_show(value)}`)" if isinstance(value, str) else ""
            raise self.expected("stages", "an array of command names", value, fix)
        # ``stages = []`` is an empty pipeline: the executor returns its input
        # unchanged, and a scenario must be able to pin that.
        stages: list[StageSpec] = []
        keys: list[str] = []
        for index, entry in enumerate(value):
            key = _item("stages", index)
            if not isinstance(entry, list):
                stages.append(self.stage_name(entry, key, "a command name or an array of command names"))
                keys.append(key)
                continue
            if not entry:
                raise self.fail(key, "empty parallel group (name at least one command)")
            branch_keys = [_item(key, branch_index) for branch_index in range(len(entry))]
            stages.append(tuple(self.branch_name(branch, bkey) for branch, bkey in zip(entry, branch_keys)))
            keys += branch_keys
        return tuple(stages), keys

    def stage_name(self, value: object, key: str, what: str) -> str:
        if not isinstance(value, str):
            raise self.expected(key, what, value)
        return self.name(value.strip(), key)

    def branch_name(self, value: object, key: str) -> str:
        if isinstance(value, list):
            raise self.fail(key, f"parallel groups do not nest, got {_show(value)}")
        return self.stage_name(value, key, "a command name")

    def commands(self, value: object, key: str, mistakes: _Mistakes) -> tuple[dict[str, CommandSpec], set[str]]:
        """The commands that read well, and the names of those that did not (their mistakes go to ``mistakes``)."""
        table = mistakes.attempt(lambda: self.table(value, key))
        commands: dict[str, CommandSpec] = {}
        broken: set[str] = set() if table is not None else {key}
        for name, body in (table or {}).items():
            command = mistakes.attempt(lambda: self.command(name, body, _child(key, name)))
            if command is None:
                broken.add(name)
            else:
                commands[name] = command
        return commands, broken

    def command(self, name: str, value: object, key: str) -> CommandSpec:
        self.name(name, key)
        table = self.table(value, key, COMMAND_KEYS)
        try:
            return CommandSpec(
                name=name,
                returns=self.optional(table, key, "returns", self.value),
                returns_json=self.optional(table, key, "returns_json", self.json_text),
                returns_each=self.optional(table, key, "returns_each", self.answers),
                join=self.optional(table, key, "join", self.string),
                raises=self.optional(table, key, "raises", self.string),
                raises_from=self.optional(table, key, "raises_from", self.positive),
                duration_ms=self.optional(table, key, "duration_ms", self.count) or 0,
                retry=self.optional(table, key, "retry", self.boolean) or False,
                retry_until=self.optional(table, key, "retry_until", self.positive),
                hint=self.optional(table, key, "hint", self.nullable_value),
                has_hint="hint" in table,
                from_stage=self.optional(table, key, "from", self.count),
                labels=self.optional(table, key, "labels", self.strings) or (),
                result_descriptor=self.labelled(table, key, "result"),
                result_plain_descriptor=self.plain_descriptor(table, key),
                value_descriptor=self.labelled(table, key, "value"),
                effects=self.optional(table, key, "effects", self.effect_names) or (),
                transform=self.optional(table, key, "transform", self.transform),
                hang=self.optional(table, key, "hang", self.boolean) or False,
                set_env=self.optional(table, key, "set_env", self.env) or {},
                mutates_input=self.optional(table, key, "mutates_input", self.boolean) or False,
                interrupts=self.optional(table, key, "interrupts", self.interruption),
                returns_js=self.optional(table, key, "returns_js", self.js_answer),
                member_descriptors=self.optional(table, key, "member_descriptors", self.descriptors),
            )
        except InvalidScenarioError:  # a ValueError too, already naming its key
            raise
        except ValueError as exc:  # the command's own invariants: conflicting keys, reserved name
            raise self.fail(key, str(exc)) from None

    def interruption(self, value: object, key: str) -> str:
        name = self.string(value, key)
        if name not in INTERRUPTIONS:
            raise self.expected(key, " or ".join(f'"{allowed}"' for allowed in INTERRUPTIONS), value)
        return name

    def js_answer(self, value: object, key: str) -> str:
        if value not in JS_ANSWERS:
            raise self.expected(key, " or ".join(f'"{allowed}"' for allowed in JS_ANSWERS), value)
        return value

    def descriptors(self, value: object, key: str) -> tuple[DescriptorSpec, ...]:
        if not isinstance(value, list) or not value:
            raise self.expected(key, "a non-empty array of descriptor tables", value)
        return tuple(self.descriptor(item, _item(key, index)) for index, item in enumerate(value))

    def failing_effects(self, value: object, key: str) -> dict[str, str]:
        effects: dict[str, str] = {}
        for name, body in self.table(value, key).items():
            body_key = _child(key, name)
            self.name(name, body_key, "effect")
            table = self.table(body, body_key, EFFECT_KEYS)
            if "raises" not in table:
                raise self.fail(body_key, "missing `raises` (the message the effect fails with)")
            effects[name] = self.string(table["raises"], _child(body_key, "raises"))
        return effects


def _decode(raw: bytes, suffix: str, path: str) -> Mapping[str, object]:
    kind = suffix[1:].upper()
    try:
        # A byte-order mark (Windows editors write one) is no part of the text.
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        problem = f"not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        raise InvalidScenarioError(path, "", f"invalid {kind}: {problem}") from None
    if suffix == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidScenarioError(path, "", f"invalid TOML: {exc}") from None
        except RecursionError:
            raise InvalidScenarioError(path, "", "invalid TOML: nested too deeply") from None
    try:
        document = json.loads(text, object_pairs_hook=_unique_keys)
    except RecursionError:
        raise InvalidScenarioError(path, "", "invalid JSON: nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise InvalidScenarioError(path, "", f"invalid JSON: {describe_json_error(exc)}") from None
    except ValueError as exc:  # a duplicate key, or an integer too long to convert
        raise InvalidScenarioError(path, "", f"invalid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise InvalidScenarioError(path, "", _NOT_A_TABLE + _show(document))
    return document


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    # TOML refuses a key given twice; JSON would silently keep the last one.
    table: dict[str, object] = {}
    for key, value in pairs:
        if key in table:
            raise ValueError(f"duplicate key {_show(key)}")
        table[key] = value
    return table


def _is_scenario_file(candidate: Path, root: Path) -> bool:
    return (
        candidate.suffix in _SUFFIXES
        and not candidate.name.endswith(".baseline.json")
        and "__snapshots__" not in candidate.relative_to(root).parts[:-1]
        and candidate.is_file()
    )


def _stage_names(stages: Sequence[StageSpec]) -> Iterator[str]:
    for stage in stages:
        yield from (stage,) if isinstance(stage, str) else stage


def _unknown_command(name: str, commands: Mapping[str, CommandSpec]) -> str:
    if not commands:
        return f"unknown command {_show(name)} (none defined; add a [commands.{name}] table)"
    return f"unknown command {_show(name)} (defined: {', '.join(commands)})"


def _unknown_key(key: str, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    suggestion = f", did you mean `{close[0]}`?" if close else ""
    return f"unknown key{suggestion} (expected one of: {', '.join(sorted(allowed))})"


def _child(parent: str, key: str) -> str:
    part = key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)
    return f"{parent}.{part}" if parent else part


def _item(parent: str, index: int) -> str:
    return f"{parent}[{index}]"


def _show(value: object) -> str:
    """A value as it appears in messages: JSON on one line, shortened when long."""
    if isinstance(value, (datetime.date, datetime.time)):
        text = value.isoformat()
    else:
        text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


def _depth(value: object) -> int:
    """How deeply arrays and objects nest in a parsed JSON value (a scalar is 0)."""
    deepest, pending = 0, [(value, 0)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, level + 1)
            pending.extend((member, level + 1) for member in (item.values() if isinstance(item, dict) else item))
    return deepest
