"""Test-suite wall time: the ci property suite serially, and the README's test command on every core.

Each command runs once as a subprocess with this interpreter, from the
project root, timed with ``time.perf_counter``; its CPU time (user + system
of the children, from :func:`os.times`) is reported too, since other
processes may share the machine and the wall time counts their share. The
ci property suite is ``CI=true python -m pytest tests/properties -p no:randomly``
(the ci profile: 200 derandomized examples per property); the README's
command is ``python -m pytest -n auto``. ``--quick`` skips both (they take a
minute or more each).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from measure import Figure
from report import run_standalone

__all__ = ["COMMANDS", "run"]

NAME = "7 test suite"
ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 60.0
COMMANDS: tuple[tuple[str, tuple[str, ...], dict[str, str]], ...] = (
    ("ci property suite, serial", ("-m", "pytest", "tests/properties", "-q", "-p", "no:randomly"), {"CI": "true"}),
    ("python -m pytest -n auto", ("-m", "pytest", "-n", "auto", "-q"), {}),
)


def timed(arguments: tuple[str, ...], extra_env: dict[str, str]) -> tuple[float, float, int]:
    """Wall seconds, children's CPU seconds and exit status of ``python ARGUMENTS`` run from the project root."""
    environment = {key: value for key, value in os.environ.items() if key not in ("CI", "HARNESS_PROFILE")}
    environment.update(extra_env)
    before = os.times()
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, *arguments], cwd=ROOT, env=environment, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return wall, cpu, completed.returncode


def run(quick: bool) -> list[Figure]:
    if quick:
        return []
    figures: list[Figure] = []
    for name, arguments, extra_env in COMMANDS:
        wall, cpu, status = timed(arguments, extra_env)
        shown = " ".join(f"{key}={value}" for key, value in extra_env.items())
        command = f"{shown} python {' '.join(arguments)}".strip()
        figures.append(Figure(
            benchmark=NAME, name=f"{name}, wall", value=wall, unit="s", target=TARGET_SECONDS,
            note=f"`{command}`, exit status {status}, 1 round",
        ))
        figures.append(Figure(
            benchmark=NAME, name=f"{name}, CPU", value=cpu, unit="s", note="user + system of every process it started",
        ))
    return figures


if __name__ == "__main__":
    sys.exit(run_standalone(run, __doc__.splitlines()[0]))
