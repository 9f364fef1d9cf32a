"""The evidence note: its sections, its guardrail sentences, its literal text, its atomic write."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.gate.config import GateConfig
from harness.gate.note import Evidence, render_note, write_note
from harness.gate.types import (
    AllowedSmallModule,
    CommandOutcome,
    Finding,
    GuardrailReport,
    PackageLocation,
    ReferenceReport,
    TouchedModule,
)

BASE = "0123456789abcdef0123456789abcdef01234567"


def config(**changes: object) -> GateConfig:
    values: dict[str, object] = {
        "project_root": Path("/project"),
        "source": Path("/project/pyproject.toml"),
        "location": PackageLocation(
            Path("/project"), Path("/project"), "pkg/core", "pkg.core", "pkg"
        ),
        "base": "v1",
        "base_commit": BASE,
        "commands": ("pytest",),
        "min_module_lines": 60,
        "duplication_exempt": (),
        "reference": None,
        "reference_package": None,
        "reference_importers": ("pkg.core",),
        "note": "note.md",
    }
    values.update(changes)
    return GateConfig(**values)  # type: ignore[arg-type]


def report(*findings: Finding, **changes: object) -> GuardrailReport:
    values: dict[str, object] = {
        "modules": (),
        "findings": findings,
        "allowed_small": (),
        "imports_checked": True,
        "reference": None,
    }
    values.update(changes)
    return GuardrailReport(**values)  # type: ignore[arg-type]


def note(
    gate_config: GateConfig | None = None,
    guardrails: GuardrailReport | None = None,
    touched: tuple[TouchedModule, ...] = (),
    commands: tuple[CommandOutcome, ...] | None = (),
) -> str:
    evidence = Evidence(gate_config or config(), guardrails or report(), touched, commands)
    return render_note(evidence)


def test_a_passing_note_reads_as_phase_evidence() -> None:
    text = note(
        config(duplication_exempt=("pkg/core/reference.py",), reference="pkg/frozen", reference_package="pkg.frozen"),
        report(
            allowed_small=(
                AllowedSmallModule("pkg/core/__init__.py", 12, "re-export barrel"),
                AllowedSmallModule("pkg/core/types.py", 40, "pure type definitions"),
            ),
            reference=ReferenceReport("pkg/frozen", BASE, 13, ("pkg.core",)),
        ),
        touched=(
            TouchedModule("pkg/core/runner.py", 212, "Runs the stages of one pipeline."),
            TouchedModule("pkg/core/old.py", None, "(deleted since the base revision)"),
        ),
        commands=(CommandOutcome("python3 -m pytest -n auto", 0, 14.25, "312 passed, 2 skipped"),),
    )

    assert (
        text
        == f"""\
# Refactor gate: `pkg/core` since `{BASE[:12]}`

- Area: `pkg/core` (package `pkg.core`)
- Base revision: `v1` = `{BASE}`

## Touched runtime modules

| Module | Lines | Ownership |
| --- | ---: | --- |
| `pkg/core/runner.py` | 212 | Runs the stages of one pipeline. |
| `pkg/core/old.py` | deleted | (deleted since the base revision) |

## Commands

| Command | Status | Counts | Duration |
| --- | --- | --- | ---: |
| `python3 -m pytest -n auto` | PASS | 312 passed, 2 skipped | 14.2 s |

## Guardrails

- No new runtime module under 60 lines was introduced. Allowed exceptions: \
`pkg/core/__init__.py` (re-export barrel), `pkg/core/types.py` (pure type definitions).
- No callback-lambda service injection was introduced; composition uses Protocol-typed \
service objects.
- No duplicated logic across sibling modules (exempt: `pkg/core/reference.py`).
- Each shared type is declared once.
- Module dependencies in the area are acyclic.
- The frozen reference `pkg/frozen` is unchanged (13 files pinned by MANIFEST.json, from `{BASE}`) and is \
imported only by `pkg.core`. It imports nothing from the area; being generated and pinned, it is held only to \
this guardrail.

Verdict: PASS
"""
    )


def test_findings_are_listed_under_their_guardrail_and_fail_the_verdict() -> None:
    text = note(
        guardrails=report(
            Finding("small-module", "pkg/core/tiny.py", 1, "runtime module has 20 lines"),
            Finding("callback-injection", "pkg/core/wiring.py", 9, "lambda passed to `Runner`"),
            Finding("import-cycle", "pkg/core/b.py", 3, "import cycle a -> b -> a"),
            allowed_small=(AllowedSmallModule("pkg/core/__init__.py", 3, "re-export barrel"),),
        )
    )

    guardrails = text.split("## Guardrails\n\n")[1]
    assert (
        guardrails
        == """\
- Runtime modules under 60 lines that are neither re-export barrels nor pure type definitions:
  - `pkg/core/tiny.py:1`: runtime module has 20 lines
- Allowed exceptions: `pkg/core/__init__.py` (re-export barrel).
- Callback service injection was introduced; use Protocol-typed service objects instead:
  - `pkg/core/wiring.py:9`: lambda passed to `Runner`
- No duplicated logic across sibling modules.
- Each shared type is declared once.
- Module dependencies in the area have cycles:
  - `pkg/core/b.py:3`: import cycle a -> b -> a
- No frozen reference is configured.

Verdict: FAIL
"""
    )


def test_a_failing_command_shows_its_status_and_output_tail() -> None:
    tail = ("E   assert 1 == 2", "```", "1 failed, 3 passed in 0.2s")
    text = note(commands=(CommandOutcome("pytest -x", 1, 0.04, "1 failed, 3 passed", tail),))

    assert "| `pytest -x` | FAIL (exit 1) | 1 failed, 3 passed | 0.0 s |" in text
    assert (
        "Last 3 lines of `pytest -x`:\n\n````text\nE   assert 1 == 2\n```\n"
        "1 failed, 3 passed in 0.2s\n````\n"
    ) in text
    assert text.endswith("Verdict: FAIL\n")


def test_text_is_kept_literally_and_table_cells_stay_whole() -> None:
    command = 'echo "$HOME" `date` | tee "${OUT:-x}"'
    text = note(
        touched=(TouchedModule("pkg/core/a.py", 70, "Splits a|b with `sep`."),),
        commands=(CommandOutcome(command, 0, 1.0, ""),),
    )

    assert '| ``echo "$HOME" `date` \\| tee "${OUT:-x}"`` | PASS | - | 1.0 s |' in text
    assert "| Splits a\\|b with `sep`. |" in text


def test_nothing_touched_nothing_run_and_an_unbuilt_graph_are_said_plainly() -> None:
    text = note(
        config(base=BASE, reference="pkg/frozen", reference_package="pkg.frozen"),
        report(Finding("analysis", "pkg/core/bad.py", 2, "does not parse"), imports_checked=False),
        commands=None,
    )

    assert f"- Base revision: `{BASE}`\n" in text
    assert "None: no runtime module of the area changed since the base revision." in text
    assert "Not run: this note covers the guardrails only." in text
    assert "- Modules the gate could not analyse:\n  - `pkg/core/bad.py:2`: does not parse" in text
    assert text.count("- Not checked: no import graph could be built.") == 2
    assert text.endswith("Verdict: FAIL (guardrails only; commands not run, so behaviour was not checked)\n")


def test_the_note_is_written_atomically_into_new_directories(tmp_path: Path) -> None:
    target = tmp_path / "artifacts" / "phase" / "note.md"

    write_note(target, "first\n")
    write_note(target, "second $HOME `x`\n")

    assert target.read_text(encoding="utf-8") == "second $HOME `x`\n"
    assert os.listdir(target.parent) == ["note.md"]


def test_a_failed_write_leaves_the_old_note_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "note.md"
    write_note(target, "old\n")

    def refuse(source: str, destination: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_note(target, "new\n")

    assert target.read_text(encoding="utf-8") == "old\n"
    assert os.listdir(tmp_path) == ["note.md"]
