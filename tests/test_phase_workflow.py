"""A refactor phase end to end: open, a refused close, a passing close, the ledger, and misuse.

Every test works in a temporary git repository holding a copy of ``harness/``
(the area, the frozen reference and the harness itself), two corpus
scenarios with their baselines, and a ``pyproject.toml`` whose gate runs only
``python3 -m harness check``, so that a close takes seconds. The harness runs
there as a subprocess (``python -m harness``, the copy first on the path). The
behaviour change is planted in that copy only, and committed there, as a team
would commit a mistaken refactor step.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from planting import ROOT, copy_project, harness_in, plant

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
SCENARIOS = ["env-invalid-limit-negative", "cap-two"]
# A negative PIPELINE_PARALLEL_LIMIT kept instead of falling back to 4 (env-invalid-limit-negative shows it).
MISTAKE = (
    "return value if value >= 1 else DEFAULT_PARALLEL_LIMIT",
    "return value if value != 0 else DEFAULT_PARALLEL_LIMIT",
)
PYPROJECT = """\
[tool.harness.gate]
area = "harness/pipeline"
reference = "harness/reference"
commands = ["python3 -m harness check"]
note = "artifacts/gate-note.md"
"""


def git(repository: Path, *arguments: str) -> str:
    return subprocess.run([*GIT, *arguments], cwd=repository, check=True, capture_output=True, text=True).stdout


def commit(repository: Path, message: str) -> str:
    git(repository, "add", "-A")
    git(repository, "commit", "-q", "-m", message)
    return git(repository, "rev-parse", "HEAD").strip()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = copy_project(tmp_path / "project", SCENARIOS)
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (root / ".gitignore").write_text("__pycache__/\nartifacts/\n", encoding="utf-8")
    git(root, "init", "-q")
    commit(root, "the project")
    return root


def open_phase(root: Path, phase_id: str = "m-test") -> subprocess.CompletedProcess[str]:
    return harness_in(
        root, "phase", "open", phase_id,
        "--title", "Extract the execution loop",
        "--objective", "Move the loop out of the executor.",
        "--touches", "harness/pipeline/executor.py", "harness/pipeline/loop_runner.py",
    )


def test_a_phase_opens_is_refused_while_a_change_breaks_it_and_closes_once_reverted(project: Path) -> None:
    """The whole workflow; the planted change is a realistic refactoring mistake in the area."""
    base = git(project, "rev-parse", "HEAD").strip()
    opened = open_phase(project)
    assert opened.returncode == 0, opened.stdout + opened.stderr
    assert "opened m-test: Extract the execution loop" in opened.stdout
    assert "kept modules: executor.py" in opened.stdout  # loop_runner.py is new: nothing to keep
    assert "corpus: all 2 scenarios agree with the new reference" in opened.stdout
    ledger = json.loads((project / "phases" / "LEDGER.json").read_text())
    assert ledger["phases"] == [{
        "id": "m-test",
        "title": "Extract the execution loop",
        "objective": "Move the loop out of the executor.",
        "status": "open",
        "base": base,
        "reference": "phases/m-test/reference",
        "touches": ["harness/pipeline/executor.py", "harness/pipeline/loop_runner.py"],
    }]
    manifest = json.loads((project / "phases" / "m-test" / "reference" / "MANIFEST.json").read_text())
    assert manifest["kept"] == ["executor.py"] and manifest["executor"] == "executor:PipelineExecutor"
    commit(project, "open m-test")

    plant(project / "harness" / "pipeline" / "concurrency.py", *MISTAKE)
    mistaken = commit(project, "a refactor step that changes behaviour")
    status = harness_in(project, "phase", "status")
    refused = harness_in(project, "phase", "close")

    assert status.returncode == 1 and "can close: no" in status.stdout
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "check: 1 of 2 scenarios against reference, m-test fail:" in refused.stdout
    assert "MISMATCH         env-invalid-limit-negative (against reference)" in refused.stdout
    assert "stale: a freeze of the area would change harness/reference/concurrency.py;" in refused.stdout
    assert refused.stdout.rstrip().endswith("phase m-test stays open")
    assert json.loads((project / "phases" / "LEDGER.json").read_text())["phases"][0]["status"] == "open"
    assert harness_in(project, "phase", "list").stdout == ""

    git(project, "revert", "--no-edit", mistaken)
    head = git(project, "rev-parse", "HEAD").strip()
    closed = harness_in(project, "phase", "close", "m-test")

    assert closed.returncode == 0, closed.stdout + closed.stderr
    assert f"gate: harness/pipeline since {base[:12]} (phase m-test)" in closed.stdout
    assert f"closed m-test at {head[:12]}; note: phases/m-test/note.md" in closed.stdout
    note = (project / "phases" / "m-test" / "note.md").read_text()
    assert note.startswith("# Phase m-test: Extract the execution loop\n\nObjective: Move the loop out of the executor.\n")
    assert f"- Base revision: `{base}`" in note
    assert "None: no runtime module of the area changed since the base revision." in note
    assert "Expected but not touched: `harness/pipeline/executor.py`, `harness/pipeline/loop_runner.py`." in note
    assert "| `python3 -m harness check` | PASS | 2 passed, 0 failed |" in note
    assert "The phases' frozen befores `phases/m-test/reference` (" in note
    assert note.rstrip().endswith("Verdict: PASS")
    listed = harness_in(project, "phase", "list")
    assert listed.stdout == f"m-test  Extract the execution loop  {head[:12]}  phases/m-test/note.md\n"


def test_a_phase_that_left_the_snapshot_behind_cannot_close_until_it_is_refrozen(project: Path) -> None:
    """The snapshot copies the executor too: a refactor of it (a planted comment, no behaviour) makes it stale."""
    assert open_phase(project).returncode == 0
    commit(project, "open m-test")
    executor = project / "harness" / "pipeline" / "executor.py"
    executor.write_text(executor.read_text() + "# the loop moves out in the next step\n")
    commit(project, "a refactor step")

    stale = harness_in(project, "phase", "status")
    assert stale.returncode == 1
    assert (
        "stale: a freeze of the area would change harness/reference/executor.py; "
        "once the area is right, refresh the snapshot with `harness freeze`"
    ) in stale.stdout
    assert harness_in(project, "freeze").returncode == 0
    commit(project, "refresh the snapshot")
    fresh = harness_in(project, "phase", "status")

    assert fresh.returncode == 0, fresh.stdout
    assert "stale:" not in fresh.stdout and fresh.stdout.rstrip().endswith("can close: yes (close runs the configured commands too)")


def test_the_gate_of_an_open_phase_starts_from_its_base(project: Path) -> None:
    """``harness gate`` without ``--base`` gates what changed since the open phase began, not since the root."""
    cache = project / "harness" / "pipeline" / "cache.py"
    cache.write_text(cache.read_text() + "# changed before the phase\n")
    commit(project, "a change before the phase")
    assert open_phase(project).returncode == 0
    commit(project, "open m-test")

    gated = harness_in(project, "gate", "--no-commands")

    base = json.loads((project / "phases" / "LEDGER.json").read_text())["phases"][0]["base"]
    assert f"gate: harness/pipeline since {base[:12]}" in gated.stdout
    note = (project / "artifacts" / "gate-note.md").read_text()
    assert "None: no runtime module of the area changed since the base revision." in note


def test_a_second_phase_s_before_is_checked_beside_the_first(project: Path) -> None:
    """After a phase opens, ``harness check`` runs the candidate against both the reference and the phase's before."""
    assert open_phase(project).returncode == 0

    checked = harness_in(project, "check", "--json")
    against_before = harness_in(project, "check", "--reference", "m-test", "-q")

    report = json.loads(checked.stdout)
    assert report["references"] == ["reference", "m-test"]
    assert checked.returncode == 0 and against_before.returncode == 0
    assert against_before.stdout.rstrip().endswith("total: 2 passed, 0 failed")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("phase", "close"), "harness phase: no phase is open (phases/LEDGER.json); open one with `harness phase open ID --title TITLE`"),
        (("phase", "show", "m-nope"), "harness phase: m-nope: no such phase in phases/LEDGER.json (known: none yet)"),
        (("freeze", "--phase", "m-nope"), "harness freeze: m-nope: no such phase in phases/LEDGER.json (known: none yet)"),
        (("phase", "open", "../x", "--title", "t"), "harness phase: '../x': not a phase id (letters, digits, '-' and '_', such as m-69d1)"),
        (
            ("phase", "open", "m-x", "--title", "t", "--touches", "tests/x.py"),
            "harness phase: --touches tests/x.py: expected a module of harness/pipeline, such as harness/pipeline/executor.py",
        ),
    ],
)
def test_misuse_without_an_open_phase_is_one_line_and_exit_2(
    project: Path, arguments: tuple[str, ...], message: str
) -> None:
    done = harness_in(project, *arguments)

    assert (done.returncode, done.stdout, done.stderr) == (2, "", message + "\n")
    assert not (project / "phases").exists()


def test_misuse_with_an_open_phase_is_one_line_and_exit_2(project: Path) -> None:
    assert open_phase(project).returncode == 0
    ledger = (project / "phases" / "LEDGER.json").read_bytes()

    again = open_phase(project, "m-next")
    wrong = harness_in(project, "phase", "close", "m-nope")
    cache = project / "harness" / "pipeline" / "cache.py"
    cache.write_text(cache.read_text() + "# not committed\n")
    dirty = harness_in(project, "phase", "close")

    assert (again.returncode, again.stderr) == (
        2, "harness phase: m-test is open (Extract the execution loop); close it with `harness phase close` first\n"
    )
    assert (wrong.returncode, wrong.stderr) == (2, "harness phase: m-nope: no such phase in phases/LEDGER.json (known: m-test)\n")
    assert (dirty.returncode, dirty.stderr) == (
        2,
        "harness phase: m-test: uncommitted changes (harness/pipeline/cache.py); "
        "commit them so the close revision is what the gate checks\n",
    )
    assert (project / "phases" / "LEDGER.json").read_bytes() == ledger
    assert not (project / "phases" / "m-next").exists()


def test_this_project_s_ledger_lists_its_closed_phases_each_with_its_committed_note() -> None:
    """The program so far: phase 6 (m-c639) and phase 7 (m-69d1), closed in order by ``harness phase close``."""
    listed = subprocess.run(
        [sys.executable, "-m", "harness", "phase", "list"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()

    assert [line.split()[0] for line in listed] == ["m-c639", "m-69d1"]
    for line in listed:
        phase_id, note = line.split()[0], line.split()[-1]
        assert note == f"phases/{phase_id}/note.md"
        text = (ROOT / note).read_text(encoding="utf-8")
        assert text.startswith(f"# Phase {phase_id}: ") and text.rstrip().endswith("Verdict: PASS")


def test_this_project_s_check_runs_phase_6_s_reference_and_phase_7_s_before() -> None:
    checked = subprocess.run(
        [sys.executable, "-m", "harness", "check", "--json", "-k", "cap-two"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout
    assert json.loads(checked)["references"] == ["reference", "m-69d1"]
