"""`harness check` throughput: scenarios per second over the corpus under baselines/.

In process: :func:`harness.check.check_scenario` on every file
:func:`harness.scenario.loader.discover_scenarios` finds under
``baselines/``, with the CLI's default candidate; each check loads the
scenario, observes it on the reference and on the candidate (each on its own
virtual-clock loop), compares the two and the reference with its pinned
baseline. End to end: ``harness check baselines`` as a subprocess (the
``harness`` script next to this interpreter), so interpreter start-up,
imports and report printing are included. Both are timed with
``time.perf_counter``, median of rounds, CLI rounds interleaved with
in-process ones.

The virtual time the corpus covers is the sum over scenarios of the latest
``end_ms`` in the reference observation's timeline (the latest rather than
the last entry's: entries are in start order, and a call that started last
need not end last).
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

from harness.candidates import BUILTIN_IMPLEMENTATIONS, DEFAULT_CANDIDATE
from harness.check import ScenarioResult, check_scenario
from harness.scenario.loader import discover_scenarios

from measure import Figure, median, median_note, wall_seconds
from report import run_standalone

__all__ = ["CORPUS", "run"]

NAME = "4 harness check"
ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "baselines"
ROUNDS = 5
QUICK_ROUNDS = 1
CANDIDATE = BUILTIN_IMPLEMENTATIONS[DEFAULT_CANDIDATE]


def check_corpus(paths: list[Path]) -> list[ScenarioResult]:
    """Check every scenario file in turn, as ``harness check`` does."""
    return [check_scenario(path, CANDIDATE) for path in paths]


def covered_virtual_ms(results: list[ScenarioResult]) -> int:
    """The sum over scenarios of when the reference's last command call ended."""
    total = 0
    for result in results:
        timeline = result.reference["timeline"] if result.reference is not None else []
        total += max((call["end_ms"] for call in timeline if call["end_ms"] is not None), default=0)
    return total


def cli_command() -> list[str]:
    """``harness check baselines`` with the ``harness`` script of this interpreter's environment."""
    script = Path(sys.executable).with_name("harness")
    prefix = [str(script)] if script.exists() else [sys.executable, "-m", "harness"]
    return prefix + ["check", str(CORPUS.relative_to(ROOT))]


def _run_cli(command: list[str]) -> int:
    return subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode


def run(quick: bool = False) -> list[Figure]:
    """Scenarios per second in process and end to end, and the virtual time the corpus covers."""
    paths = discover_scenarios([CORPUS])
    if not paths:
        raise RuntimeError(f"{CORPUS}: no scenario files found")
    command = cli_command()
    rounds = QUICK_ROUNDS if quick else ROUNDS
    results = check_corpus(paths)  # warm-up, and the results the corpus figures come from
    in_process: list[float] = []
    end_to_end: list[float] = []
    exit_codes: set[int] = set()
    for _ in range(rounds):
        in_process.append(wall_seconds(lambda: check_corpus(paths))[0])
        seconds, exit_code = wall_seconds(lambda: _run_cli(command))
        end_to_end.append(seconds)
        exit_codes.add(exit_code)

    count = len(paths)
    statuses = ", ".join(f"{n} {status}" for status, n in sorted(Counter(r.status for r in results).items()))
    library_s, cli_s = median(in_process), median(end_to_end)
    timing = f"{count} scenarios, {median_note(rounds)}"
    cli_note = f"`harness {' '.join(command[-2:])}`, exit status {', '.join(map(str, sorted(exit_codes)))}"
    return [
        Figure(benchmark=NAME, name="scenarios checked", value=count, unit="count", note=statuses),
        Figure(benchmark=NAME, name="in process, scenarios/s", value=count / library_s, unit="per_s", note=timing),
        Figure(benchmark=NAME, name="in process, corpus", value=library_s, unit="s", note=timing),
        Figure(benchmark=NAME, name="CLI end to end, scenarios/s", value=count / cli_s, unit="per_s", note=timing),
        Figure(benchmark=NAME, name="CLI end to end, corpus", value=cli_s, unit="s", note=cli_note),
        Figure(benchmark=NAME, name="virtual time covered", value=covered_virtual_ms(results), unit="ms",
               note="sum of each reference timeline's latest end_ms"),
    ]


if __name__ == "__main__":
    sys.exit(run_standalone(run, __doc__.splitlines()[0]))
