"""A crash inside an implementation: an exception that is no pipeline outcome.

The executor turns a failing command into a :class:`~harness.pipeline.PipelineError`,
an outcome the observation records and the check compares. Any other
exception escaping ``execute`` is a bug in the implementation itself (an
``AttributeError`` from a typo, a ``TypeError`` from a wrong call), and
comparing it field by field with the reference's outcome would bury it under
a screen of ``... != <absent>`` lines. :class:`ImplementationCrash` carries
what a maintainer needs instead: who crashed, the exception's type and
message, and the file and line where it was raised.

The line shown is the innermost frame outside the standard library and
outside the harness code that drives the run (the observation and the
scenario's commands), so a crash inside ``json.dumps`` called from the
candidate points at the candidate's call, not into ``json``.
"""

from __future__ import annotations

import sysconfig
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Final, final

from harness.errors import HarnessError

__all__ = ["CrashSite", "ImplementationCrash", "crash_site"]

_HARNESS: Final = Path(__file__).resolve().parent
_DRIVERS: Final = (_HARNESS / "observation.py", _HARNESS / "scenario")
_LIBRARIES: Final = tuple(
    Path(folder).resolve() for folder in {sysconfig.get_path("stdlib"), sysconfig.get_path("platstdlib")} if folder
)


@final
@dataclass(frozen=True, slots=True)
class CrashSite:
    """Where an exception was raised: a file, a line and the function."""

    file: str
    line: int
    function: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line} in {self.function}"


def _is_driver_or_library(file: str) -> bool:
    path = Path(file).resolve()
    if any(path == driver or path.is_relative_to(driver) for driver in _DRIVERS):
        return True
    installed = {"site-packages", "dist-packages"} & set(path.parts)
    return not installed and any(path.is_relative_to(library) for library in _LIBRARIES)


def crash_site(error: BaseException) -> CrashSite | None:
    """The innermost frame of ``error``'s traceback in the implementation's own code, else the innermost one."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return None
    chosen = next((frame for frame in reversed(frames) if not _is_driver_or_library(frame.filename)), frames[-1])
    return CrashSite(chosen.filename, chosen.lineno or 0, chosen.name)


class ImplementationCrash(HarnessError):
    """An implementation raised an exception that is no pipeline outcome.

    ``implementation`` names it as observations do (``reference``,
    ``extracted``, ``MODULE:ATTR``); ``kind`` and ``detail`` are the
    exception's type name and message; ``site`` is where it was raised.
    """

    def __init__(self, implementation: str, error: BaseException) -> None:
        self.implementation = implementation
        self.kind = type(error).__name__
        self.detail = str(error)
        self.site = crash_site(error)
        where = f" (at {self.site})" if self.site is not None else ""
        super().__init__(f"{implementation} crashed: {self.kind}: {self.detail}{where}")
