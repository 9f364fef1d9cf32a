"""run_gate end to end on planted projects: each guardrail failing, a clean pass, the note."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.errors import InvalidConfigError
from harness.gate import EXIT_FAIL, EXIT_PASS, run_gate

from gate_planting import PlantedProject


def gate(planted: PlantedProject, **overrides: object) -> tuple[int, str]:
    out = io.StringIO()
    overrides.setdefault("run_commands", False)
    code = run_gate(project_root=planted.root, out=out, **overrides)  # type: ignore[arg-type]
    return code, out.getvalue()


def reported(output: str) -> list[str]:
    """The ``path:line: rule: message`` lines of a printed report."""
    return [line for line in output.splitlines() if ": " in line and line.split(":")[1].isdigit()]


def plant_small_module(planted: PlantedProject) -> tuple[str, int]:
    path = planted.module(
        "tiny",
        '''\
        """Formats one label."""


        def label(name: str) -> str:
            return name.title()
        ''',
        lines=20,
    )
    return path, 1


def plant_lambda_service(planted: PlantedProject) -> tuple[str, int]:
    path = planted.module(
        "wiring",
        '''\
        """Wires the runner."""


        class Runner:
            def __init__(self, clock: object) -> None:
                self.clock = clock


        def build() -> Runner:
            return Runner(clock=lambda: 0.0)
        ''',
    )
    return path, 10


def plant_callable_parameter(planted: PlantedProject) -> tuple[str, int]:
    path = planted.module(
        "ticker",
        '''\
        """Counts ticks."""

        from collections.abc import Callable


        class Ticker:
            def __init__(self, now: Callable[[], float]) -> None:
                self.now = now
        ''',
    )
    return path, 7


def plant_copied_function(planted: PlantedProject) -> tuple[str, int]:
    planted.module(
        "ledger",
        '''\
        """Sums what is over a limit."""


        def total_over(items: list[int], limit: int) -> int:
            total = 0
            for item in items:
                if item > limit:
                    total += item
            return total
        ''',
    )
    path = planted.module(
        "summary",
        '''\
        """Reports a sum."""


        def sum_above(values, cap):
            acc = 0
            for value in values:
                if value > cap:
                    acc += value
            return acc
        ''',
    )
    return path, 4


def plant_type_twice(planted: PlantedProject) -> tuple[str, int]:
    planted.module("first", '"""One outcome."""\n\n\nclass Outcome:\n    pass\n')
    path = planted.module("second", '"""Another outcome."""\n\n\n\nclass Outcome:\n    pass\n')
    return path, 5


def plant_import_cycle(planted: PlantedProject) -> tuple[str, int]:
    package = planted.area.replace("/", ".")
    planted.module("alpha", f'"""Alpha."""\n\nfrom {package} import beta\n')
    path = planted.module("beta", f'"""Beta."""\n\n\nfrom {package} import alpha\n')
    return path, 4


def plant_changed_reference(planted: PlantedProject) -> tuple[str, int]:
    snapshot = planted.snapshot({"engine.py": '"""The frozen original."""\n\nVALUE = 1\n'})
    planted.configure(reference=snapshot)
    planted.write(f"{snapshot}/engine.py", '"""The frozen original."""\n\nVALUE = 2\n')
    return f"{snapshot}/engine.py", 1


def plant_forbidden_importer(planted: PlantedProject) -> tuple[str, int]:
    snapshot = planted.snapshot({"engine.py": '"""The frozen original."""\n\nVALUE = 1\n'})
    planted.configure(reference=snapshot)
    text = f'"""Uses the original."""\n\n\nfrom {snapshot.replace("/", ".")} import engine\n'
    path = planted.module("user", text)
    return path, 4


def plant_snapshot_importing_the_area(planted: PlantedProject) -> tuple[str, int]:
    area = planted.area.replace("/", ".")
    planted.module("values", '"""Values of the area."""\n\nVALUE = 1\n')
    snapshot = planted.snapshot({"engine.py": f'"""Frozen, but not self-contained."""\n\nfrom {area} import values\n'})
    planted.configure(reference=snapshot)
    return f"{snapshot}/engine.py", 3


PLANTS = [
    ("small-module", plant_small_module),
    ("callback-injection", plant_lambda_service),
    ("callback-injection", plant_callable_parameter),
    ("duplicate-logic", plant_copied_function),
    ("duplicate-type", plant_type_twice),
    ("import-cycle", plant_import_cycle),
    ("frozen-reference", plant_changed_reference),
    ("frozen-reference", plant_forbidden_importer),
    ("frozen-reference", plant_snapshot_importing_the_area),
]


@pytest.mark.parametrize(("rule", "plant"), PLANTS, ids=[plant.__name__ for _, plant in PLANTS])
def test_each_guardrail_fails_the_gate_at_the_planted_line(
    planted: PlantedProject, rule: str, plant: Callable[[PlantedProject], tuple[str, int]]
) -> None:
    planted.configure()
    path, line = plant(planted)
    planted.commit()

    code, output = gate(planted)

    assert code == EXIT_FAIL
    assert [entry.split(": ")[:2] for entry in reported(output)] == [[f"{path}:{line}", rule]]
    assert output.splitlines()[-1] == "verdict: FAIL (guardrails only; commands not run, so behaviour was not checked)"


def plant_clean_area(planted: PlantedProject) -> str:
    package = planted.area.replace("/", ".")
    planted.write(
        f"{planted.area}/__init__.py",
        f'''\
        """The planted area: an engine and its types."""

        from {package}.engine import Engine
        from {package}.types import Clock, Reading

        __all__ = ["Clock", "Engine", "Reading"]
        ''',
    )
    planted.write(
        f"{planted.area}/types.py",
        '''\
        """Values and services of the engine."""

        from dataclasses import dataclass
        from typing import Protocol


        class Clock(Protocol):
            def now(self) -> float: ...


        @dataclass(frozen=True, slots=True)
        class Reading:
            at: float
            value: int
        ''',
    )
    planted.module(
        "engine",
        f'''\
        """Takes readings with a clock service."""

        from {package}.types import Clock, Reading


        class Engine:
            def __init__(self, clock: Clock) -> None:
                self.clock = clock

            def read(self, value: int) -> Reading:
                return Reading(at=self.clock.now(), value=value)
        ''',
    )
    engine = '"""The frozen original engine."""\n\n\ndef read(clock, value):\n    return (clock.now(), value)\n'
    return planted.snapshot({"engine.py": engine})


def test_a_clean_area_passes_and_its_note_carries_the_evidence(planted: PlantedProject) -> None:
    reference = plant_clean_area(planted)
    planted.configure(
        commands=[planted.command("print('=== 3 passed, 1 skipped in 0.01s ===')")],
        duplication_exempt=[f"{planted.area}/engine.py"],
        reference=reference,
        note="evidence/phase.md",
    )
    planted.commit("base")
    engine_text = (planted.root / planted.area / "engine.py").read_text()
    engine = planted.module("engine", engine_text, lines=61)

    code, output = gate(planted, run_commands=True)

    assert code == EXIT_PASS, output
    assert reported(output) == []
    note = (planted.root / "evidence" / "phase.md").read_text(encoding="utf-8")
    area = planted.area
    assert f"| `{engine}` | 61 | Takes readings with a clock service. |" in note
    assert "| PASS | 3 passed, 1 skipped |" in note
    assert (
        "- No new runtime module under 60 lines was introduced. Allowed exceptions: "
        f"`{area}/__init__.py` (re-export barrel), `{area}/types.py` (pure type definitions)."
    ) in note
    assert (
        "- No callback-lambda service injection was introduced; "
        "composition uses Protocol-typed service objects."
    ) in note
    assert f"- No duplicated logic across sibling modules (exempt: `{area}/engine.py`)." in note
    assert "- Each shared type is declared once." in note
    assert "- Module dependencies in the area are acyclic." in note
    assert (
        f"- The frozen reference `{reference}` is unchanged (2 files pinned by MANIFEST.json, from `HEAD`) "
        "and no module of the area imports it."
    ) in note
    assert note.splitlines()[-1] == "Verdict: PASS"
    assert output.splitlines()[-2:] == [
        f"note: {planted.root.resolve() / 'evidence' / 'phase.md'}",
        "verdict: PASS",
    ]


def test_a_failing_command_fails_the_gate_and_the_note_shows_its_output(
    planted: PlantedProject,
) -> None:
    plant_clean_area(planted)
    failing = planted.command("import sys; print('1 passed, 2 failed'); sys.exit(3)")
    planted.configure(commands=[planted.command("print('3 passed, 0 failed')"), failing])
    planted.commit()

    code, output = gate(planted, run_commands=True)

    assert code == EXIT_FAIL
    assert "FAIL (exit 3): " in output
    note = (planted.root / "artifacts" / "gate-note.md").read_text(encoding="utf-8")
    assert "| PASS | 3 passed, 0 failed |" in note
    assert "| FAIL (exit 3) | 1 passed, 2 failed |" in note
    assert "```text\n1 passed, 2 failed\n```" in note
    assert note.splitlines()[-1] == "Verdict: FAIL"


def test_without_commands_the_note_says_so(planted: PlantedProject) -> None:
    plant_clean_area(planted)
    planted.configure(commands=[planted.command("raise SystemExit(1)")])
    planted.commit()

    code, output = gate(planted, note=Path("out/note.md"))

    assert code == EXIT_PASS
    assert "commands: not run" in output
    note = (planted.root / "out" / "note.md").read_text(encoding="utf-8")
    assert "Not run: this note covers the guardrails only." in note
    assert note.splitlines()[-1] == "Verdict: PASS (guardrails only; commands not run, so behaviour was not checked)"


def test_no_touched_module_is_said_explicitly(planted: PlantedProject) -> None:
    plant_clean_area(planted)
    planted.configure()
    planted.commit()

    gate(planted)

    note = (planted.root / "artifacts" / "gate-note.md").read_text(encoding="utf-8")
    assert "None: no runtime module of the area changed since the base revision." in note


def test_invalid_configuration_raises_before_anything_runs(planted: PlantedProject) -> None:
    planted.configure(min_module_lines="x")

    with pytest.raises(InvalidConfigError) as raised:
        gate(planted)

    assert str(raised.value) == (
        f"{planted.root / 'pyproject.toml'}: tool.harness.gate.min_module_lines: "
        'expected a positive integer, got "x"'
    )
    assert not (planted.root / "artifacts").exists()


def test_gate_verbose_prints_each_command_and_its_output(planted: PlantedProject) -> None:
    """``show_output`` (``harness gate -v``) streams every command's output before the report."""
    plant_clean_area(planted)
    planted.configure(commands=[planted.command("print('=== 3 passed in 0.01s ===')")])
    planted.commit()

    code, output = gate(planted, run_commands=True, show_output=True)

    assert code == EXIT_PASS
    lines = output.splitlines()
    assert lines[0].startswith("$ ") and lines[1] == "=== 3 passed in 0.01s ==="
    assert lines.index("=== 3 passed in 0.01s ===") < next(i for i, l in enumerate(lines) if l.startswith("PASS: "))


def test_without_configuration_the_message_blames_no_missing_file(tmp_path: Path) -> None:
    """No ``pyproject.toml``: the message says so and names the fix, not a file that does not exist."""
    with pytest.raises(InvalidConfigError) as raised:
        run_gate(project_root=tmp_path, run_commands=False, out=io.StringIO())

    message = str(raised.value)
    assert not (tmp_path / "pyproject.toml").exists()
    assert "pyproject.toml:" not in message
    assert message.startswith(f"{tmp_path.resolve()}: no pyproject.toml, and the default area")
    assert "pass --area" in message


def test_by_default_the_note_covers_the_phase_since_the_freeze_with_each_commands_own_counts(
    planted: PlantedProject,
) -> None:
    """The default base is the frozen snapshot's ``source_revision``; counts come from each command's last line.

    Before, the base was the root commit, so the note listed a module deleted
    and one edited before the phase began, and the counts joined the summaries
    of sessions nested in the failure output with the run's own.
    """
    early = planted.module("early", '"""Edited before the phase."""\n')
    planted.module("gone", '"""Deleted before the phase."""\n')
    planted.module("phase", '"""Edited by the phase."""\n')
    planted.commit("history")
    (planted.root / planted.area / "gone.py").unlink()
    planted.module("early", '"""Edited before the phase, twice."""\n')
    frozen_at = planted.commit("before the phase")
    nested = "print('=== 3 passed in 0.10s ==='); print('total: 1 passed, 0 failed'); print('FAILED test_x')"
    planted.configure(
        commands=[planted.command(f"{nested}; print('=== 1 failed, 7 passed in 1.00s ==='); raise SystemExit(1)")],
        reference=planted.snapshot({}, source_revision=frozen_at),
    )
    planted.commit("freeze")
    touched = planted.module("phase", '"""Edited by the phase, now longer."""\n', lines=70)

    code, output = gate(planted, run_commands=True)

    assert code == EXIT_FAIL
    assert output.splitlines()[0] == f"gate: {planted.area} since {frozen_at[:12]} (the frozen reference's source revision)"
    command_line = output.splitlines()[1]
    assert command_line.startswith("FAIL (exit 1): ") and command_line.endswith(" s, 1 failed, 7 passed)")
    note = (planted.root / "artifacts" / "gate-note.md").read_text(encoding="utf-8")
    assert f"- Base revision: `{frozen_at}` (the frozen reference's source revision, where the phase started)" in note
    assert f"| `{touched}` | 70 |" in note
    assert "gone.py" not in note and early not in note
    assert "| FAIL (exit 1) | 1 failed, 7 passed |" in note


def test_a_phase_start_git_cannot_resolve_is_one_line(planted: PlantedProject) -> None:
    """A shallow clone lacks the revision the snapshot was frozen at: the gate says so, naming the manifest."""
    reference = planted.snapshot({}, source_revision="f" * 40)
    planted.configure(reference=reference)
    planted.commit()
    with pytest.raises(InvalidConfigError) as raised:
        gate(planted)
    assert str(raised.value) == (
        f"{planted.root / reference / 'MANIFEST.json'}: source_revision: git cannot resolve \"{'f' * 40}\" "
        f"to a commit in {planted.root} (a shallow clone?); fetch the history or pass --base REV"
    )
