"""The evidence note: a Markdown page a reviewer pastes into a phase ticket unchanged.

The note answers, in order, what a refactor phase must show before it
closes: which runtime modules the phase touched (with line counts and what
each owns), which commands ran and how they ended, and one sentence per
guardrail. Python writes it straight to the file, atomically, so nothing in
it passes through a shell that could eat ``$names`` or backticks.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from harness.gate.config import PHASE_START, GateConfig
from harness.gate.guardrails import findings_by_rule
from harness.gate.types import CommandOutcome, Finding, GuardrailReport, PhaseHeading, Rule, TouchedModule

__all__ = ["Evidence", "command_status", "render_note", "verdict_text", "write_note"]

# What the note says about a rule that has findings; the findings follow as a list.
_BROKEN = {
    Rule.ANALYSIS: "Modules the gate could not analyse:",
    Rule.SMALL_MODULE: "Runtime modules under {minimum} lines that are neither re-export "
    "barrels nor pure type definitions:",
    Rule.CALLBACK_INJECTION: "Callback service injection was introduced; "
    "use Protocol-typed service objects instead:",
    Rule.DUPLICATE_LOGIC: "Logic is duplicated across sibling modules:",
    Rule.DUPLICATE_TYPE: "Types are declared more than once:",
    Rule.IMPORT_CYCLE: "Module dependencies in the area have cycles:",
    Rule.FROZEN_REFERENCE: "The frozen reference guardrail is broken:",
}


@dataclass(frozen=True, slots=True)
class Evidence:
    """Everything one gate run established; ``commands`` is ``None`` when none were run.

    ``phase`` names the phase the run closes, when it closes one.
    """

    config: GateConfig
    report: GuardrailReport
    touched: tuple[TouchedModule, ...]
    commands: tuple[CommandOutcome, ...] | None
    phase: PhaseHeading | None = None

    @property
    def passed(self) -> bool:
        """Whether every guardrail holds and every command that ran exited 0."""
        commands_passed = all(result.exit_code == 0 for result in self.commands or ())
        return not self.report.findings and commands_passed


def render_note(evidence: Evidence) -> str:
    """The whole note as Markdown text, ending with the verdict line."""
    config = evidence.config
    verdict = verdict_text(evidence)
    phase = evidence.phase
    gate = f"{_code(config.area)} since {_code(config.base_commit[:12])}"
    lines = [
        f"# Refactor gate: {gate}" if phase is None else f"# Phase {phase.id}: {phase.title}",
        "",
        *([] if phase is None else [f"Objective: {phase.objective}", ""]),
        f"- Area: {_code(config.area)} (package {_code(config.location.package)})",
        f"- Base revision: {_base(config)}",
        "",
        "## Touched runtime modules",
        "",
        *_touched_section(evidence.touched),
        *([] if phase is None else _expected_lines(phase, evidence.touched)),
        "",
        "## Commands",
        "",
        *_commands_section(evidence.commands),
        "## Guardrails",
        "",
        *_guardrails_section(config, evidence.report),
        "",
        *([] if phase is None or not phase.remarks.strip() else ["## Remarks", "", phase.remarks.strip(), ""]),
        f"Verdict: {verdict}",
    ]
    return "\n".join(lines) + "\n"


def write_note(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, creating parent directories.

    The text goes to a temporary file beside ``path`` that then replaces it,
    so a reader never sees half a note.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _base(config: GateConfig) -> str:
    if config.base == config.base_commit:
        return f"{_code(config.base_commit)}"
    if config.base == PHASE_START:
        return f"{_code(config.base_commit)} ({PHASE_START}, where the phase started)"
    return f"{_code(config.base)} = {_code(config.base_commit)}"


def command_status(result: CommandOutcome) -> str:
    """``PASS``, or ``FAIL`` with the exit code."""
    return "PASS" if result.exit_code == 0 else f"FAIL (exit {result.exit_code})"


def verdict_text(evidence: Evidence) -> str:
    """``PASS`` or ``FAIL``; without the commands, saying that behaviour was not checked."""
    status = "PASS" if evidence.passed else "FAIL"
    if evidence.commands is None:
        return f"{status} (guardrails only; commands not run, so behaviour was not checked)"
    return status


def _code(text: str) -> str:
    """``text`` as an inline code span, fenced with more backticks than it contains."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def _cell(text: str) -> str:
    """``text`` made safe for one table cell: no pipes that split it, no line breaks."""
    return text.replace("|", "\\|").replace("\n", " ")


def _touched_section(touched: tuple[TouchedModule, ...]) -> list[str]:
    if not touched:
        return ["None: no runtime module of the area changed since the base revision."]
    rows = ["| Module | Lines | Ownership |", "| --- | ---: | --- |"]
    for module in touched:
        lines = "deleted" if module.lines is None else str(module.lines)
        rows.append(f"| {_cell(_code(module.path))} | {lines} | {_cell(module.ownership)} |")
    return rows


def _expected_lines(phase: PhaseHeading, touched: tuple[TouchedModule, ...]) -> list[str]:
    """How the touched modules compare with what the phase said it would touch."""
    paths = {module.path for module in touched}
    lines: list[str] = []
    missed = [path for path in phase.expected if path not in paths]
    unexpected = sorted(paths - set(phase.expected))
    if phase.expected and not missed and not unexpected:
        lines.append("Exactly the modules the phase was expected to touch.")
    if missed:
        lines.append(f"Expected but not touched: {', '.join(_code(path) for path in missed)}.")
    if unexpected:
        lines.append(f"Touched without being expected: {', '.join(_code(path) for path in unexpected)}.")
    return ["", *lines] if lines else []


def _commands_section(commands: tuple[CommandOutcome, ...] | None) -> list[str]:
    if commands is None:
        return ["Not run: this note covers the guardrails only.", ""]
    if not commands:
        return ["None configured.", ""]
    rows = ["| Command | Status | Counts | Duration |", "| --- | --- | --- | ---: |"]
    for result in commands:
        counts = result.summary or "-"
        rows.append(
            f"| {_cell(_code(result.command))} | {command_status(result)} | {_cell(counts)} "
            f"| {result.duration_s:.1f} s |"
        )
    rows.append("")
    for result in commands:
        if result.exit_code != 0:
            rows.extend(_failure_output(result))
    return rows


def _failure_output(result: CommandOutcome) -> list[str]:
    """The tail of a failing command's output, in a fence its own text cannot close."""
    runs = [len(run) for line in result.tail for run in re.findall(r"`{3,}", line)]
    longest = max(runs, default=0)
    fence = "`" * max(3, longest + 1)
    return [
        f"Last {len(result.tail)} lines of {_code(result.command)}:",
        "",
        f"{fence}text",
        *result.tail,
        fence,
        "",
    ]


def _guardrails_section(config: GateConfig, report: GuardrailReport) -> list[str]:
    grouped = findings_by_rule(report.findings)
    minimum = config.min_module_lines
    held = {
        Rule.SMALL_MODULE: f"No new runtime module under {minimum} lines was introduced.",
        Rule.CALLBACK_INJECTION: "No callback-lambda service injection was introduced; "
        "composition uses Protocol-typed service objects.",
        Rule.DUPLICATE_LOGIC: _duplication_sentence(config.duplication_exempt),
        Rule.DUPLICATE_TYPE: "Each shared type is declared once.",
        Rule.IMPORT_CYCLE: "Module dependencies in the area are acyclic.",
        Rule.FROZEN_REFERENCE: _reference_sentence(config, report) + _snapshots_sentence(report),
    }
    if not report.imports_checked:
        held[Rule.IMPORT_CYCLE] = held[Rule.FROZEN_REFERENCE] = (
            "Not checked: no import graph could be built."
        )
    allowed = _allowed_small(report)
    lines: list[str] = []
    for rule, findings in grouped.items():
        if findings:
            lines.append(f"- {_BROKEN[rule].format(minimum=minimum)}")
            lines.extend(f"  - {_finding_item(finding)}" for finding in findings)
            if rule is Rule.SMALL_MODULE and allowed:
                lines.append(f"- {allowed}")
        elif rule is Rule.SMALL_MODULE and allowed:
            lines.append(f"- {held[rule]} {allowed}")
        elif rule in held:
            lines.append(f"- {held[rule]}")
    return lines


def _allowed_small(report: GuardrailReport) -> str:
    if not report.allowed_small:
        return ""
    listed = ", ".join(f"{_code(item.path)} ({item.kind})" for item in report.allowed_small)
    return f"Allowed exceptions: {listed}."


def _finding_item(finding: Finding) -> str:
    message = finding.message.replace("\n", " ")  # a quoted source line may end in one
    return f"{_code(f'{finding.path}:{finding.line}')}: {message}"


def _duplication_sentence(exempt: tuple[str, ...]) -> str:
    if not exempt:
        return "No duplicated logic across sibling modules."
    listed = ", ".join(_code(path) for path in exempt)
    return f"No duplicated logic across sibling modules (exempt: {listed})."


def _reference_sentence(config: GateConfig, report: GuardrailReport) -> str:
    reference = report.reference
    if config.reference is None or reference is None:
        return "No frozen reference is configured."
    where = f"The frozen reference {_code(reference.path)}"
    pinned = f"{reference.files} files pinned by MANIFEST.json, from {_code(reference.source_revision or '?')}"
    frozen = (
        "It imports nothing from the area; being generated and pinned, it is held only to this guardrail."
    )
    if not reference.importers:
        return f"{where} is unchanged ({pinned}) and no module of the area imports it. {frozen}"
    importers = ", ".join(_code(name) for name in reference.importers)
    return f"{where} is unchanged ({pinned}) and is imported only by {importers}. {frozen}"


def _snapshots_sentence(report: GuardrailReport) -> str:
    """One sentence on the phases' frozen "befores" outside the package, or ``""`` without any."""
    if not report.snapshots:
        return ""
    listed = ", ".join(
        f"{_code(snapshot.path)} ({snapshot.files} files from {_code((snapshot.source_revision or '?')[:12])})"
        for snapshot in report.snapshots
    )
    return f" The phases' frozen befores {listed} match their MANIFEST.json and import only themselves."
