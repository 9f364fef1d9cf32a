"""Checks on a whole scenario once it is parsed: size limits, and names nothing would read.

The loader checks each key on its own; these checks need the whole scenario.
Each failure is an :class:`~harness.errors.InvalidScenarioError` naming the
file and the key, like every other loader message.

**Size limits** refuse a scenario no test means to write, before it takes the
memory or the virtual years it asks for (the limits sit far above the
corpus and the benchmarks, which run one group of 10,000 branches):

- the file: at most 10 MiB;
- stages: at most 1,000 entries; branches: at most 10,000 in one group and
  100,000 command calls in all the stages;
- times (``duration_ms``, ``delay_ms``): at most 10^12 virtual
  milliseconds, about 31 years; ``deadline_ms``: at most 10^10, about 116
  days. The deadline bounds every run's virtual time, and it must keep the
  loop's clock usable: the clock is a float of seconds, whose step grows
  with it, and past 2^24 s (about 1.7 x 10^10 ms) a wait never ends (a
  2 x 10^10 ms wait was seen to spin for over a minute, while everything up
  to 10^10 ms runs in well under a second). A longer duration is harmless:
  the deadline ends the run first;
- ``returns_each``: at most 10,000 answers; ``retry_until``: at most 100,000.

**Names nothing reads** would otherwise pass silently and leave the scenario
testing something other than what it says:

- a ``{name}`` in a command's strings that is no placeholder (``{input}``
  and the stage context's fields, :data:`~harness.scenario.commands.PLACEHOLDERS`);
  braces around anything that is not a bare name, as in JSON text ``{"a": 1}``,
  are plain text;
- an ``env`` name the executor does not read (only ``PIPELINE_PARALLEL_LIMIT``);
- an effect a command lists that is one typo away from a declared
  ``[effects.NAME]``. An effect listed but not declared is no mistake: it
  runs and succeeds. Only a near miss of a declared, failing one is refused.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from typing import Final

from harness.errors import InvalidScenarioError
from harness.pipeline.concurrency import PARALLEL_LIMIT_ENV
from harness.scenario.commands import PLACEHOLDERS
from harness.scenario.model import CommandSpec, JSONValue, Scenario

__all__ = [
    "ENV_NAMES",
    "MAX_ANSWERS",
    "MAX_BRANCHES",
    "MAX_CALLS",
    "MAX_FILE_BYTES",
    "MAX_RETRY_UNTIL",
    "MAX_STAGES",
    "MAX_VIRTUAL_MS",
    "check_scenario_limits",
]

MAX_FILE_BYTES: Final = 10 * 1024 * 1024
MAX_STAGES: Final = 1_000
MAX_BRANCHES: Final = 10_000
MAX_CALLS: Final = 100_000
MAX_VIRTUAL_MS: Final = 10**12
MAX_DEADLINE_MS: Final = 10**10
MAX_ANSWERS: Final = 10_000
MAX_RETRY_UNTIL: Final = 100_000
ENV_NAMES: Final = (PARALLEL_LIMIT_ENV,)
"""The environment variables the executor reads; a scenario's ``env`` may set only these."""

_NAMED_BRACES = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def check_scenario_limits(scenario: Scenario) -> Scenario:
    """Return ``scenario`` if it is within the limits and names only what is read; raise InvalidScenarioError."""
    path = scenario.path or scenario.name
    for key, problem in _problems(scenario):
        raise InvalidScenarioError(path, key, problem)
    return scenario


def _problems(scenario: Scenario) -> Iterator[tuple[str, str]]:
    yield from _size_problems(scenario)
    for name in scenario.env:
        if name not in ENV_NAMES:
            yield f"env.{name}", f"not read by the executor (it reads {', '.join(ENV_NAMES)})"
    for name, command in scenario.commands.items():
        yield from _command_problems(name, command, scenario)
    for name, message in scenario.failing_effects.items():
        yield from _placeholder_problems(f"effects.{name}.raises", message)


def _size_problems(scenario: Scenario) -> Iterator[tuple[str, str]]:
    stages = scenario.stages
    if len(stages) > MAX_STAGES:
        yield "stages", _past(f"{len(stages):,} stages", f"{MAX_STAGES:,}")
    for position, stage in enumerate(stages, start=1):
        if not isinstance(stage, str) and len(stage) > MAX_BRANCHES:
            yield f"stages[{position - 1}]", _past(f"{len(stage):,} branches", f"{MAX_BRANCHES:,} in one group")
    calls = sum(1 if isinstance(stage, str) else len(stage) for stage in stages)
    if calls > MAX_CALLS:
        yield "stages", _past(f"{calls:,} command calls", f"{MAX_CALLS:,}")
    if scenario.delay_ms is not None and scenario.delay_ms > MAX_VIRTUAL_MS:
        yield "delay_ms", _past(f"{scenario.delay_ms} ms", f"{MAX_VIRTUAL_MS} ms (about 31 years)")
    if scenario.deadline_ms > MAX_DEADLINE_MS:
        yield "deadline_ms", _past(f"{scenario.deadline_ms} ms", f"{MAX_DEADLINE_MS} ms (about 116 days)")


def _command_problems(name: str, command: CommandSpec, scenario: Scenario) -> Iterator[tuple[str, str]]:
    key = f"commands.{name}"
    if command.duration_ms > MAX_VIRTUAL_MS:
        yield f"{key}.duration_ms", _past(f"{command.duration_ms} ms", f"{MAX_VIRTUAL_MS} ms (about 31 years)")
    if command.returns_each is not None and len(command.returns_each) > MAX_ANSWERS:
        yield f"{key}.returns_each", _past(f"{len(command.returns_each):,} answers", f"{MAX_ANSWERS:,}")
    if command.retry_until is not None and command.retry_until > MAX_RETRY_UNTIL:
        yield f"{key}.retry_until", _past(str(command.retry_until), f"{MAX_RETRY_UNTIL:,}")
    for field, value in (("returns", command.returns), ("raises", command.raises), ("hint", command.hint)):
        if value is not None:
            yield from _placeholder_problems(f"{key}.{field}", value)
    for index, answer in enumerate(command.returns_each or ()):
        yield from _placeholder_problems(f"{key}.returns_each[{index}]", answer)
    declared = list(scenario.failing_effects)
    for index, effect in enumerate(command.effects):
        close = difflib.get_close_matches(effect, declared, n=1, cutoff=0.8)
        if effect not in scenario.failing_effects and close:
            yield (
                f"{key}.effects[{index}]",
                f'"{effect}" is not declared, did you mean "{close[0]}"? (declared: {", ".join(declared)})',
            )


def _placeholder_problems(key: str, value: JSONValue) -> Iterator[tuple[str, str]]:
    for text in _strings(value):
        for match in _NAMED_BRACES.finditer(text):
            if match.group(1) not in PLACEHOLDERS:
                known = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
                yield key, f"unknown placeholder {match.group(0)} (known: {known})"


def _strings(value: JSONValue) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)


def _past(what: str, limit: str) -> str:
    return f"{what} is past the limit of {limit} (a scenario this large is surely a mistake)"
