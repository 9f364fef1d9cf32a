"""Run every benchmark and report the figures as measured.

Usage::

    python benchmarks/run.py [--quick] [--json FILE] [--write-results [FILE]]

Prints a table of the figures and the machine they ran on. ``--quick`` runs
fewer rounds (a smoke run, not figures to quote); ``--json`` also writes the
figures and the machine as JSON; ``--write-results`` writes them as Markdown
to ``benchmarks/RESULTS.md`` (or FILE), naming the command that produced it,
and keeps the page's sections below its marker line (measured on their own);
a page without that line is refused before any benchmark runs.
A missed target is reported, never an error: the exit status is 0 unless a
benchmark could not run.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

import bench_check
import bench_concurrency
import bench_exploration
import bench_faults
import bench_html
import bench_parallel_group
import bench_properties
import bench_suite
import bench_virtual_time
from measure import Figure
from report import ResultsPageError, describe_machine, merge_results_page, render_markdown, render_table

__all__ = ["BENCHMARKS", "main"]

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
BENCHMARKS: tuple[ModuleType, ...] = (
    bench_concurrency, bench_parallel_group, bench_virtual_time, bench_check, bench_properties, bench_faults,
    bench_suite, bench_exploration, bench_html,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, for a smoke run")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON")
    parser.add_argument(
        "--write-results", type=Path, nargs="?", const=RESULTS, metavar="FILE",
        help=f"also write the figures as Markdown (default: {RESULTS.relative_to(HERE.parent)})",
    )
    return parser


def _summary(module: ModuleType) -> str:
    doc = module.__doc__ or ""
    return doc.strip().splitlines()[0] if doc.strip() else module.__name__


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Before hours of benchmarks are spent on a page that would be refused.
    if args.write_results is not None and _merged("", args.write_results) is None:
        return 2
    machine = describe_machine()
    figures: list[Figure] = []
    for module in BENCHMARKS:
        run: Callable[[bool], list[Figure]] = module.run
        sys.stderr.write(f"running {module.NAME} ...\n")
        sys.stderr.flush()
        figures += run(args.quick)
    machine = machine.ended()
    sys.stdout.write(render_table(figures, machine))
    missed = [f for f in figures if f.met is False]
    sys.stdout.write(
        "\ntargets: all met\n" if not missed
        else "\ntargets missed: " + "; ".join(f"{f.benchmark} {f.name} {f.shown} ({f.target_shown})" for f in missed) + "\n"
    )
    command = " ".join(["python benchmarks/run.py", *(sys.argv[1:] if argv is None else argv)])
    if args.json is not None:
        document = {
            "command": command,
            "quick": args.quick,
            "machine": machine.to_document(),
            "figures": [f.to_document() for f in figures],
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    if args.write_results is not None:
        produced_at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        how = [(module.NAME, _summary(module)) for module in BENCHMARKS]
        page = render_markdown(figures, machine, command=command, produced_at=produced_at, how=how)
        # Read again: the page may have been edited while the benchmarks ran.
        merged = _merged(page, args.write_results)
        if merged is None:
            return 2
        partial = args.write_results.with_name(args.write_results.name + ".partial")
        partial.write_text(merged, encoding="utf-8")
        partial.replace(args.write_results)
        sys.stderr.write(f"wrote {args.write_results}\n")
    return 0


def _merged(page: str, path: Path) -> str | None:
    """``page`` merged into the file at ``path``, or ``None`` after saying in one line why it is refused."""
    try:
        return merge_results_page(page, path.read_text(encoding="utf-8") if path.exists() else None, path=path)
    except ResultsPageError as exc:
        sys.stderr.write(f"benchmarks/run.py: {exc}\n")
        return None


if __name__ == "__main__":
    sys.exit(main())
