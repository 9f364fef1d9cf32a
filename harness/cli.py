"""The ``harness`` command line: a thin translation from arguments to library calls.

:func:`main` is the only place where errors become messages and exit codes:
0 when everything matched, 1 when something did not (a mismatch, a run that
did not finish, an implementation that crashed), 2 for invalid input (one
line naming the file and the key, output paths included, checked before any
work), 130 when interrupted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final, TextIO

from harness import __version__
from harness.candidates import BUILTIN_IMPLEMENTATIONS, DEFAULT_CANDIDATE, Implementation, resolve_implementation
from harness.baselines import baseline_writing_refused, check_output_path, write_atomic
from harness.check import (
    ScenarioResult,
    baseline_collisions,
    check_against_references,
    check_scenario,
    orphaned_baselines,
    record_scenario,
)
from harness.crash import ImplementationCrash
from harness.errors import CandidateError, HarnessError
from harness.exploration import ExplorationLog, explore_result
from harness.fuzz.database import parse_location
from harness.fuzz.engine import FuzzPlan, run_fuzz
from harness.fuzz.nightly import export_database, merge_shards
from harness.gate.app import run_gate
from harness.gate.config import load_reference_settings
from harness.report.html import CheckRun, write_html_report
from harness.report.junit import TimedResult, write_junit_xml
from harness.observation import DeadlineExceeded, canonical_json, observe
from harness.phase import (
    LEDGER_PATH,
    OpenRequest,
    assess_phase,
    close_phase,
    default_references,
    describe_readiness,
    open_phase,
    open_phase_or_fail,
    phase_snapshots,
    read_ledger,
    reference_for_phase_id,
)
from harness.report.progress import progress_for
from harness.repro import Provenance, read_provenance, replay
from harness.scenario.loader import discover_scenarios, load_scenario
from harness.snapshot import (
    ExecutorEntry,
    FreezeRequest,
    FreezeResult,
    freeze,
    head_commit,
    implementation_from_snapshot,
    import_snapshot,
    reference_at,
    render_manifest,
)
from harness.scheduling import Schedule, TieOrder
from harness.selection import KeywordSelection
from harness.report.svg import render_svg
from harness.report.timeline import render_timeline

__all__ = [
    "EXIT_BROKEN_PIPE",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_INVALID",
    "EXIT_OK",
    "build_parser",
    "main",
]

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_INVALID: Final = 2
EXIT_INTERRUPTED: Final = 130
EXIT_BROKEN_PIPE: Final = 141  # 128 + SIGPIPE, what a shell reports for a reader that went away
DEFAULT_CORPUS: Final = Path("baselines")


class _UsageError(HarnessError):
    """A command line that cannot be carried out as given."""


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="harness", description="Characterization tests and a refactor gate for the pipeline executor."
    )
    parser.add_argument("--version", action="version", version=f"harness {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run one scenario on one implementation")
    run.add_argument("scenario", type=Path, help="a scenario file (.toml or .json)")
    run.add_argument("--impl", default="reference", help="reference, extracted or MODULE:ATTR (default: reference)")
    run.add_argument("--json", action="store_true", help="print the observation as canonical JSON")
    run.add_argument("--timeline", action="store_true", help="draw the timeline of every command call")
    run.add_argument("--svg", type=Path, metavar="FILE", help="also write the timeline as an SVG picture")
    _add_reference_option(run, "with --impl reference: run the area's executor as of git revision REV")
    run.add_argument(
        "--schedule", type=Path, metavar="FILE", help="break same-instant ties by the schedule of FILE (a repro file)"
    )
    run.set_defaults(handler=_run)

    check = commands.add_parser("check", help="compare a candidate with the reference and the baselines")
    check.add_argument("paths", nargs="*", type=Path, help=f"scenario files or folders (default: {DEFAULT_CORPUS}/)")
    check.add_argument("--candidate", default=DEFAULT_CANDIDATE, help="MODULE:ATTR of the executor under test")
    check.add_argument("--repeat", type=_positive, default=1, help="run each scenario N times per implementation")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    _add_reference_option(check, "compare with the area's executor as of git revision REV instead of the snapshot")
    check.add_argument(
        "--explore", type=_positive, metavar="N", help="also run each scenario under N drawn tie orders beyond FIFO"
    )
    check.add_argument("-k", metavar="EXPR", dest="keyword", help="only scenarios matching a pytest -k expression")
    check.add_argument("-x", "--exitfirst", action="store_true", help="stop at the first failing scenario")
    check.add_argument(
        "--list", "--collect-only", dest="list_only", action="store_true", help="list the scenarios; run nothing"
    )
    check.add_argument("--junit-xml", type=Path, metavar="FILE", help="also write a JUnit XML report")
    check.add_argument("--html", type=Path, metavar="FILE", help="also write a self-contained HTML report")
    verbosity = check.add_mutually_exclusive_group()
    verbosity.add_argument(
        "-q", "--quiet", dest="verbosity", action="store_const", const=-1, default=0, help="print only failures"
    )
    verbosity.add_argument(
        "-v", "--verbose", dest="verbosity", action="store_const", const=1, help="print every scenario and difference"
    )
    check.set_defaults(handler=_check)

    record = commands.add_parser("record", help="write the baselines from the reference executor")
    record.add_argument("paths", nargs="*", type=Path, help=f"scenario files or folders (default: {DEFAULT_CORPUS}/)")
    record.add_argument("--force", action="store_true", help="record even under CI, and replace unreadable baselines")
    record.set_defaults(handler=_record)

    repro = commands.add_parser("repro", help="replay a repro file on the reference and a candidate")
    repro.add_argument("file", type=Path, help="a scenario file, usually from artifacts/repro/")
    repro.add_argument(
        "--candidate",
        help="MODULE:ATTR of the executor under test (default: the one the file records, else extracted)",
    )
    repro.add_argument("--svg", type=Path, metavar="FILE", help="also write both timelines as an SVG picture")
    _add_reference_option(repro, "replay on the area's executor as of git revision REV instead of the snapshot")
    repro.set_defaults(handler=_repro)

    freeze_command = commands.add_parser("freeze", help="write the area's executor as the new frozen reference")
    freeze_command.add_argument("--rev", help="the git revision to freeze (default: the working tree)")
    freeze_command.add_argument("--area", help="the package folder to freeze (default: [tool.harness.gate] area)")
    freeze_command.add_argument("--force", action="store_true", help="freeze even with uncommitted changes in the area")
    freeze_command.add_argument(
        "--executor",
        metavar="MODULE:CLASS",
        help="the area's executor to freeze as the reference; releases the kept modules (default: as before)",
    )
    freeze_command.add_argument("--notes", help="why the reference is pinned here, recorded in the manifest")
    freeze_command.add_argument("--phase", metavar="ID", help="re-freeze that phase's before (default: the configured snapshot)")
    freeze_command.set_defaults(handler=_freeze)

    gate = commands.add_parser("gate", help="enforce a refactor phase's guardrails and write its evidence note")
    gate.add_argument("--area", help="the package folder to gate (default: [tool.harness.gate] area)")
    gate.add_argument(
        "--base", help="the revision the phase started from (default: the open phase's base, else configured, else the root commit)"
    )
    gate.add_argument("--note", type=Path, help="where to write the evidence note (default: configured)")
    gate.add_argument("--no-commands", action="store_true", help="check the guardrails only; run no command")
    gate.add_argument(
        "-v", "--verbose", action="store_true", help="print each command and its output as it runs"
    )
    gate.set_defaults(handler=_gate)

    fuzz = commands.add_parser("fuzz", help="run the property tests on fresh seeds until a time budget is spent")
    fuzz.add_argument("paths", nargs="*", default=["tests/properties"], help="test paths (default: tests/properties)")
    fuzz.add_argument("--minutes", type=_positive_minutes, required=True, help="the time budget")
    fuzz.add_argument("--workers", type=_positive, default=1, help="worker processes (default: 1)")
    fuzz.add_argument("--candidate", metavar="MODULE:ATTR", help="the executor under test (default: extracted)")
    fuzz.add_argument("--example-db", metavar="DB", help="the shared example database (default: HARNESS_EXAMPLE_DB)")
    fuzz.add_argument("--out", type=Path, default=Path("artifacts/fuzz"), help="results folder (default: artifacts/fuzz)")
    fuzz.set_defaults(handler=_fuzz)

    export = commands.add_parser("export-db", help="copy a Redis example database into a directory database")
    export.add_argument("source", metavar="SOURCE", help="redis://HOST:PORT/DB")
    export.add_argument("target", type=Path, metavar="DIR", help="the directory database to write (merged into)")
    export.set_defaults(handler=_export_db)

    merge = commands.add_parser("merge-shards", help="merge the nightly shards' results and write their summary")
    merge.add_argument("shards", nargs="+", type=Path, metavar="SHARD", help="a shard's results folder")
    merge.add_argument("--out", type=Path, required=True, help="the merged results folder")
    merge.set_defaults(handler=_merge_shards)
    _add_phase_commands(commands.add_parser("phase", help="open, assess, close and list the phases of a refactor program"))
    return parser


def _add_phase_commands(phase: argparse.ArgumentParser) -> None:
    actions = phase.add_subparsers(dest="action", required=True, metavar="ACTION")
    opening = actions.add_parser("open", help="open a phase: record it and freeze its before from the area as it is")
    opening.add_argument("id", help="the phase's ticket id, such as m-69d1")
    opening.add_argument("--title", required=True, help="the phase's title")
    opening.add_argument("--objective", default="", help="what the phase sets out to do")
    opening.add_argument(
        "--touches", nargs="+", default=[], metavar="MODULE", help="the modules of the area the phase is expected to touch"
    )
    opening.add_argument("--base", help="the revision the phase starts from (default: HEAD)")
    opening.add_argument("--before", metavar="DIR", help="adopt this existing snapshot as the phase's before; freeze nothing")
    opening.add_argument("--force", action="store_true", help="freeze even with uncommitted changes in the area")
    opening.set_defaults(handler=_phase_open)
    status = actions.add_parser("status", help="the open phase and whether it can close (check, guardrails, tree)")
    status.set_defaults(handler=_phase_status)
    closing = actions.add_parser("close", help="gate the open phase and, when everything holds, close it")
    closing.add_argument("id", nargs="?", help="the open phase's id, to confirm it")
    closing.add_argument("--remarks", type=Path, metavar="FILE", help="a Markdown file whose text the note carries")
    closing.add_argument("-v", "--verbose", action="store_true", help="print each command and its output as it runs")
    closing.set_defaults(handler=_phase_close)
    listing = actions.add_parser("list", help="the closed phases: id, title, close revision, note")
    listing.set_defaults(handler=_phase_list)
    show = actions.add_parser("show", help="one phase as the ledger records it")
    show.add_argument("id", help="the phase's id")
    show.set_defaults(handler=_phase_show)


def _positive_minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of minutes, got {text!r}")
    return value


def _add_reference_option(parser: argparse.ArgumentParser, text: str) -> None:
    parser.add_argument(
        "--reference",
        metavar="REV[:MODULE:CLASS]",
        help=f"{text} (default executor: executor:PipelineExecutor of [tool.harness.gate] area)",
    )


def _reference(spec: str | None) -> Implementation:
    """The frozen snapshot, a phase's before (``spec`` a phase id), or the area's executor at git revision ``spec``."""
    if spec is None:
        return BUILTIN_IMPLEMENTATIONS["reference"]
    root = Path.cwd()
    before = reference_for_phase_id(root, spec)
    if before is not None:
        return before
    area, package, snapshot = load_reference_settings(root)
    return reference_at(root, spec, area=area, package=package, snapshot=snapshot)


def _scenario_paths(paths: Sequence[Path]) -> list[Path]:
    found = discover_scenarios(list(paths) or [DEFAULT_CORPUS])
    if not found:
        raise _UsageError(f"{', '.join(str(p) for p in paths or [DEFAULT_CORPUS])}: no scenario files found")
    return found


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.reference is not None and args.impl != "reference":
        raise _UsageError(f"--reference {args.reference}: only with --impl reference, not --impl {args.impl}")
    if args.svg is not None:
        check_output_path(args.svg, "--svg")
    implementation = _reference(args.reference) if args.impl == "reference" else resolve_implementation(args.impl)
    scenario = load_scenario(args.scenario)
    schedule = load_scenario(args.schedule).schedule if args.schedule is not None else scenario.schedule
    observation = observe(scenario, implementation, ties=TieOrder(schedule) if schedule else None)
    if args.json:
        out.write(canonical_json(observation))
        return EXIT_OK
    out.write(f"{observation['outcome']}: {scenario.name} on {implementation.name}\n")
    if observation["output"] is not None:
        output = observation["output"]
        out.write(f"output: {output['text']}\n")
        out.write(f"  type {output['type']}; labels {output['labels']}; taint {output['taint']}\n")
    else:
        out.write(f"error: {observation['error']['message']}\n")
    retries = sum(stage["outcome"] == "retry" for stage in observation["stages"])
    out.write(f"stages: {len(observation['stages'])} executions ({retries} asked for a retry)\n")
    out.write(f"latest_errors: {len(observation['latest_errors'])}; effects: {len(observation['effects'])}\n")
    out.write(f"virtual time: {observation['elapsed_ms']} ms\n")
    if schedule:
        out.write(f"schedule: {Schedule(schedule)}\n")
    if args.timeline:
        out.write(render_timeline(observation["timeline"], events=observation["events"]) + "\n")
    if args.svg is not None:
        svg = render_svg([observation["timeline"]], title=f"{scenario.name} on {implementation.name}")
        write_atomic(args.svg, svg)
        out.write(f"svg: wrote {args.svg}\n")
    return EXIT_OK


def _check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.junit_xml is not None:
        check_output_path(args.junit_xml, "--junit-xml")
    if args.html is not None:
        check_output_path(args.html, "--html")
    selection = KeywordSelection.compile(args.keyword) if args.keyword is not None else None
    found = _scenario_paths(args.paths)
    paths = selection.select(found) if selection is not None else found
    if not paths:
        raise _UsageError(f"-k {args.keyword!r}: no scenario of {len(found)} matches")
    if args.list_only:
        return _list_scenarios(paths, len(found), out, quiet=args.verbosity < 0)
    candidate = resolve_implementation(args.candidate)
    references = default_references(Path.cwd()) if args.reference is None else (_reference(args.reference),)
    reference = references[0]  # the one exploration and the HTML report name; every one is checked
    collisions = baseline_collisions(paths)
    began = time.perf_counter()
    timed: list[TimedResult] = []
    explored = ExplorationLog()
    with progress_for(
        out, candidate=candidate.name, total=len(paths), json_output=args.json, verbosity=args.verbosity
    ) as progress:
        for path in paths:
            progress.started(path.stem)
            started = time.perf_counter()
            result = check_against_references(path, candidate, references, repeat=args.repeat, collisions=collisions)
            if args.explore is not None and result.status in ("match", "unpinned"):
                result = explore_result(result, candidate, runs=args.explore, reference=reference, log=explored)
            timed.append(TimedResult(result, time.perf_counter() - started))
            progress.finished(result)
            if result.status == "invalid":
                err.write(f"harness check: {result.message}\n")
            if args.exitfirst and not result.passed:
                break
    results = [entry.result for entry in timed]
    progress.close(results, not_run=len(paths) - len(results))
    if args.explore is not None and not args.json:
        out.write(explored.summary(args.explore) + "\n")
    orphans = _report_orphans(args.paths, found, err)
    if args.json:
        report = _check_report(results, candidate, references)
        report["orphaned_baselines"] = orphans
        out.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    if args.junit_xml is not None:
        write_junit_xml(args.junit_xml, timed, candidate=candidate.name)
    if args.html is not None:
        write_html_report(args.html, timed, _check_run(args, candidate, reference, time.perf_counter() - began))
    if any(result.status == "invalid" for result in results):
        return EXIT_INVALID
    return EXIT_OK if all(result.passed for result in results) and not orphans else EXIT_FAILED


def _check_run(args: argparse.Namespace, candidate: Implementation, reference: Implementation, seconds: float) -> CheckRun:
    """What the HTML report says about this run, with the options that reproduce one of its scenarios."""
    options: list[str] = []
    if args.candidate != DEFAULT_CANDIDATE:
        options += ["--candidate", args.candidate]
    if args.reference is not None:
        options += ["--reference", args.reference]
    revision = head_commit(Path.cwd())
    return CheckRun(candidate.name, reference.name, revision[:12] if revision else None, seconds, tuple(options))


def _report_orphans(given: Sequence[Path], found: Sequence[Path], err: TextIO) -> list[str]:
    """Name every baseline under the checked folders that pins no scenario, one line each."""
    orphans = orphaned_baselines(list(given) or [DEFAULT_CORPUS], found)
    for message in orphans.values():
        err.write(f"harness check: {message}\n")
    return [str(path) for path in orphans]


def _list_scenarios(paths: Sequence[Path], found: int, out: TextIO, *, quiet: bool) -> int:
    """``--list``: the scenarios a check would run, as pytest's ``--collect-only`` lists tests."""
    for path in paths:
        out.write(f"{path}\n")
    if not quiet:
        deselected = f" ({found - len(paths)} deselected)" if found > len(paths) else ""
        out.write(f"{len(paths)} scenarios{deselected}\n")
    return EXIT_OK


def _check_report(
    results: Sequence[ScenarioResult], candidate: Implementation, references: Sequence[Implementation]
) -> dict[str, object]:
    return {
        "candidate": candidate.name,
        "reference": references[0].name,
        "references": [reference.name for reference in references],
        "results": [
            {
                "path": result.path,
                "scenario": result.name,
                "status": result.status,
                "message": result.message,
                "candidate_differences": [d.to_document("reference", "candidate") for d in result.candidate_differences],
                "baseline_differences": [d.to_document("baseline", "reference") for d in result.baseline_differences],
            }
            for result in results
        ],
        "passed": sum(result.passed for result in results),
        "failed": sum(not result.passed for result in results),
    }


def _record(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    refused = baseline_writing_refused()
    if refused is not None and not args.force:
        raise _UsageError(f"{refused}; pass --force to record anyway")
    exit_code = EXIT_OK
    paths = _scenario_paths(args.paths)
    collisions = baseline_collisions(paths)
    for path in paths:
        result = record_scenario(path, replace_invalid=args.force, collisions=collisions)
        out.write(f"{result.status:<10} {result.baseline}\n")
        if result.message:
            out.write(f"    {result.message}\n")
        for difference in result.differences:
            out.write(f"    {difference}\n")
        if result.status == "invalid":
            err.write(f"harness record: {result.message}\n")
            exit_code = EXIT_INVALID
        elif result.status == "unfinished" and exit_code == EXIT_OK:
            exit_code = EXIT_FAILED
        out.flush()
    return exit_code


def _repro(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.svg is not None:
        check_output_path(args.svg, "--svg")
    provenance = read_provenance(args.file)
    candidate = _recorded_implementation(args.file, args.candidate, provenance)
    reference_spec = args.reference
    if reference_spec is None and provenance is not None and provenance.reference != "reference":
        reference_spec = provenance.reference
    reference = _reference(reference_spec)
    outcome = replay(args.file, candidate, reference=reference)
    recorded = f" (recorded by {provenance.origin})" if provenance is not None else ""
    out.write(f"replaying {args.file} on {candidate.name} against {reference.name}{recorded}\n")
    out.write(outcome.report() + "\n")
    if args.svg is not None:
        names = (outcome.reference["implementation"], outcome.candidate["implementation"])
        svg = render_svg(
            [outcome.reference["timeline"], outcome.candidate["timeline"]],
            labels=names,
            title=f"{outcome.reference['scenario']}: {names[0]} above {names[1]}",
        )
        write_atomic(args.svg, svg)
        out.write(f"svg: wrote {args.svg}\n")
    return EXIT_OK if outcome.agree else EXIT_FAILED


def _recorded_implementation(path: Path, given: str | None, provenance: Provenance | None) -> Implementation:
    """``--candidate``, else the candidate the repro file records; one that cannot be imported is an error."""
    if given is not None or provenance is None:
        return resolve_implementation(given or DEFAULT_CANDIDATE)
    try:
        return resolve_implementation(provenance.candidate)
    except CandidateError as exc:
        raise CandidateError(
            f"{path}: candidate: the recorded candidate cannot be imported ({exc}); "
            "run from the folder the file was written in, or pass --candidate"
        ) from None


def _freeze(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    root = Path.cwd()
    area, package, snapshot = load_reference_settings(root, area=args.area)
    if args.phase is not None:
        snapshot = read_ledger(root).find(args.phase, where=LEDGER_PATH).reference
    executor = ExecutorEntry.parse(args.executor, where="--executor") if args.executor else None
    result = freeze(FreezeRequest(
        project_root=root,
        area=area,
        package=package,
        snapshot=snapshot,
        rev=args.rev,
        force=args.force,
        executor=executor,
        notes=args.notes,
    ))
    manifest = result.manifest
    kept = ", ".join(manifest.kept) or "none"
    out.write(f"froze {area} at {manifest.source_revision} into {snapshot}\n")
    out.write(f"  reference executor {manifest.executor}; kept modules: {kept}\n")
    for label, paths in (("added", result.added), ("changed", result.changed), ("removed", result.removed)):
        for path in paths:
            out.write(f"  {label:<8} {snapshot}/{path}\n")
    if not (result.added or result.changed or result.removed):
        out.write("  no file changed\n")
    return _corpus_agrees(result, out)


def _corpus_agrees(result: FreezeResult, out: TextIO) -> int:
    """Run the corpus on the snapshot just written (imported afresh) against the pinned baselines."""
    found = discover_scenarios([DEFAULT_CORPUS]) if DEFAULT_CORPUS.is_dir() else []
    if not found:
        out.write(f"corpus: no scenarios under {DEFAULT_CORPUS}/ to compare with\n")
        return EXIT_OK
    digest = hashlib.sha256(render_manifest(result.manifest)).hexdigest()
    package = import_snapshot(result.directory, f"_harness_frozen_{digest[:12]}")
    frozen = implementation_from_snapshot(package, result.manifest.executor, label="new reference")
    collisions = baseline_collisions(found)
    results = [check_scenario(path, frozen, collisions=collisions, reference=frozen) for path in found]
    disagree = [r.name for r in results if r.status not in ("match", "unpinned")]
    if not disagree:
        out.write(f"corpus: all {len(results)} scenarios agree with the new reference\n")
        return EXIT_OK
    shown = ", ".join(disagree[:10]) + (", ..." if len(disagree) > 10 else "")
    out.write(
        f"corpus: {len(disagree)} of {len(results)} scenarios disagree with the new reference: {shown} "
        "(`harness check` shows how; `harness record` if the change is intended)\n"
    )
    return EXIT_FAILED


def _gate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    root = Path.cwd()
    ledger = read_ledger(root)
    current = ledger.open_phase
    return run_gate(
        project_root=root,
        area=args.area,
        base=args.base if args.base is not None or current is None else current.base,
        note=args.note,
        run_commands=not args.no_commands,
        show_output=args.verbose,
        snapshots=phase_snapshots(root, ledger),
        out=out,
    )


def _fuzz(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    extra: tuple[str, ...] = ()
    if args.candidate:
        resolve_implementation(args.candidate)
        extra = ("--candidate", args.candidate)
    if args.example_db:
        parse_location(args.example_db, "--example-db")
    check_output_path(args.out / "fuzz.txt", "--out")
    plan = FuzzPlan(args.minutes, args.workers, tuple(args.paths), args.out, args.example_db, extra)
    report = run_fuzz(plan, progress=err)
    out.write(report.render() + "\n")
    return EXIT_FAILED if report.failures else EXIT_OK


def _export_db(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    copied = export_database(args.source, args.target)
    out.write(f"{copied} examples from {args.source} in {args.target}\n")
    return EXIT_OK


def _merge_shards(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    summary = merge_shards(args.shards, args.out)
    out.write(summary.markdown())
    return EXIT_FAILED if summary.failures else EXIT_OK

def _phase_open(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    opened = open_phase(OpenRequest(
        project_root=Path.cwd(),
        phase_id=args.id,
        title=args.title,
        objective=args.objective,
        touches=tuple(args.touches),
        base=args.base,
        before=args.before,
        force=args.force,
    ))
    phase = opened.phase
    out.write(f"opened {phase.id}: {phase.title}\n")
    out.write(f"  base {phase.base}; before {phase.reference}\n")
    out.write(f"  expected to touch: {', '.join(phase.touches) or 'nothing named'}\n")
    if opened.frozen is None:
        return EXIT_OK
    kept = ", ".join(opened.frozen.manifest.kept) or "none"
    out.write(f"  froze {opened.frozen.manifest.area} at {opened.frozen.manifest.source_revision}; kept modules: {kept}\n")
    return _corpus_agrees(opened.frozen, out)


def _phase_status(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    root = Path.cwd()
    ledger = read_ledger(root)
    phase = ledger.open_phase
    if phase is None:
        last = ledger.closed_phases[-1].id if ledger.closed_phases else "none"
        out.write(f"no phase is open (last closed: {last})\n")
        return EXIT_OK
    out.write(f"open: {phase.id}: {phase.title} (base {phase.base[:12]}, before {phase.reference})\n")
    readiness = assess_phase(root, phase)
    describe_readiness(readiness, out)
    verdict = "yes (close runs the configured commands too)" if readiness.can_close else "no"
    out.write(f"can close: {verdict}\n")
    return EXIT_OK if readiness.can_close else EXIT_FAILED


def _phase_close(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    root = Path.cwd()
    phase = open_phase_or_fail(root)
    if args.id is not None and args.id != phase.id:
        known = read_ledger(root).find(args.id, where=LEDGER_PATH)  # an unknown id is one line
        raise _UsageError(f"{known.id}: not the open phase ({phase.id} is open)")
    remarks = ""
    if args.remarks is not None:
        try:
            remarks = args.remarks.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise _UsageError(f"--remarks {args.remarks}: cannot be read: {exc}") from None
    return close_phase(root, remarks=remarks, show_output=args.verbose, out=out)


def _phase_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    for phase in read_ledger(Path.cwd()).closed_phases:
        out.write(f"{phase.id}  {phase.title}  {(phase.closed_revision or '')[:12]}  {phase.note}\n")
    return EXIT_OK


def _phase_show(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    phase = read_ledger(Path.cwd()).find(args.id, where=LEDGER_PATH)
    out.write(f"{phase.id}: {phase.title} ({phase.status})\n")
    if phase.objective:
        out.write(f"  objective: {phase.objective}\n")
    out.write(f"  base {phase.base}; before {phase.reference}\n")
    out.write(f"  expected to touch: {', '.join(phase.touches) or 'nothing named'}\n")
    if phase.status == "closed":
        out.write(f"  closed at {phase.closed_revision}; note {phase.note}\n")
    return EXIT_OK


Handler = Callable[[argparse.Namespace, TextIO, TextIO], int]


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the ``harness`` command line and return its exit code."""
    stdout = out if out is not None else sys.stdout
    stderr = err if err is not None else sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has already printed the usage error
        return EXIT_INVALID if exc.code else EXIT_OK
    handler: Handler = args.handler
    try:
        return handler(args, stdout, stderr)
    except (DeadlineExceeded, ImplementationCrash) as exc:
        stderr.write(f"harness {args.command}: {exc}\n")
        return EXIT_FAILED
    except HarnessError as exc:
        stderr.write(f"harness {args.command}: {exc}\n")
        return EXIT_INVALID
    except KeyboardInterrupt:
        stderr.write(f"harness {args.command}: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader (``| head``) stopped reading: say nothing more, and keep
        # Python from failing again while it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
