"""Sharded fuzzing: examples per second of two shards sharing one Redis against one shard, side by side in one run.

Starts a real ``redis-server`` on loopback in a temporary folder, then runs
:func:`harness.fuzz.engine.run_fuzz` (what ``harness fuzz`` runs) on the
property tests of ``tests/properties/test_parallel_properties.py`` with one
worker and with two, alternating (1, 2, 1, 2, ...) so that a change in the
machine's load falls on both, every worker writing to the one Redis. Each
worker runs exactly one round (one pytest session of the ``fuzz`` profile,
500 examples a property), so two shards do twice the work of one; a run's
rate is every example its workers ran (shrinking included, counted by
``HARNESS_FUZZ_STATS``) over its wall time, pytest's start-up included. (A
window of a time-budgeted run misleads: the properties differ in cost, so the
rate changes as a round moves from one to the next.) The speed-up is the
median two-shard rate over the median one-shard rate. The target, at least 1.8 on a 2-core machine, is a
lower bound, so it is shown in the note. Needs ``redis-server``; not part of
``benchmarks/run.py`` (it takes minutes)::

    python benchmarks/bench_shards.py [--quick]
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from harness.fuzz.engine import FuzzPlan, run_fuzz

from measure import Figure, median
from report import run_standalone

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "fuzz")]

from redis_server import start_redis  # noqa: E402  (the tests' folder is put on the path just above)

BENCHMARK = "shards"
PATHS = ("tests/properties/test_parallel_properties.py",)
TARGET = 1.8


def _rate(workers: int, database: str, out: Path) -> float:
    # Every worker runs exactly one whole round (the same work per worker).
    plan = FuzzPlan(60, workers, PATHS, out, database=database, max_rounds=1)
    report = run_fuzz(plan)
    assert report.rounds == workers and not report.failures, report.render()
    return report.counts.total / report.seconds


def run(quick: bool) -> list[Figure]:
    pairs = 1 if quick else 3
    os.chdir(ROOT)
    rates: dict[int, list[float]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory() as scratch:
        server = start_redis(Path(scratch))
        redis = next(server)
        try:
            for index in range(pairs):
                for workers in (1, 2):
                    redis.client.flushdb()  # type: ignore[attr-defined]
                    out = Path(scratch) / f"run{index}-{workers}"
                    rates[workers].append(_rate(workers, redis.url, out))
        finally:
            server.close()
    one, two = median(rates[1]), median(rates[2])
    speedup = two / one if one else 0.0
    note = f"median of {pairs} runs each, alternating, one round of the fuzz profile per worker; one Redis on loopback"
    return [
        Figure(benchmark=BENCHMARK, name="examples per second, one shard", value=one, unit="per_s", note=note),
        Figure(benchmark=BENCHMARK, name="examples per second, two shards", value=two, unit="per_s", note=note),
        Figure(benchmark=BENCHMARK, name="speed-up, two shards over one", value=speedup, unit="ratio",
               note=f"target >= {TARGET}: {'met' if speedup >= TARGET else 'missed'}; rates "
               f"{', '.join(f'{r:.1f}' for r in rates[1])} /s and {', '.join(f'{r:.1f}' for r in rates[2])} /s"),
    ]  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(run_standalone(run, __doc__.splitlines()[0]))
