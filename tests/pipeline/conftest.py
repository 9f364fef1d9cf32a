"""Fixtures of the pipeline tests: a virtual clock, the commands of the reference cases, probes.

Time is virtual. A test that awaits runs its coroutine on a ``looptime`` loop
whose clock starts at 0 and jumps to the next timer whenever every task waits,
so a command that sleeps 30 ms takes no real time and ends at exactly 30 ms.
Read the clock as whole milliseconds with :func:`now_ms` (inside a command) or
``round(virtual_loop.time() * 1000)`` (after a run).

Commands are named after the shorthands of the spec's reference cases
(``left(x) = "L:" + x``, ``combine(sep)`` joins a JSON array, ...); they are
built by :class:`Commands`, handed out by the ``commands`` fixture.

The frozen reference (:mod:`harness.reference`) is a self-contained package
with its own ``Command``, ``StructuredValue``, errors and stage context, so a
test body that runs on both executors must build its values from the package
of the executor it runs. :func:`executor_api` does that for a test module
written against :mod:`harness.pipeline`: while it is active, every name the
module (and this conftest) imported from :mod:`harness.pipeline` is bound to
the object of the same module and name in the other package. The
``executor_class`` fixtures of the test modules enter it for the reference.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any, Final, TypeVar

import looptime
import pytest

import harness.pipeline
import harness.reference
from harness.pipeline import Command, Effect, StructuredValue, js_string

T = TypeVar("T")

RunVirtual = Callable[[Coroutine[Any, Any, T]], T]


def now_ms() -> int:
    """The running loop's virtual time in whole milliseconds."""
    return round(asyncio.get_running_loop().time() * 1000)


def close_virtual_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel and await whatever a test left running, then close ``loop``.

    A test that stops early (an expected exception, an interrupt) may leave
    tasks behind; destroying them while pending would leak into later tests.
    """
    leftovers = asyncio.all_tasks(loop)
    for task in leftovers:
        task.cancel()
    if leftovers:
        loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


# This module itself, taken while it is being imported. Later, ``sys.modules[__name__]`` may be
# another folder's conftest: every conftest.py outside a package is imported as ``conftest``, and
# the one imported last holds the name. A test order that imported another conftest after this one
# left this module's names unbound, and the reference executor met the refactored ``Command``.
_THIS_MODULE: Final = sys.modules[__name__]


def _counterparts(package: ModuleType) -> dict[int, tuple[object, object]]:
    """``id(pipeline object) -> (pipeline object, package's object)`` for every shared module and name."""
    pairs: dict[int, tuple[object, object]] = {}
    prefix = package.__name__ + "."
    for name, module in list(sys.modules.items()):
        if not name.startswith(prefix) or module is None:
            continue
        original = sys.modules.get("harness.pipeline." + name[len(prefix):])
        if original is None:
            continue
        for attribute, value in vars(original).items():
            other = vars(module).get(attribute, value)
            if other is not value:
                pairs[id(value)] = (value, other)
    for attribute in harness.pipeline.__all__:
        value, other = getattr(harness.pipeline, attribute), getattr(package, attribute)
        if other is not value:
            pairs[id(value)] = (value, other)
    return pairs


@contextmanager
def executor_api(package: ModuleType, *modules: ModuleType) -> Iterator[None]:
    """Bind, in ``modules`` and this conftest, the names imported from :mod:`harness.pipeline` to ``package``'s."""
    pairs = _counterparts(package)
    saved: list[tuple[ModuleType, str, object]] = []
    for module in (*modules, _THIS_MODULE):
        for name, value in list(vars(module).items()):
            pair = pairs.get(id(value))
            if pair is not None and pair[0] is value:
                saved.append((module, name, value))
                setattr(module, name, pair[1])
    try:
        yield
    finally:
        for module, name, value in reversed(saved):
            setattr(module, name, value)


EXECUTOR_PACKAGES = {"refactored": harness.pipeline, "reference": harness.reference}


class ExecutorBinding:
    """Runs a block with one executor, the test module's API names bound to that executor's package."""

    def __init__(self, module: ModuleType) -> None:
        self._module = module

    def __repr__(self) -> str:
        return f"ExecutorBinding({self._module.__name__})"

    @contextmanager
    def bound(self, name: str) -> Iterator[type]:
        """Yield the executor class of ``refactored`` or ``reference`` while its API is bound."""
        package = EXECUTOR_PACKAGES[name]
        executor: type = package.PipelineExecutor if package is harness.pipeline else package.ReferenceExecutor
        with executor_api(package, self._module):
            yield executor


@pytest.fixture
def executor_binding(request: pytest.FixtureRequest) -> ExecutorBinding:
    """Bind the requesting test module to one executor's package at a time (for tests that compare both)."""
    return ExecutorBinding(request.module)


@pytest.fixture(params=["refactored", "reference"])
def executor_class(request: pytest.FixtureRequest) -> Iterator[type]:
    """Each executor in turn, the requesting test module's API names bound to that executor's package."""
    with ExecutorBinding(request.module).bound(request.param) as executor:
        yield executor


@pytest.fixture(name="now_ms")
def now_ms_fixture() -> Callable[[], int]:
    """:func:`now_ms`, for commands defined in a test."""
    return now_ms


@pytest.fixture
def virtual_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """A fresh event loop on a virtual clock that starts at 0; closed after the test."""
    loop = looptime.new_event_loop(start=0)
    try:
        yield loop
    finally:
        close_virtual_loop(loop)


@pytest.fixture
def run_virtual(virtual_loop: asyncio.AbstractEventLoop) -> RunVirtual[Any]:
    """Run a coroutine to completion on the test's virtual loop and return its result."""

    def run(coro: Coroutine[Any, Any, T]) -> T:
        return virtual_loop.run_until_complete(coro)

    return run


@pytest.fixture(autouse=True)
def _no_parallel_limit_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default parallel limit is read from the environment: start every test without one."""
    monkeypatch.delenv("PIPELINE_PARALLEL_LIMIT", raising=False)


class Commands:
    """Factories of small commands; each call returns a new :class:`Command`."""

    def __repr__(self) -> str:
        return "Commands()"

    @staticmethod
    def prefix(name: str, text: str, *, labels: tuple[str, ...] = (), effects: tuple[Effect, ...] = ()) -> Command:
        """A command returning ``text + input``."""

        def run(value: StructuredValue) -> str:
            return text + value.text

        return Command(name, run, labels=labels, effects=effects)

    def left(self, *, labels: tuple[str, ...] = (), effects: tuple[Effect, ...] = ()) -> Command:
        """``left(x) = "L:" + x``."""
        return self.prefix("left", "L:", labels=labels, effects=effects)

    def right(self, *, labels: tuple[str, ...] = (), effects: tuple[Effect, ...] = ()) -> Command:
        """``right(x) = "R:" + x``."""
        return self.prefix("right", "R:", labels=labels, effects=effects)

    def up(self) -> Command:
        """``up(x) = "U:" + x``."""
        return self.prefix("up", "U:")

    def down(self) -> Command:
        """``down(x) = "D:" + x``."""
        return self.prefix("down", "D:")

    @staticmethod
    def combine(sep: str) -> Command:
        """Parse the input text as a JSON array and join its elements with ``sep``."""

        def run(value: StructuredValue) -> str:
            return sep.join(js_string(item) for item in json.loads(value.text))

        return Command(f"combine({sep!r})", run)

    @staticmethod
    def constant(name: str, result: object) -> Command:
        """A command that ignores its input and returns ``result``."""

        def run(value: StructuredValue) -> object:
            return result

        return Command(name, run)

    @staticmethod
    def boom(message: str = "boom", *, name: str = "boom") -> Command:
        """A command that raises ``Exception(message)``."""

        def run(value: StructuredValue) -> object:
            raise Exception(message)

        return Command(name, run)

    @staticmethod
    def slow(ms: int, result: object, *, name: str | None = None) -> Command:
        """A command that sleeps ``ms`` virtual milliseconds, then returns ``result``."""

        async def run(value: StructuredValue) -> object:
            await asyncio.sleep(ms / 1000)
            return result

        return Command(name or f"slow({ms})", run)

    @staticmethod
    def requesting_retry(name: str = "request_retry") -> Command:
        """A command that always returns ``"retry"``."""

        def run(value: StructuredValue) -> str:
            return "retry"

        return Command(name, run)

    @staticmethod
    def identity(name: str = "identity") -> Command:
        """A command that returns its input value unchanged (the same object)."""

        def run(value: StructuredValue) -> StructuredValue:
            return value

        return Command(name, run)


@pytest.fixture
def commands() -> Commands:
    """The command factories of the reference cases."""
    return Commands()


class ActivityProbe:
    """Counts how many instrumented commands run at once, and when each started and ended.

    ``slow_echo(ms)`` is the spec's instrumented branch: it increments the
    active count, records the maximum, sleeps, decrements and returns its input.
    """

    def __init__(self) -> None:
        self.active = 0
        self.max_active = 0
        self.starts: list[int] = []
        self.ends: list[int] = []

    def __repr__(self) -> str:
        return f"ActivityProbe(max_active={self.max_active}, starts={self.starts})"

    def slow_echo(self, ms: int, *, name: str = "slow_echo") -> Command:
        async def run(value: StructuredValue) -> StructuredValue:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            self.starts.append(now_ms())
            try:
                await asyncio.sleep(ms / 1000)
            finally:
                self.active -= 1
                self.ends.append(now_ms())
            return value

        return Command(name, run)


@pytest.fixture
def probe() -> ActivityProbe:
    """A fresh concurrency probe."""
    return ActivityProbe()


class EffectLog:
    """Effects that record what they were shown, in order."""

    def __init__(self) -> None:
        self.shown: list[str] = []

    def __repr__(self) -> str:
        return f"EffectLog(shown={self.shown})"

    def show(self, text: str | None = None, *, name: str = "show") -> Effect:
        """An effect that records ``text``, or the output's text when ``text`` is ``None``."""

        def run(value: StructuredValue) -> None:
            self.shown.append(value.text if text is None else text)

        return Effect(name, run)


@pytest.fixture
def effect_log() -> EffectLog:
    """A fresh effect recorder."""
    return EffectLog()
