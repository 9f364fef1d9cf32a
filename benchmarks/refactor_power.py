"""The corpus's power against refactor-shaped mutants: ``harness check`` alone over ``harness/pipeline``.

``python3 benchmarks/refactor_power.py`` (or ``tox -e refactor-power``) makes
every mutant of :mod:`refactor_mutants` over ``harness/pipeline/*.py`` and
runs ``harness check`` (every corpus scenario with its pinned baseline, and
nothing else) on each, in ``--workers`` parallel copies of the tree
(``artifacts/refactor-power/work/wN``: ``harness/`` and ``baselines/``). A
mutant is its diff, applied with ``git apply`` to a clean copy and taken back
after the check. Statuses:

- ``killed``: the check exited 1 (a scenario mismatched, crashed, did not
  finish or was nondeterministic); ``timeout``: it ran past ``--timeout``
  seconds. Both are detected.
- ``check-error``: the check could not compare, because the mutated code
  broke it: the candidate answered values the harness cannot read (exit 2,
  ``its events or values do not have the shape the harness reads``), or the
  harness raised in code it shares with the candidate (the scenario builder
  makes values with ``harness.pipeline``), or ran out of memory on what the
  candidate built (a value that holds the whole pipeline, a loop that keeps
  recording). Detected (the check fails), and shown in a column of its own.
  Each check runs under an address-space limit of :data:`MEMORY_LIMIT`, so
  that such a mutant ends in a ``MemoryError`` the runner reports instead of
  in the system's out-of-memory killer, which would take the machine's other
  checks with it.
- ``survived``: the check exited 0.
- ``unparsable`` and ``no-import``: the mutated module does not compile, or
  ``harness.cli`` or the module does not import. Counted apart, never as kills.
- ``error``: the diff did not apply, or the check died of a signal (killed
  from outside): the run fails, since nothing was measured.

The score is ``detected / (imported - equivalent)``, where ``equivalent``
counts the survivors whose verdict (``benchmarks/refactor_verdicts/MODULE.toml``,
read by the machinery shared with ``power.py``) says no input tells them
apart; the raw share ``detected / imported`` stands beside it, per operator
and per module. Every survivor needs a verdict; a verdict whose mutant no
longer survives is stale. Both fail the run, as does a score under
``--fail-under``.

Results are cached in ``artifacts/refactor-power/cache.json`` (see
:class:`Cache`), keyed by the mutant's diff, the whole source of the module it
mutates and a digest of ``harness/`` outside ``harness/pipeline``, each with
the corpus it was checked against. A re-run tests only what changed: a change
to one module of the area re-tests that module's mutants (not its callers':
``--fresh`` does), a new scenario only the survivors, a changed or removed
one everything. Written there too: ``report.md`` (the tables and every
survivor with its verdict), ``results.json`` and ``survivors.diff``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

from refactor_mutants import OPERATORS, Mutant, area_mutants
from verdicts import load_verdicts, stale_verdicts, verdict_kind

ROOT: Final = Path(__file__).resolve().parent.parent
OUT: Final = ROOT / "artifacts" / "refactor-power"
VERDICTS: Final = ROOT / "benchmarks" / "refactor_verdicts"
CACHE: Final = OUT / "cache.json"
AREA: Final = "harness/pipeline"
COPIED: Final = ("harness", "baselines")
DETECTED: Final = frozenset({"killed", "timeout", "check-error"})
NOT_IMPORTED: Final = frozenset({"unparsable", "no-import"})
MEMORY_LIMIT: Final = 4 * 1024**3
"""Bytes of address space a check may map; a clean check maps well under 1 GiB."""
NO_IMPORT_EXIT: Final = 97
HARNESS_RAISED_EXIT: Final = 98
STATUSES: Final = {0: "survived", 1: "killed", 2: "check-error", HARNESS_RAISED_EXIT: "check-error", NO_IMPORT_EXIT: "no-import"}
"""The status of a check by its exit code; any other code is an ``error``."""
# Limits its own address space first (the check's process, not the runner's:
# ``preexec_fn`` is unsafe beside the runner's threads), then imports the CLI
# and the mutated module apart from the check, so that a mutant that does not
# import is told from one the check catches.
RUNNER: Final = f"""
import importlib, resource, sys, traceback
resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_LIMIT}, {MEMORY_LIMIT}))
try:
    importlib.import_module("harness.cli")
    importlib.import_module(sys.argv[1])
except BaseException:
    traceback.print_exc()
    sys.exit({NO_IMPORT_EXIT})
from harness.cli import main
try:
    code = main(["check", "-q", "baselines/"])
except BaseException:
    traceback.print_exc()
    sys.exit({HARNESS_RAISED_EXIT})
sys.exit(code)
"""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the check said of one mutant."""

    mutant: Mutant
    status: str
    detail: str = ""


def _digest(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update((part.encode() if isinstance(part, str) else part) + b"\0")
    return digest.hexdigest()


def harness_digest() -> str:
    """What the check runs besides the area and the corpus: ``harness/`` outside ``harness/pipeline``."""
    files = sorted(
        path
        for path in (ROOT / "harness").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and not path.is_relative_to(ROOT / AREA)
    )
    return _digest(*(part for path in files for part in (str(path.relative_to(ROOT)), path.read_bytes())))


def corpus_manifest() -> dict[str, str]:
    """Each file of the corpus (``baselines/``) with a digest of its content."""
    folder = ROOT / "baselines"
    return {str(path.relative_to(folder)): _digest(path.read_bytes()) for path in sorted(folder.rglob("*")) if path.is_file()}


@dataclass(slots=True)
class Cache:
    """Each mutant's last status and the corpus it was checked against, in ``cache.json``.

    A result is keyed by the mutant's diff, the source of the module it
    mutates and :func:`harness_digest`. It is taken as it stands when the
    corpus is the same; a kill also when the corpus only grew (every file it
    was checked against is still there unchanged: the scenario that killed it
    still does), so adding a scenario re-tests only the survivors.
    """

    results: dict[str, list[str]]
    """key -> [status, corpus digest]."""
    corpora: dict[str, dict[str, str]]
    """corpus digest -> its manifest."""

    @classmethod
    def load(cls, path: Path) -> Cache:
        document = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        return cls(document.get("results", {}), document.get("corpora", {}))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        used = {corpus for _, corpus in self.results.values()}
        corpora = {digest: manifest for digest, manifest in self.corpora.items() if digest in used}
        path.write_text(json.dumps({"results": self.results, "corpora": corpora}, sort_keys=True) + "\n", encoding="utf-8")

    def status(self, key: str, corpus: str, manifest: dict[str, str]) -> str | None:
        if key not in self.results:
            return None
        status, then = self.results[key]
        if then == corpus:
            return status
        old = self.corpora.get(then)
        if status in DETECTED and old is not None and all(manifest.get(name) == digest for name, digest in old.items()):
            return status
        return None

    def record(self, key: str, status: str, corpus: str, manifest: dict[str, str]) -> None:
        self.corpora.setdefault(corpus, manifest)
        self.results[key] = [status, corpus]


def cache_key(mutant: Mutant, harness: str) -> str:
    source = (ROOT / mutant.module).read_text(encoding="utf-8")
    return _digest(harness, mutant.module, source, mutant.diff)


def prepare_copies(workers: int) -> list[Path]:
    """One clean copy of ``harness/`` and ``baselines/`` per worker."""
    copies = []
    for index in range(workers):
        copy = OUT / "work" / f"w{index}"
        shutil.rmtree(copy, ignore_errors=True)
        copy.mkdir(parents=True)
        for name in COPIED:
            shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        copies.append(copy)
    return copies


def _environment(copy: Path) -> dict[str, str]:
    environment = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1", "NO_COLOR": "1"}
    for name in ("CI", "PIPELINE_PARALLEL_LIMIT", "HARNESS_PROFILE"):
        environment.pop(name, None)
    return environment


def _death(returncode: int) -> str:
    """How a check that exited ``returncode`` ended, for the report."""
    if returncode >= 0:
        return f"exit {returncode}"
    try:
        return f"killed by {signal.Signals(-returncode).name}"
    except ValueError:
        return f"killed by signal {-returncode}"


def test_mutant(copy: Path, mutant: Mutant, timeout: float) -> Outcome:
    """Apply the mutant's diff to the clean copy, run the check there, and take the diff back."""
    try:
        compile(mutant.source, mutant.module, "exec")
    except SyntaxError as error:
        return Outcome(mutant, "unparsable", str(error))
    target = copy / mutant.module
    clean = target.read_bytes()
    applied = subprocess.run(
        ["git", "apply", "-"], cwd=copy, input=mutant.diff, capture_output=True, text=True, check=False
    )
    if applied.returncode != 0 or target.read_text(encoding="utf-8") != mutant.source:
        target.write_bytes(clean)
        return Outcome(mutant, "error", f"the diff does not apply: {applied.stderr.strip()}")
    module = mutant.module.removesuffix(".py").replace("/", ".")
    try:
        ran = subprocess.run(
            [sys.executable, "-c", RUNNER, module],
            cwd=copy,
            env=_environment(copy),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Outcome(mutant, "timeout")
    finally:
        target.write_bytes(clean)
    status = STATUSES.get(ran.returncode, "error")
    detail = "" if status in ("survived", "killed") else f"{_death(ran.returncode)}: {(ran.stdout + ran.stderr)[-2000:]}"
    return Outcome(mutant, status, detail)


def run_all(mutants: Sequence[Mutant], workers: int, timeout: float, cache: Cache) -> list[Outcome]:
    """Each mutant's outcome: from the cache where it still holds, else tested in a free copy."""
    harness = harness_digest()
    manifest = corpus_manifest()
    corpus = _digest(json.dumps(manifest, sort_keys=True))
    keys = {mutant.key: cache_key(mutant, harness) for mutant in mutants}
    outcomes: dict[str, Outcome] = {}
    for mutant in mutants:
        status = cache.status(keys[mutant.key], corpus, manifest)
        if status is not None:
            outcomes[mutant.key] = Outcome(mutant, status)
    pending = [mutant for mutant in mutants if mutant.key not in outcomes]
    print(f"{len(mutants)} mutants, {len(outcomes)} from the cache, {len(pending)} to test", flush=True)
    if pending:
        copies: queue.Queue[Path] = queue.Queue()
        for copy in prepare_copies(workers):
            copies.put(copy)

        def one(mutant: Mutant) -> Outcome:
            copy = copies.get()
            try:
                return test_mutant(copy, mutant, timeout)
            finally:
                copies.put(copy)

        with ThreadPoolExecutor(max_workers=workers) as pool:
            for done, outcome in enumerate(pool.map(one, pending), start=1):
                outcomes[outcome.mutant.key] = outcome
                if outcome.status != "error":
                    cache.record(keys[outcome.mutant.key], outcome.status, corpus, manifest)
                if done % 50 == 0 or done == len(pending):
                    print(f"  tested {done}/{len(pending)}", flush=True)
                    cache.save(CACHE)
    return [outcomes[mutant.key] for mutant in mutants]


@dataclass(frozen=True, slots=True)
class Tally:
    """The figures of one group of outcomes (all, one operator, one module)."""

    total: int
    imported: int
    detected: int
    equivalent: int
    survived: int
    check_errors: int = 0
    """Of the detected, those where the check could not compare (``check-error``)."""

    @classmethod
    def of(cls, outcomes: Sequence[Outcome], verdicts: dict[str, str]) -> Tally:
        imported = [o for o in outcomes if o.status not in NOT_IMPORTED]
        survivors = [o for o in imported if o.status == "survived"]
        equivalent = sum(1 for o in survivors if verdict_kind(verdicts.get(o.mutant.key, "")) == "equivalent")
        detected = sum(1 for o in imported if o.status in DETECTED)
        check_errors = sum(1 for o in imported if o.status == "check-error")
        return cls(len(outcomes), len(imported), detected, equivalent, len(survivors), check_errors)

    @property
    def score(self) -> float:
        judged = self.imported - self.equivalent
        return 100.0 * self.detected / judged if judged else 100.0

    @property
    def raw(self) -> float:
        return 100.0 * self.detected / self.imported if self.imported else 100.0

    def row(self, name: str) -> str:
        return (
            f"| {name} | {self.total} | {self.total - self.imported} | {self.imported} | {self.detected} "
            f"| {self.check_errors} "
            f"| {self.survived} | {self.equivalent} | {self.detected}/{self.imported - self.equivalent} = {self.score:.1f}% "
            f"| {self.raw:.1f}% |"
        )


HEADER: Final = (
    "| {0} | mutants | not imported | imported | killed | of which check errors | survived | equivalent | score | raw share |\n"
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |"
)


def report(outcomes: Sequence[Outcome], verdicts: dict[str, str], stale: Sequence[str], command: str) -> str:
    """``report.md``: the score overall, per operator and per module, every survivor and every stale verdict."""
    lines = ["# Refactor-mutant power of `harness check`", "", f"Command: `{command}`", ""]
    lines += [HEADER.format("area"), Tally.of(outcomes, verdicts).row("harness/pipeline"), ""]
    lines.append(HEADER.format("operator"))
    for operator in OPERATORS:
        group = [o for o in outcomes if o.mutant.operator == operator]
        if group:
            lines.append(Tally.of(group, verdicts).row(operator))
    lines += ["", HEADER.format("module")]
    for module in sorted({o.mutant.module for o in outcomes}):
        lines.append(Tally.of([o for o in outcomes if o.mutant.module == module], verdicts).row(Path(module).stem))
    survivors = [o for o in outcomes if o.status == "survived"]
    lines += ["", f"## Survivors ({len(survivors)})", ""]
    for outcome in survivors:
        mutant = outcome.mutant
        verdict = verdicts.get(mutant.key, "UNEXPLAINED")
        lines.append(f"- `{mutant.key}` ({mutant.module}:{mutant.line}): {verdict}")
    apart = [o for o in outcomes if o.status in NOT_IMPORTED or o.status in ("error", "check-error")]
    if apart:
        lines += ["", f"## Not imported, not measured, or the check could not compare ({len(apart)})", ""]
        lines += [f"- `{o.mutant.key}`: {o.status} {o.detail.splitlines()[-1] if o.detail else ''}" for o in apart]
    if stale:
        lines += ["", f"## Stale verdicts ({len(stale)})", ""]
        lines += [f"- `{key}`" for key in stale]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", action="append", metavar="NAME", help="only these modules of the area (stem, e.g. cache)")
    parser.add_argument("--operator", action="append", choices=OPERATORS, help="only these operators")
    parser.add_argument("--workers", type=int, default=2, help="parallel checks (default: 2)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a check counts as a timeout")
    parser.add_argument("--fresh", action="store_true", help="forget the cached results first")
    parser.add_argument("--fail-under", type=float, default=None, metavar="PERCENT")
    args = parser.parse_args(argv)
    stems = args.module or sorted(path.stem for path in (ROOT / AREA).glob("*.py"))
    operators = args.operator or list(OPERATORS)
    modules = [f"{AREA}/{stem}.py" for stem in stems]
    started = time.monotonic()
    callees = sorted(str(path.relative_to(ROOT)) for path in (ROOT / AREA).glob("*.py"))
    mutants = area_mutants(ROOT, modules, operators, callees=callees)
    cache = Cache({}, {}) if args.fresh else Cache.load(CACHE)
    outcomes = run_all(mutants, args.workers, args.timeout, cache)
    cache.save(CACHE)
    verdicts = {
        key: verdict
        for key, verdict in load_verdicts(VERDICTS, stems).items()
        if key.partition(":")[0] in operators
    }
    surviving = [o.mutant.key for o in outcomes if o.status == "survived"]
    stale = stale_verdicts(verdicts, surviving)
    command = "python3 benchmarks/refactor_power.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = report(outcomes, verdicts, stale, command.strip())
    (OUT / "report.md").write_text(text, encoding="utf-8")
    (OUT / "survivors.diff").write_text(
        "".join(f"# {o.mutant.key}\n{o.mutant.diff}\n" for o in outcomes if o.status == "survived"), encoding="utf-8"
    )
    overall = Tally.of(outcomes, verdicts)
    document = {
        "command": command.strip(),
        "score": round(overall.score, 2),
        "raw": round(overall.raw, 2),
        "tally": asdict(overall),
        "wall_seconds": round(time.monotonic() - started, 1),
        "outcomes": {o.mutant.key: o.status for o in outcomes},
    }
    (OUT / "results.json").write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(text.split("\n## Survivors")[0])
    unexplained = [key for key in surviving if key not in verdicts]
    errors = [o for o in outcomes if o.status == "error"]
    for key in unexplained:
        print(f"unexplained survivor: {key}")
    for key in stale:
        print(f"stale verdict: {key}")
    for outcome in errors:
        print(f"not measured: {outcome.mutant.key}: {outcome.detail[-500:]}")
    print(f"report: {OUT / 'report.md'} ({time.monotonic() - started:.0f} s)")
    below = args.fail_under is not None and overall.score < args.fail_under
    return 1 if below or unexplained or stale or errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
