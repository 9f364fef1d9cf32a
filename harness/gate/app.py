"""``harness gate``: check the guardrails, run the commands, write the evidence note.

:func:`run_gate` is the whole gate as one library call; the command-line
entry point only translates its arguments into this call and turns
:class:`~harness.errors.InvalidConfigError` into exit code 2.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from harness.baselines import check_output_path
from harness.gate.commands import run_commands as run_configured_commands
from harness.gate.config import GateConfig, load_config
from harness.gate.guardrails import check_area
from harness.gate.history import changed_modules, touched_modules
from harness.gate.note import Evidence, command_status, render_note, verdict_text, write_note
from harness.gate.types import CommandOutcome, PhaseHeading

__all__ = ["EXIT_FAIL", "EXIT_PASS", "run_gate"]

EXIT_PASS = 0
EXIT_FAIL = 1


def run_gate(
    *,
    project_root: Path,
    area: str | None = None,
    base: str | None = None,
    note: Path | None = None,
    run_commands: bool = True,
    show_output: bool = False,
    phase: PhaseHeading | None = None,
    snapshots: Sequence[str] = (),
    out: TextIO = sys.stdout,
) -> int:
    """Gate the area of ``project_root`` and write the evidence note.

    ``area``, ``base`` and ``note`` override ``[tool.harness.gate]``; a
    relative ``note`` is taken from the project root. With ``run_commands``
    false only the guardrails decide, and the note says the commands were not
    run. With ``show_output`` each command's output is printed as it runs
    (so one CI job shows the test run and gates on it, running it once). Prints one line per finding and per command, where the note went and
    the verdict. ``phase`` heads the note with the phase it closes;
    ``snapshots`` are the phases' frozen "befores" outside the package, held
    to the frozen-reference guardrail beside the configured snapshot.

    Returns :data:`EXIT_PASS` when every guardrail holds and every command
    passed, :data:`EXIT_FAIL` otherwise. Raises InvalidConfigError when the
    configuration is invalid.
    """
    config = replace(load_config(project_root, area=area, base=base, note=note), snapshots=tuple(snapshots))
    note_path = _note_path(config)
    check_output_path(note_path, "--note" if note is not None else "note")
    report = check_area(config)
    changed = changed_modules(config.project_root, config.base_commit, config.area)
    commands = (
        run_configured_commands(config.commands, cwd=config.project_root, stream=out if show_output else None)
        if run_commands
        else None
    )
    evidence = Evidence(
        config=config,
        report=report,
        touched=touched_modules(changed, report.modules),
        commands=commands,
        phase=phase,
    )
    write_note(note_path, render_note(evidence))
    _print_report(evidence, note_path, out)
    return EXIT_PASS if evidence.passed else EXIT_FAIL


def _note_path(config: GateConfig) -> Path:
    path = Path(config.note)
    return path if path.is_absolute() else config.project_root / path


def _print_report(evidence: Evidence, note_path: Path, out: TextIO) -> None:
    config = evidence.config
    named = "" if config.base == config.base_commit else f" ({config.base})"
    closing = "" if evidence.phase is None else f" (phase {evidence.phase.id})"
    print(f"gate: {config.area} since {config.base_commit[:12]}{named}{closing}", file=out)
    for finding in evidence.report.findings:
        print(f"{finding.path}:{finding.line}: {finding.rule}: {finding.message}", file=out)
    if evidence.commands is None:
        print("commands: not run", file=out)
    for result in evidence.commands or ():
        print(_command_line(result), file=out)
    print(f"note: {note_path}", file=out)
    print(f"verdict: {verdict_text(evidence)}", file=out)


def _command_line(result: CommandOutcome) -> str:
    counts = f", {result.summary}" if result.summary else ""
    return f"{command_status(result)}: {result.command} ({result.duration_s:.1f} s{counts})"
