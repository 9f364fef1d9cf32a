"""Open, assess and close a refactor phase: the harness's part of one ticket of the program.

:func:`open_phase` records a phase in the ledger and freezes its "before"
from the area as it is (or adopts an existing snapshot, for a phase that was
under way before the harness kept a ledger). :func:`assess_phase` says
whether the open phase can close: the corpus against every reference, the
guardrails since the phase's base, and a clean working tree. :func:`close_phase`
refuses while anything fails and otherwise runs the whole gate with the
phase's base, writes the evidence note to ``phases/ID/note.md`` and marks
the phase closed at the revision the gate checked.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Final, TextIO, final

from harness.candidates import BUILTIN_IMPLEMENTATIONS
from harness.check import ScenarioResult, baseline_collisions, check_against_references
from harness.errors import PhaseError
from harness.gate.app import EXIT_FAIL, EXIT_PASS, run_gate
from harness.gate.config import load_config, load_reference_settings
from harness.gate.guardrails import check_area
from harness.gate.history import changed_modules, resolve_commit, touched_modules
from harness.gate.types import Finding, PhaseHeading, TouchedModule
from harness.phase.ledger import (
    LEDGER_PATH,
    PHASES_FOLDER,
    Phase,
    phase_folder,
    read_ledger,
    validate_phase_id,
    write_ledger,
)
from harness.phase.references import default_references, phase_snapshots
from harness.scenario.loader import discover_scenarios
from harness.snapshot import (
    MANIFEST_NAME,
    FreezeRequest,
    FreezeResult,
    WorkingTreeSource,
    file_digests,
    freeze,
    generate_snapshot,
    head_commit,
    read_manifest,
)

__all__ = [
    "CORPUS",
    "OpenRequest",
    "OpenedPhase",
    "Readiness",
    "assess_phase",
    "close_phase",
    "describe_readiness",
    "open_phase",
    "open_phase_or_fail",
]

CORPUS: Final = "baselines"
NOTE_NAME: Final = "note.md"


@final
@dataclass(frozen=True, slots=True)
class OpenRequest:
    """A phase to open: its ticket id, title and objective, and the modules of the area it will touch.

    ``base`` defaults to ``HEAD``; ``before`` adopts an existing snapshot
    directory instead of freezing a new one; ``force`` freezes an area with
    uncommitted changes.
    """

    project_root: Path
    phase_id: str
    title: str
    objective: str = ""
    touches: tuple[str, ...] = ()
    base: str | None = None
    before: str | None = None
    force: bool = False


@final
@dataclass(frozen=True, slots=True)
class OpenedPhase:
    """The phase as recorded, and the freeze that made its before (``None`` when adopted)."""

    phase: Phase
    frozen: FreezeResult | None


@final
@dataclass(frozen=True, slots=True)
class Readiness:
    """Whether the open phase can close, and why not."""

    phase: Phase
    references: tuple[str, ...]
    scenarios: int
    failing: tuple[ScenarioResult, ...]
    findings: tuple[Finding, ...]
    touched: tuple[TouchedModule, ...]
    uncommitted: tuple[str, ...]
    stale: tuple[str, ...] = ()

    @property
    def can_close(self) -> bool:
        return not self.failing and not self.findings and not self.uncommitted and not self.stale


def open_phase(request: OpenRequest) -> OpenedPhase:
    """Record the phase as open and freeze its before; :class:`PhaseError` (one line) when it cannot open."""
    root = request.project_root
    phase_id = validate_phase_id(request.phase_id)
    ledger = read_ledger(root)
    current = ledger.open_phase
    if current is not None:
        raise PhaseError(f"{current.id} is open ({current.title}); close it with `harness phase close` first")
    if any(phase.id == phase_id for phase in ledger.phases):
        raise PhaseError(f"{phase_id}: already in {LEDGER_PATH}; a phase is opened once")
    if not request.title.strip():
        raise PhaseError("--title: expected the phase's title, got an empty one")
    area, package, _ = load_reference_settings(root)
    base = resolve_commit(root, request.base or "HEAD")
    if base is None:
        raise PhaseError(f"--base {request.base or 'HEAD'}: git cannot resolve it to a commit in {root}")
    touches = tuple(_area_module(area, path) for path in request.touches)
    frozen: FreezeResult | None = None
    if request.before is not None:
        reference = PurePosixPath(request.before).as_posix()
        read_manifest(root / reference)  # a snapshot, or one SnapshotError line
    else:
        reference = f"{phase_folder(phase_id)}/reference"
        frozen = freeze(FreezeRequest(
            project_root=root,
            area=area,
            package=package,
            snapshot=reference,
            force=request.force,
            keep=tuple(path.removeprefix(f"{area}/") for path in touches),
            notes=(
                f"Phase {phase_id} ({request.title}): the before, frozen from {area} when the phase opened. "
                "The modules the phase is expected to touch are kept; a re-freeze "
                f"(`harness freeze --phase {phase_id}`) regenerates only the others from the area."
            ),
        ))
    phase = Phase(
        id=phase_id,
        title=request.title.strip(),
        objective=request.objective.strip(),
        base=base,
        reference=reference,
        touches=touches,
    )
    write_ledger(root, ledger.with_phase(phase))
    return OpenedPhase(phase, frozen)


def _area_module(area: str, path: str) -> str:
    spelled = PurePosixPath(path).as_posix()
    if not spelled.startswith(f"{area}/") or not spelled.endswith(".py"):
        raise PhaseError(f"--touches {path}: expected a module of {area}, such as {area}/executor.py")
    return spelled


def open_phase_or_fail(project_root: Path) -> Phase:
    """The open phase; :class:`PhaseError` when none is."""
    phase = read_ledger(project_root).open_phase
    if phase is None:
        raise PhaseError(f"no phase is open ({LEDGER_PATH}); open one with `harness phase open ID --title TITLE`")
    return phase


def assess_phase(project_root: Path, phase: Phase) -> Readiness:
    """Run the corpus against every reference and the guardrails since ``phase.base``; run no command."""
    references = default_references(project_root)
    paths = discover_scenarios([project_root / CORPUS]) if (project_root / CORPUS).is_dir() else []
    collisions = baseline_collisions(paths)
    candidate = BUILTIN_IMPLEMENTATIONS["extracted"]
    results = [check_against_references(path, candidate, references, collisions=collisions) for path in paths]
    config = replace(load_config(project_root, base=phase.base), snapshots=phase_snapshots(project_root))
    report = check_area(config)
    changed = changed_modules(config.project_root, config.base_commit, config.area)
    return Readiness(
        phase=phase,
        references=tuple(reference.name for reference in references),
        scenarios=len(results),
        failing=tuple(result for result in results if not result.passed),
        findings=report.findings,
        touched=touched_modules(changed, report.modules),
        uncommitted=_uncommitted(project_root),
        stale=_stale_snapshot_files(project_root),
    )


def _stale_snapshot_files(project_root: Path) -> tuple[str, ...]:
    """The files of the configured snapshot that a freeze of the area as it is would change.

    The snapshot regenerates every module its barrel reaches (the executor
    among them) and keeps only its kept modules, so a phase that rewrites the
    area leaves it behind; the phase refreshes it before it closes.
    """
    area, package, snapshot = load_reference_settings(project_root)
    directory = project_root / snapshot
    if not (directory / MANIFEST_NAME).is_file():
        return ()
    manifest = read_manifest(directory)
    kept = {name: (directory / name).read_bytes() for name in manifest.kept if (directory / name).is_file()}
    files = generate_snapshot(
        WorkingTreeSource(project_root, area).files(), package=package, entry=manifest.executor, kept=kept, where=area
    )
    fresh = file_digests(files)
    return tuple(sorted(
        f"{snapshot}/{path}" for path in set(fresh) | set(manifest.files) if fresh.get(path) != manifest.files.get(path)
    ))


def _uncommitted(project_root: Path) -> tuple[str, ...]:
    """Paths with uncommitted changes outside ``phases/`` (where a refused close leaves its note)."""
    done = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all", "--", ".", f":(exclude){PHASES_FOLDER}"],
        cwd=project_root,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise PhaseError(f"{project_root}: not a git checkout, so a phase cannot record its revisions")
    return tuple(line[3:] for line in done.stdout.splitlines() if line.strip())


def close_phase(
    project_root: Path, *, remarks: str = "", show_output: bool = False, out: TextIO = sys.stdout
) -> int:
    """Close the open phase if everything holds; :data:`EXIT_FAIL` and the reasons while anything fails.

    Raises :class:`PhaseError` when no phase is open or the working tree has
    uncommitted changes (the close revision must be what the gate checked).
    """
    phase = open_phase_or_fail(project_root)
    readiness = assess_phase(project_root, phase)
    if readiness.uncommitted:
        shown = ", ".join(readiness.uncommitted[:5]) + (", ..." if len(readiness.uncommitted) > 5 else "")
        raise PhaseError(f"{phase.id}: uncommitted changes ({shown}); commit them so the close revision is what the gate checks")
    if not readiness.can_close:
        describe_readiness(readiness, out)
        out.write(f"phase {phase.id} stays open\n")
        return EXIT_FAIL
    note = f"{phase_folder(phase.id)}/{NOTE_NAME}"
    heading = PhaseHeading(phase.id, phase.title, phase.objective, phase.touches, remarks)
    verdict = run_gate(
        project_root=project_root,
        base=phase.base,
        note=Path(note),
        show_output=show_output,
        phase=heading,
        snapshots=phase_snapshots(project_root),
        out=out,
    )
    if verdict != EXIT_PASS:
        out.write(f"phase {phase.id} stays open: the gate failed (see {note})\n")
        return EXIT_FAIL
    revision = head_commit(project_root)
    assert revision is not None  # _uncommitted has shown this is a git checkout with a HEAD
    write_ledger(project_root, read_ledger(project_root).with_phase(phase.closed(revision, note)))
    out.write(f"closed {phase.id} at {revision[:12]}; note: {note}\n")
    out.write(f"record it: git add {PHASES_FOLDER} && git commit -m \"Close phase {phase.id}: {phase.title}\"\n")
    return EXIT_PASS


def describe_readiness(readiness: Readiness, out: TextIO) -> None:
    """Print what stands between the phase and its close (or that nothing does)."""
    phase = readiness.phase
    checked = f"{readiness.scenarios} scenarios against {', '.join(readiness.references)}"
    if readiness.failing:
        out.write(f"check: {len(readiness.failing)} of {checked} fail:\n")
        for result in readiness.failing:
            against = result.reference["implementation"] if result.reference is not None else "reference"
            out.write(f"  {result.status.upper():<16} {result.name} (against {against})\n")
    else:
        out.write(f"check: all {checked} pass\n")
    if readiness.findings:
        out.write(f"guardrails: {len(readiness.findings)} findings:\n")
        for finding in readiness.findings:
            out.write(f"  {finding.path}:{finding.line}: {finding.rule}: {finding.message}\n")
    else:
        out.write("guardrails: all hold\n")
    touched = ", ".join(module.path for module in readiness.touched) or "none"
    out.write(f"touched since {phase.base[:12]}: {touched}\n")
    unexpected = sorted({module.path for module in readiness.touched} - set(phase.touches))
    if unexpected and phase.touches:
        out.write(f"  not expected: {', '.join(unexpected)}\n")
    if readiness.uncommitted:
        out.write(f"uncommitted: {', '.join(readiness.uncommitted)}\n")
    if readiness.stale:
        out.write(
            f"stale: a freeze of the area would change {', '.join(readiness.stale)}; "
            "once the area is right, refresh the snapshot with `harness freeze`\n"
        )
