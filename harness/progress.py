"""Progress of a long ``harness check``: a bar on a terminal, plain lines elsewhere.

On a terminal a ``rich`` progress bar shows how many scenarios are done and
which one runs, and only failures are printed in full; elsewhere (a CI log, a
pipe) every scenario gets its line as it finishes. ``--json`` shows neither.
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self, TextIO, final

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from harness.check import ScenarioResult, describe_result

__all__ = ["CheckProgress", "LineProgress", "SilentProgress", "TerminalProgress", "progress_for"]


class CheckProgress(Protocol):
    """Told when a scenario starts and how it ended."""

    def __enter__(self) -> Self: ...

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None: ...

    def started(self, name: str) -> None: ...

    def finished(self, result: ScenarioResult) -> None: ...


class _Quiet:
    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        return None

    def started(self, name: str) -> None:
        return None


@final
class SilentProgress(_Quiet):
    """Shows nothing (``--json``: the report is the whole output)."""

    def finished(self, result: ScenarioResult) -> None:
        return None


@final
class LineProgress(_Quiet):
    """One block per scenario as it finishes: the plain, log-friendly form."""

    def __init__(self, out: TextIO, candidate: str) -> None:
        self._out = out
        self._candidate = candidate

    def __repr__(self) -> str:
        return f"LineProgress(candidate={self._candidate!r})"

    def finished(self, result: ScenarioResult) -> None:
        self._out.write(describe_result(result, candidate_name=self._candidate) + "\n")
        self._out.flush()


@final
class TerminalProgress:
    """A progress bar over the scenarios; failures are printed above it in full."""

    def __init__(self, out: TextIO, candidate: str, total: int) -> None:
        self._candidate = candidate
        self._console = Console(file=out)
        self._progress = Progress(
            TextColumn("[bold]check"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=self._console,
            transient=True,
        )
        self._task = self._progress.add_task("", total=total)

    def __repr__(self) -> str:
        return f"TerminalProgress(candidate={self._candidate!r})"

    def __enter__(self) -> Self:
        self._progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self._progress.stop()

    def started(self, name: str) -> None:
        self._progress.update(self._task, description=name)

    def finished(self, result: ScenarioResult) -> None:
        if not result.passed:
            self._console.print(describe_result(result, candidate_name=self._candidate), markup=False, highlight=False)
        self._progress.advance(self._task)


def progress_for(out: TextIO, *, candidate: str, total: int, json_output: bool) -> CheckProgress:
    """The progress display that suits ``out``."""
    if json_output:
        return SilentProgress()
    if out.isatty():
        return TerminalProgress(out, candidate, total)
    return LineProgress(out, candidate)
