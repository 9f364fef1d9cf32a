"""Running the phase's commands and reading their pass/fail counts.

Each configured command runs once through the shell, in the project root,
with standard error folded into standard output, in the environment of the
interpreter running the gate: its scripts folder (``.venv/bin``) comes first
on ``PATH``, so ``python3`` and ``harness`` in a command are the ones
installed beside it even when the virtual environment was never activated
(``.venv/bin/harness gate``, ``.venv/bin/python -m harness gate``). The gate keeps the exit
code, the wall time, the counts the command printed and the last lines of its
output, which the note shows when the command failed.

Counts are read from the line a test runner ends with: pytest's summary
(``=== 312 passed, 2 skipped in 14.2s ===``, or ``312 passed, 1 xfailed``
alone on a line under ``-q``) and the plain ``N passed, N failed`` form that
``harness check`` prints (``total: 45 passed, 0 failed``). Only the last such
line counts: summaries of sessions nested in a failure's output come before it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from harness.gate.types import CommandOutcome

__all__ = ["TAIL_LINES", "command_environment", "parse_counts", "run_command", "run_commands"]

TAIL_LINES = 20

_WORDS = r"(?:passed|failed|skipped|xfailed|xpassed|errors?|warnings?|deselected|rerun)"
_COUNTS = rf"\d+ {_WORDS}(?:, \d+ {_WORDS})*"
# pytest's final line: the counts, then " in 14.2s", maybe framed by "=".
_PYTEST_SUMMARY = re.compile(rf"(?P<counts>{_COUNTS}) in \d+(?:\.\d+)?s\b")
# The counts alone on a line, maybe framed by "=".
_BARE_COUNTS = re.compile(rf"=*\s*(?P<counts>{_COUNTS})\s*=*")
# The plain form, anywhere on a line: the run of counts that starts with it.
_PASSED_FAILED = re.compile(rf"(?P<counts>\d+ passed, \d+ failed(?:, \d+ {_WORDS})*)")
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def parse_counts(lines: Iterable[str]) -> str:
    """The counts of the last summary line in ``lines``: the command's own, final summary.

    A failing test run prints the output of the tests that failed, and a test
    that runs pytest or the harness itself prints their summaries there, before
    the run's own final line; only that last one counts. ``""`` when the
    output carries no counts.
    """
    found = ""
    for raw in lines:
        line = _ANSI_ESCAPE.sub("", raw).strip()
        match = (
            _PYTEST_SUMMARY.search(line)
            or _BARE_COUNTS.fullmatch(line)
            or _PASSED_FAILED.search(line)
        )
        if match is not None:
            found = match["counts"]
    return found


def command_environment(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """``environ`` with the running interpreter's folders first on ``PATH``.

    The folder of :data:`sys.executable` is taken as it is, not resolved: in a
    virtual environment it is a link into the base installation, and only the
    link's folder holds the environment's ``python3`` and scripts. Inside a
    virtual environment ``VIRTUAL_ENV`` names it, as ``activate`` would.
    """
    folders = [str(Path(sys.executable).parent), sysconfig.get_path("scripts")]
    path = environ.get("PATH", os.defpath)
    first = list(dict.fromkeys(folder for folder in folders if folder))
    rest = [entry for entry in path.split(os.pathsep) if entry and entry not in first]
    environment = dict(environ)
    environment["PATH"] = os.pathsep.join(first + rest)
    if sys.prefix != sys.base_prefix:
        environment["VIRTUAL_ENV"] = sys.prefix
    return environment


def run_command(command: str, *, cwd: Path, stream: TextIO | None = None) -> CommandOutcome:
    """Run ``command`` through the shell in ``cwd`` and record how it went.

    Output is captured; it is also copied line by line to ``stream`` when one
    is given. The duration is wall time, measured around the whole process.
    """
    started = time.perf_counter()
    output: list[str] = []
    with subprocess.Popen(
        command,
        shell=True,
        cwd=cwd,
        env=command_environment(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    ) as process:
        assert process.stdout is not None  # stdout=PIPE guarantees it
        for line in process.stdout:
            if stream is not None:
                stream.write(line)
                stream.flush()
            output.append(line.rstrip("\n"))
        exit_code = process.wait()
    duration = time.perf_counter() - started
    return CommandOutcome(
        command=command,
        exit_code=exit_code,
        duration_s=duration,
        summary=parse_counts(output),
        tail=tuple(output[-TAIL_LINES:]),
    )


def run_commands(
    commands: Sequence[str], *, cwd: Path, stream: TextIO | None = None
) -> tuple[CommandOutcome, ...]:
    """Run every command in order; a failure does not stop the ones after it.

    With a ``stream``, each command's line (``$ COMMAND``) and its output go
    there as it runs.

    The note then shows the state of the whole phase, not only its first
    failure.
    """
    outcomes: list[CommandOutcome] = []
    for command in commands:
        if stream is not None:
            stream.write(f"$ {command}\n")
            stream.flush()
        outcomes.append(run_command(command, cwd=cwd, stream=stream))
    return tuple(outcomes)
