"""Running the phase's commands and reading their pass/fail counts.

Each configured command runs once through the shell, in the project root,
with standard error folded into standard output. The gate keeps the exit
code, the wall time, the counts the command printed and the last lines of its
output, which the note shows when the command failed.

Counts are read from the lines a test runner ends with: pytest's summary
(``=== 312 passed, 2 skipped in 14.2s ===``, or ``312 passed, 1 xfailed``
alone on a line under ``-q``) and the plain ``N passed, N failed`` form that
``harness check`` prints (``total: 45 passed, 0 failed``).
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO

from harness.gate.types import CommandOutcome

__all__ = ["TAIL_LINES", "parse_counts", "run_command", "run_commands"]

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
    """The counts summaries found in ``lines``, in order, joined by ``"; "``.

    ``""`` when the output carries no counts.
    """
    found: list[str] = []
    for raw in lines:
        line = _ANSI_ESCAPE.sub("", raw).strip()
        match = (
            _PYTEST_SUMMARY.search(line)
            or _BARE_COUNTS.fullmatch(line)
            or _PASSED_FAILED.search(line)
        )
        if match is not None and (not found or found[-1] != match["counts"]):
            found.append(match["counts"])
    return "; ".join(found)


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

    The note then shows the state of the whole phase, not only its first
    failure.
    """
    return tuple(run_command(command, cwd=cwd, stream=stream) for command in commands)
