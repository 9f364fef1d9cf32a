"""One parallel group of 10,000 branches through the full executor, on the virtual clock.

The pipeline is a single parallel stage of 10,000 commands, each an async
command that answers with its own short string, run as
``PipelineExecutor([group], parallel_cap=64).execute("input")`` inside
:func:`harness.observation.run_on_virtual_clock` (a fresh ``looptime`` loop).
The commands never sleep, so no virtual time passes; the figures are the
executor's own overhead.

- Wall time: ``time.perf_counter`` around the whole run (loop creation,
  executor construction, the stage, the aggregate), median of rounds. The
  :class:`~harness.pipeline.ReferenceExecutor` runs in the same rounds,
  interleaved and alternating which goes first, for the ratio ours/reference.
- Peak memory: ``tracemalloc``'s peak during one run (the executor is built
  inside it, the commands outside), in rounds of their own because tracing
  slows the run; the reference's peak in the same process gives the ratio.

Each run is checked to return an array of the 10,000 answers in order.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import final

from types import ModuleType

import harness.pipeline
import harness.reference
from harness.observation import run_on_virtual_clock
from harness.pipeline import Command, PipelineExecutor, StructuredValue
from harness.reference import ReferenceExecutor

from measure import Figure, median, median_note, peak_bytes, wall_seconds
from report import run_standalone

__all__ = ["BRANCHES", "CAP", "run"]

NAME = "2 parallel group"
BRANCHES = 10_000
CAP = 64
ROUNDS = 7
QUICK_ROUNDS = 2
MEMORY_ROUNDS = 3
QUICK_MEMORY_ROUNDS = 1


@final
class Answer:
    """An async command that answers with a fixed string."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Answer({self.text!r})"

    async def __call__(self, value: StructuredValue) -> str:
        return self.text


def build_group(size: int, package: ModuleType = harness.pipeline) -> list[Command]:
    """``size`` branch commands of ``package`` (each executor knows only its own), ``branch-0`` answering ``answer-0``."""
    return [package.Command(f"branch-{index}", Answer(f"answer-{index}")) for index in range(size)]


def run_group(executor_class: type, group: list[Command]) -> StructuredValue:
    """Run the one-stage pipeline on a fresh virtual-clock loop and return its output."""

    outputs: list[StructuredValue] = []

    async def main() -> None:
        executor = executor_class([group], parallel_cap=CAP)
        outputs.append(await executor.execute("input"))

    # Not returned from main: on exit, CPython 3.11's asyncio.Runner formats
    # the main task's repr (SIGINT handler restore, CPython issue 112559), and
    # the repr of a 10,000-branch aggregate would be charged to the executor.
    run_on_virtual_clock(main)
    output = outputs[0]
    expected = [f"answer-{index}" for index in range(len(group))]
    if output.type != "array" or output.data != expected:
        raise RuntimeError(f"{executor_class.__name__} returned {output.type} output, not the {len(group)} answers")
    return output


def _interleaved(rounds: int, measure: Callable[[type], float]) -> dict[type, list[float]]:
    """``measure(cls)`` for ours and the reference each round, alternating which goes first."""
    pair = (PipelineExecutor, ReferenceExecutor)
    values: dict[type, list[float]] = {cls: [] for cls in pair}
    for number in range(rounds):
        for cls in pair if number % 2 == 0 else pair[::-1]:
            values[cls].append(measure(cls))
    return values


def run(quick: bool = False) -> list[Figure]:
    """Wall time and peak memory of ours and the reference, and both ratios."""
    groups = {
        PipelineExecutor: build_group(BRANCHES, harness.pipeline),
        ReferenceExecutor: build_group(BRANCHES, harness.reference),
    }
    rounds = QUICK_ROUNDS if quick else ROUNDS
    memory_rounds = QUICK_MEMORY_ROUNDS if quick else MEMORY_ROUNDS
    run_group(PipelineExecutor, groups[PipelineExecutor])  # warm-up: imports, code paths, allocator arenas
    run_group(ReferenceExecutor, groups[ReferenceExecutor])
    seconds = _interleaved(rounds, lambda cls: wall_seconds(lambda: run_group(cls, groups[cls]))[0])
    peaks = _interleaved(memory_rounds, lambda cls: float(peak_bytes(lambda: run_group(cls, groups[cls]))[0]))

    ours_s, reference_s = median(seconds[PipelineExecutor]), median(seconds[ReferenceExecutor])
    ours_peak, reference_peak = median(peaks[PipelineExecutor]), median(peaks[ReferenceExecutor])
    timing = f"{BRANCHES:,} branches, cap {CAP}, {median_note(rounds)}"
    memory = f"tracemalloc peak, {median_note(memory_rounds)}"
    return [
        Figure(benchmark=NAME, name="wall, PipelineExecutor", value=ours_s, unit="s", note=timing),
        Figure(benchmark=NAME, name="wall, ReferenceExecutor", value=reference_s, unit="s", note=timing),
        Figure(benchmark=NAME, name="wall ratio ours/reference", value=ours_s / reference_s, unit="ratio",
               note="same rounds, interleaved"),
        Figure(benchmark=NAME, name="branches per second, ours", value=BRANCHES / ours_s, unit="per_s", note=timing),
        Figure(benchmark=NAME, name="peak memory, PipelineExecutor", value=ours_peak / 1e6, unit="MB",
               note=f"{memory}; {ours_peak / BRANCHES:,.0f} B per branch"),
        Figure(benchmark=NAME, name="peak memory, ReferenceExecutor", value=reference_peak / 1e6, unit="MB",
               note=f"{memory}; {reference_peak / BRANCHES:,.0f} B per branch"),
        Figure(benchmark=NAME, name="peak ratio ours/reference", value=ours_peak / reference_peak, unit="ratio",
               note="same process"),
    ]


if __name__ == "__main__":
    sys.exit(run_standalone(run, __doc__.splitlines()[0]))
