"""The corpus's power: mutation scores of ``harness/pipeline`` under two test selections.

``python3 benchmarks/power.py`` (or ``tox -e power``) runs mutmut over every
module of the executor under refactor, ``harness/pipeline/*`` (never the frozen
reference, which is the oracle), twice:

- ``corpus``: the only test is ``tests/test_corpus_check.py``, every corpus
  scenario checked side by side and against its baseline, which is what
  ``harness check`` does. Its score is the corpus score: the share of realistic
  mistakes in the area that ``harness check`` alone catches.
- ``suite``: the whole test suite except the tests listed in
  :data:`SUITE_EXCLUDED`: they run git histories, configured commands or a
  copy of the project in subprocesses, which never see the mutant (or cannot
  run outside mutmut's folder) and only cost time.

The suite selection holds the corpus test, so every mutant the corpus kills,
the suite kills too: the suite run tests only the corpus's survivors (and the
mutants the corpus never reaches), by name, and takes the corpus's verdict for
the rest. That makes the suite score of the whole area a nightly job (minutes,
not the hours of testing every mutant against every test that reaches it).

A score is ``(killed + timeout) / tested``. mutmut reads ``[tool.mutmut]``
from the ``pyproject.toml`` of its working directory only, so each selection
runs in its own scratch copy of the project, ``artifacts/power/SELECTION/work/``,
with that table rewritten. The copy's ``mutants/`` folder is kept between
runs: mutmut re-mutates only files whose source changed and re-tests only the
functions whose code changed, and it keeps every other verdict. Since a
survivor's verdict goes stale when scenarios are added, every later run
re-tests the survivors cached by the run before (``--retest GLOB`` narrows
that to some names: each survivor runs every test that reaches it). ``--fresh``
throws the scratch copy away first; use it after removing a scenario or a test.
A run with another ``--only-mutate`` scope starts afresh by itself.

Each survivor gets a one-line verdict from ``benchmarks/power_verdicts/MODULE.toml``,
keyed by ``FUNCTION:DIGEST`` (the mangled function name mutmut gives and a
digest of the diff's changed lines, so the key survives line moves and mutant
renumbering). Survivors without a verdict are listed as unexplained, and, after a
corpus run over the whole area, verdicts that match no survivor as leftovers
(their mutant is killed, or gone with the code). Written to
``artifacts/power/``: ``report.md`` (scores, wall times, survivors with
verdicts, for the selections of this run), ``power.json`` (the latest figures
of each selection), and per selection ``report.md`` and ``survivors.diff``.

The script drives mutmut's command line instead of importing it: mutmut's
Python API is not public, and its ``run`` must start in the scratch folder.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from verdicts import changed_lines_digest
from verdicts import load_verdicts as load_verdict_folder

ROOT: Final = Path(__file__).resolve().parent.parent
OUT: Final = ROOT / "artifacts" / "power"
VERDICTS: Final = ROOT / "benchmarks" / "power_verdicts"
AREA: Final = "harness/pipeline/*"
COPIED: Final = (
    "harness", "tests", "baselines", "benchmarks", "phases", ".ci", ".github", "README.md", "pyproject.toml", "tox.ini"
)
# What the tests read besides the code (the suite's README and CI tests read .ci/ and .github/).
ALSO_COPY: Final = ("baselines/", "benchmarks/", "phases/", ".ci/", ".github/", "README.md", "tox.ini")
CORPUS_TEST: Final = "tests/test_corpus_check.py"
SUITE_EXCLUDED: Final = (
    # git histories, `harness freeze` and `--reference REV`: subprocesses and git
    # repositories that import the project's unmutated files, minutes per run.
    "tests/test_freeze.py",
    "tests/test_reference_revision.py",
    "tests/test_snapshot.py",
    "tests/test_phase_workflow.py",
    # the gate runs configured commands (pytest, harness check) in subprocesses
    "tests/gate",
    # they copy harness/ into a temporary project and plant their own mistakes;
    # under mutmut that copy is the trampolined code, which runs only in mutmut's folder
    "tests/test_refactoring_mistakes.py",
    "tests/test_corpus_holes.py",
    # it plants mistakes in the area's source text and copies it, which under
    # mutmut is the trampolined code
    "tests/test_reference_isolation.py",
    # it makes refactor-shaped mutants of the area's source text and checks them in a
    # copy; under mutmut that text is the trampolined code, with every function many times
    "tests/test_refactor_mutants.py",
)
SELECTIONS: Final = ("corpus", "suite")
# One process, the tests in file order. The suite's property tests run on a fixed seed, which
# also keeps hypothesis's example database out: every mutant's run draws what the clean run
# drew, so a failure is the mutant's doing. With the database, one failure an earlier run saved
# (a property's own bug, found by chance) was replayed against every later mutant and counted
# as their kill (73 survivors fell to 8 in one run, most of it false).
PYTEST_ARGS: Final = {
    "corpus": ("-p", "no:randomly", "-p", "no:xdist"),
    "suite": ("-p", "no:randomly", "-p", "no:xdist", "--hypothesis-seed=0"),
}
DETECTED: Final = frozenset({"killed", "timeout"})
NOT_TESTED: Final = frozenset({"skipped", "no tests", "not checked"})


@dataclass(frozen=True, slots=True)
class Survivor:
    """One mutant no test of the selection killed."""

    name: str
    key: str
    diff: str
    verdict: str | None


@dataclass(frozen=True, slots=True)
class SelectionResult:
    """What one selection's run measured."""

    selection: str
    counts: dict[str, int]
    survivors: tuple[Survivor, ...]
    wall_seconds: float
    statuses: dict[str, str] = field(default_factory=dict)
    """Each mutant's status, by name (the suite run reads the corpus's)."""
    leftovers: tuple[str, ...] = ()
    """Verdict keys no survivor has (a corpus run over the whole area only)."""

    @property
    def tested(self) -> int:
        return sum(count for status, count in self.counts.items() if status not in NOT_TESTED)

    @property
    def detected(self) -> int:
        return sum(count for status, count in self.counts.items() if status in DETECTED)

    @property
    def score(self) -> float:
        return 100.0 * self.detected / self.tested if self.tested else 0.0

    def line(self) -> str:
        shown = ", ".join(f"{status} {count}" for status, count in sorted(self.counts.items()))
        return (
            f"{self.selection} score: {self.detected}/{self.tested} = {self.score:.1f}% "
            f"({shown}; {self.wall_seconds:.0f} s wall)"
        )


def _toml_list(items: Sequence[str]) -> str:
    return "[" + ", ".join(json.dumps(item) for item in items) + "]"


def mutmut_table(selection: str, only_mutate: Sequence[str]) -> str:
    """The ``[tool.mutmut]`` table of one selection's scratch copy."""
    if selection == "corpus":
        tests = [CORPUS_TEST]
    else:
        tests = [
            "tests/",
            *(f"--ignore={path}" for path in SUITE_EXCLUDED),
        ]
    return "\n".join(
        [
            "[tool.mutmut]",
            'source_paths = ["harness/"]',
            f"only_mutate = {_toml_list(only_mutate)}",
            f"also_copy = {_toml_list(ALSO_COPY)}",
            f"pytest_add_cli_args_test_selection = {_toml_list(tests)}",
            f"pytest_add_cli_args = {_toml_list(PYTEST_ARGS[selection])}",
            # the scratch copy is no git checkout
            "use_git_change_detection = false",
            "",
        ]
    )


def _without_mutmut_table(text: str) -> str:
    return re.sub(r"(?ms)^\[tool\.mutmut\]\n.*?(?=^\[|\Z)", "", text)


def prepare(selection: str, only_mutate: Sequence[str], *, fresh: bool) -> Path:
    """Copy the project into the selection's scratch folder, keeping ``mutants/`` unless ``fresh``.

    Files are copied with their modification times, which mutmut compares to
    decide what to re-mutate. Everything in ``mutants/`` that is a plain copy
    (tests, corpus, the unmutated part of ``harness/``) is removed so that a
    deleted file never lingers there.
    """
    work = OUT / selection / "work"
    scope = work / "scope.json"
    wanted = json.dumps(list(only_mutate))
    # mutmut decides what to re-mutate from modification times alone, so a
    # file it copied unmutated under a narrower scope would never be mutated.
    if work.exists() and (fresh or not scope.exists() or scope.read_text(encoding="utf-8") != wanted):
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        source, target = ROOT / name, work / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, target)
    scope.write_text(wanted, encoding="utf-8")
    pyproject = work / "pyproject.toml"
    pyproject.write_text(_without_mutmut_table(pyproject.read_text(encoding="utf-8")) + "\n" + mutmut_table(selection, only_mutate))
    mutants = work / "mutants"
    for name in COPIED:
        if name == "harness":
            continue  # its mutated part is kept; the rest is cleared file by file below
        stale = mutants / name
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    for path in sorted((mutants / "harness").rglob("*")) if (mutants / "harness").is_dir() else []:
        if path.is_file() and path.relative_to(mutants).parts[:2] != ("harness", "pipeline"):
            path.unlink()
    return work


def _mutmut(work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).parent / "mutmut"
    command = [str(executable) if executable.exists() else "mutmut", *args]
    return subprocess.run(command, cwd=work, capture_output=True, text=True, check=False)


def _statuses(work: Path) -> dict[str, str]:
    listed = _mutmut(work, "results", "--all", "true")
    statuses: dict[str, str] = {}
    for line in listed.stdout.splitlines():
        name, sep, status = line.strip().partition(": ")
        if sep and "__mutmut_" in name:
            statuses[name] = status.strip()
    return statuses


def survivor_key(name: str, diff: str) -> str:
    """``FUNCTION:DIGEST``: stable across mutant renumbering and moved lines."""
    function = name.rsplit("__mutmut_", 1)[0]
    return f"{function}:{changed_lines_digest(diff)}"


def load_verdicts(folder: Path = VERDICTS) -> dict[str, str]:
    """Every verdict of the folder's ``*.toml`` files (one per module); a key given twice is an error."""
    return load_verdict_folder(folder)


def leftover_verdicts(verdicts: dict[str, str], survivors: Sequence[Survivor]) -> tuple[str, ...]:
    """The verdict keys no survivor has: the corpus kills their mutants, or the code that made them is gone.

    Every suite survivor is a corpus survivor, so the corpus's survivors of the
    whole area are the only keys a verdict may name.
    """
    return tuple(sorted(set(verdicts) - {survivor.key for survivor in survivors}))


def _area_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "harness" / "pipeline").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _diffs(work: Path, names: Sequence[str]) -> dict[str, str]:
    """``mutmut show`` of each name (a second each), cached while the area's source is unchanged."""
    cache_path = work / "diffs.json"
    area = _area_digest()
    cached: dict[str, str] = {}
    if cache_path.exists():
        document = json.loads(cache_path.read_text(encoding="utf-8"))
        if document.get("area") == area:
            cached = document["diffs"]
    diffs = {name: cached[name] if name in cached else _mutmut(work, "show", name).stdout for name in names}
    cache_path.write_text(json.dumps({"area": area, "diffs": {**cached, **diffs}}), encoding="utf-8")
    return diffs


def _run_mutmut(work: Path, max_children: int, names: Sequence[str] = ()) -> None:
    ran = _mutmut(work, "run", "--max-children", str(max_children), *names)
    if ran.returncode != 0:
        raise SystemExit(f"mutmut run failed in {work} (exit {ran.returncode}):\n{ran.stdout[-3000:]}\n{ran.stderr[-3000:]}")


def suite_names(corpus: dict[str, str], suite_cached: dict[str, str]) -> list[str]:
    """The mutants the suite run must test: what the corpus left alive, unless the suite already killed it."""
    return sorted(
        name
        for name, status in corpus.items()
        if status not in DETECTED and status != "skipped" and suite_cached.get(name) not in DETECTED
    )


def suite_statuses(corpus: dict[str, str], suite: dict[str, str]) -> dict[str, str]:
    """The suite's verdict per mutant: the corpus's where it detected the mutant, else the suite run's own."""
    return {name: status if status in DETECTED else suite.get(name, status) for name, status in corpus.items()}


def run_selection(
    selection: str,
    only_mutate: Sequence[str],
    *,
    fresh: bool,
    max_children: int,
    retest: Sequence[str],
    corpus: dict[str, str] | None = None,
) -> SelectionResult:
    """Run (or bring up to date) one selection and collect its figures.

    ``corpus`` (the suite selection only) is the corpus run's status per
    mutant: then only the mutants it did not detect are tested.
    """
    work = prepare(selection, only_mutate, fresh=fresh)
    started = time.monotonic()
    if corpus is not None:
        names = suite_names(corpus, _statuses(work))
        if names:
            _run_mutmut(work, max_children, names)
        wall = time.monotonic() - started
        statuses = suite_statuses(corpus, _statuses(work))
    else:
        # Survivors cached by an earlier run may be killed by scenarios added since.
        cached_survivors = sorted(
            name
            for name, status in _statuses(work).items()
            if status == "survived" and any(fnmatch.fnmatch(name, glob) for glob in retest)
        )
        _run_mutmut(work, max_children)
        if cached_survivors:
            _run_mutmut(work, max_children, cached_survivors)
        wall = time.monotonic() - started
        statuses = _statuses(work)
    counts: dict[str, int] = {}
    for status in statuses.values():
        counts[status] = counts.get(status, 0) + 1
    verdicts = load_verdicts()
    survivors = []
    surviving = sorted(name for name, status in statuses.items() if status == "survived")
    for name, diff in _diffs(work, surviving).items():
        key = survivor_key(name, diff)
        survivors.append(Survivor(name, key, diff, verdicts.get(key)))
    leftovers = leftover_verdicts(verdicts, survivors) if selection == "corpus" and list(only_mutate) == [AREA] else ()
    result = SelectionResult(selection, counts, tuple(survivors), wall, statuses, leftovers)
    folder = OUT / selection
    (folder / "survivors.diff").write_text("".join(f"# {s.key}\n{s.diff}\n" for s in survivors), encoding="utf-8")
    return result


def report(results: Sequence[SelectionResult], command: str) -> str:
    """``report.md``: both scores, the wall times, every survivor with its verdict."""
    lines = ["# Corpus power", "", f"Command: `{command}`", ""]
    lines += [f"- {result.line()}" for result in results]
    for result in results:
        lines += ["", f"## Survivors of the {result.selection} selection ({len(result.survivors)})", ""]
        for survivor in result.survivors:
            verdict = survivor.verdict or "UNEXPLAINED"
            lines.append(f"- `{survivor.key}` ({survivor.name}): {verdict}")
        if result.leftovers:
            lines += ["", f"## Leftover verdicts, matching no survivor ({len(result.leftovers)})", ""]
            lines += [f"- `{key}`" for key in result.leftovers]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--selection", choices=(*SELECTIONS, "both"), default="both")
    parser.add_argument("--fresh", action="store_true", help="discard the scratch copies and their mutants first")
    parser.add_argument(
        "--only-mutate", action="append", metavar="GLOB", help=f"mutate these files only (default: {AREA}); for trials"
    )
    parser.add_argument(
        "--retest",
        action="append",
        metavar="GLOB",
        help="re-test the cached survivors whose names match one of these (default: all of them)",
    )
    parser.add_argument("--max-children", type=int, default=2, help="mutmut's worker processes (default: 2)")
    parser.add_argument("--fail-under-corpus", type=float, default=None, metavar="PERCENT")
    parser.add_argument("--fail-under-suite", type=float, default=None, metavar="PERCENT")
    args = parser.parse_args(argv)
    selections = SELECTIONS if args.selection == "both" else (args.selection,)
    only_mutate = args.only_mutate or [AREA]
    results = []
    corpus: dict[str, str] | None = None
    for selection in SELECTIONS:
        if selection not in selections and not (selection == "corpus" and "suite" in selections):
            continue
        result = run_selection(
            selection,
            only_mutate,
            fresh=args.fresh,
            max_children=args.max_children,
            retest=args.retest or ["*"],
            corpus=corpus,
        )
        if selection == "corpus":
            # The suite run needs the corpus's verdicts (brought up to date, which
            # costs seconds when nothing changed), whether or not it was asked for.
            corpus = result.statuses
        if selection in selections:
            print(result.line(), flush=True)
            results.append(result)
    command = "python3 benchmarks/power.py " + " ".join(argv if argv is not None else sys.argv[1:])
    OUT.mkdir(parents=True, exist_ok=True)
    for result in results:
        (OUT / result.selection / "report.md").write_text(report([result], command.strip()), encoding="utf-8")
    (OUT / "report.md").write_text(report(results, command.strip()), encoding="utf-8")
    # A run of one selection keeps the other's figures in power.json.
    previous = OUT / "power.json"
    document = json.loads(previous.read_text(encoding="utf-8")) if previous.exists() else {}
    document |= {
        result.selection: {
            "command": command.strip(),
            "score": round(result.score, 2),
            "detected": result.detected,
            "tested": result.tested,
            "counts": result.counts,
            "wall_seconds": round(result.wall_seconds, 1),
            "survivors": [{"name": s.name, "key": s.key, "verdict": s.verdict} for s in result.survivors],
            "leftovers": list(result.leftovers),
        }
        for result in results
    }
    (OUT / "power.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    unexplained = [s for result in results for s in result.survivors if s.verdict is None]
    for survivor in unexplained:
        print(f"unexplained survivor: {survivor.key} ({survivor.name})")
    leftovers = [key for result in results for key in result.leftovers]
    for key in leftovers:
        print(f"leftover verdict (no such survivor): {key}")
    print(f"report: {OUT / 'report.md'}")
    thresholds = {"corpus": args.fail_under_corpus, "suite": args.fail_under_suite}
    failed = [r for r in results if thresholds[r.selection] is not None and r.score < thresholds[r.selection]]
    return 1 if failed or unexplained or leftovers else 0


if __name__ == "__main__":
    raise SystemExit(main())
