"""Executor implementations by name: ``reference``, ``extracted``, or any ``MODULE:ATTR``.

A candidate is an executor class with :class:`~harness.pipeline.PipelineExecutor`'s
constructor (``stages, *, parallel_cap, delay_ms, source``, and optionally
``input_replayable``, passed only for a scenario with a fixed literal input), an async
``execute`` returning a structured value, and ``events`` and ``latest_errors``.
Naming one as ``MODULE:ATTR`` lets a new refactor phase be gated without
editing the harness.

An :class:`Implementation` carries the :class:`~harness.executor_api.ExecutorApi`
of the package its executor comes from: ``reference`` is the self-contained
snapshot :mod:`harness.reference` with its own types, ``extracted`` and every
``MODULE:ATTR`` candidate (a subclass or rewrite of the extracted executor)
use :mod:`harness.pipeline`'s.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from dataclasses import dataclass
from typing import Final, final

from harness.errors import CandidateError
from harness.executor_api import PIPELINE_API, ExecutorApi
from harness.pipeline import PipelineExecutor

__all__ = [
    "BUILTIN_IMPLEMENTATIONS",
    "DEFAULT_CANDIDATE",
    "Implementation",
    "portable_spec",
    "resolve_implementation",
]

DEFAULT_CANDIDATE: Final = "extracted"


@final
@dataclass(frozen=True, slots=True)
class Implementation:
    """An executor class under a name observations are labelled with, and the API its runs are built from."""

    name: str
    executor_class: type
    api: ExecutorApi = PIPELINE_API

    def __repr__(self) -> str:
        return f"Implementation({self.name!r}, {self.executor_class.__module__}.{self.executor_class.__qualname__})"


REFERENCE_PACKAGE: Final = "harness.reference"


@final
class _BuiltinImplementations(Mapping[str, Implementation]):
    """``reference`` and ``extracted`` by name; the frozen reference is imported when first asked for.

    Importing the snapshot lazily keeps ``harness freeze`` (and everything that
    does not run the reference) working while the snapshot on disk cannot be
    imported, for example after a merge edited its kept module against leaf
    modules that only the next freeze regenerates. Asking for the reference
    then is one :class:`CandidateError` line that names the fix.
    """

    __slots__ = ("_reference",)

    _NAMES: Final = ("reference", "extracted")

    def __init__(self) -> None:
        self._reference: Implementation | None = None

    def __repr__(self) -> str:
        return f"_BuiltinImplementations({list(self._NAMES)})"

    def __getitem__(self, name: str) -> Implementation:
        if name == "extracted":
            return _EXTRACTED
        if name != "reference":
            raise KeyError(name)
        if self._reference is None:
            self._reference = _load_reference()
        return self._reference

    def __iter__(self) -> Iterator[str]:
        return iter(self._NAMES)

    def __len__(self) -> int:
        return len(self._NAMES)


def _load_reference() -> Implementation:
    try:
        package = importlib.import_module(REFERENCE_PACKAGE)
        executor = package.ReferenceExecutor
    except Exception as exc:  # a broken snapshot is the user's to regenerate, not a traceback
        raise CandidateError(
            f"harness/reference: the frozen reference cannot be imported ({type(exc).__name__}: {exc}); "
            "regenerate it with `harness freeze --force`"
        ) from None
    return Implementation("reference", executor, ExecutorApi.from_module(package))


_EXTRACTED: Final = Implementation("extracted", PipelineExecutor)
BUILTIN_IMPLEMENTATIONS: Final[Mapping[str, Implementation]] = _BuiltinImplementations()


def _import_from_here(module_name: str) -> ModuleType:
    """Import a module, finding it in the current folder too, as ``python -m`` would."""
    here = os.getcwd()
    if here in sys.path:
        return importlib.import_module(module_name)
    sys.path.insert(0, here)
    try:
        return importlib.import_module(module_name)
    finally:
        sys.path.remove(here)


def resolve_implementation(spec: str) -> Implementation:
    """Return the implementation ``spec`` names; raise :class:`CandidateError` with the fix otherwise."""
    builtin = BUILTIN_IMPLEMENTATIONS.get(spec)
    if builtin is not None:
        return builtin
    module_name, separator, attribute = spec.partition(":")
    if not separator or not module_name or not attribute:
        names = ", ".join(BUILTIN_IMPLEMENTATIONS)
        raise CandidateError(f"{spec}: expected {names} or MODULE:ATTR naming an executor class")
    try:
        module = _import_from_here(module_name)
    except ImportError as exc:
        raise CandidateError(f"{spec}: cannot import module {module_name!r}: {exc}") from exc
    target: object = module
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise CandidateError(f"{spec}: module {module_name!r} has no attribute {attribute!r}") from None
    if not inspect.isclass(target):
        raise CandidateError(f"{spec}: expected an executor class, got {type(target).__name__}")
    execute = getattr(target, "execute", None)
    if execute is None or not inspect.iscoroutinefunction(execute):
        raise CandidateError(f"{spec}: {target.__qualname__} has no async execute(value) method")
    try:
        inspect.signature(target).bind([], parallel_cap=None, delay_ms=None, source=None)
    except TypeError as exc:
        raise CandidateError(
            f"{spec}: {target.__qualname__} does not take (stages, *, parallel_cap, delay_ms, source): {exc}"
        ) from None
    return Implementation(spec, target)


def portable_spec(implementation: Implementation) -> str:
    """The name that imports ``implementation`` from a plain shell in the current folder.

    A test run may import a candidate by a name only pytest can resolve: a
    suite's ``tests`` folder is on ``sys.path`` there, so ``race_faults:X``
    imports, while ``harness repro`` started from the shell cannot find it.
    A name a fresh interpreter in this folder resolves to the same file is
    kept; otherwise a module under this folder is named by its path from
    here (``tests.race_faults:X``), which imports as a namespace package.
    Built-in names and anything else are returned as they are.
    """
    name = implementation.name
    module_name, separator, attribute = name.partition(":")
    module = sys.modules.get(module_name)
    location = getattr(module, "__file__", None)
    if not separator or module is None or location is None:
        return name
    here, file = Path.cwd().resolve(), Path(location).resolve()
    if _fresh_origin(module_name, str(here)) == str(file) or not file.is_relative_to(here):
        return name
    parts = list(file.relative_to(here).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    if not parts or not all(part.isidentifier() for part in parts):
        return name
    return f"{'.'.join(parts)}:{attribute}"


_ORIGIN_PROBE: Final = (
    "import importlib.util, pathlib, sys\n"
    "try:\n    spec = importlib.util.find_spec(sys.argv[1])\nexcept Exception:\n    spec = None\n"
    "print(pathlib.Path(spec.origin).resolve() if spec is not None and spec.origin else '')"
)


@functools.lru_cache(maxsize=64)
def _fresh_origin(module_name: str, folder: str) -> str:
    """The file a fresh interpreter started in ``folder`` finds for ``module_name`` ("" if none).

    Asked of a subprocess because only a fresh interpreter knows its own
    ``sys.path`` (this one may be a test run that added folders to it).
    """
    try:
        completed = subprocess.run(
            [sys.executable, "-c", _ORIGIN_PROBE, module_name],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return completed.stdout.strip()
