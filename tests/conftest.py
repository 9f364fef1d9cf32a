"""Shared fixtures of the harness's own suite.

Scenario files written on the fly, the state of a folder (to show a command
changed nothing), recording outside CI, and an autouse guard that fails any
test during which the ``asyncio`` logger reported an error.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import final

import pytest

FileState = tuple[bytes, int, int]
"""A file's bytes, its modification time in nanoseconds and its inode number."""


@pytest.fixture
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from the test's own folder, so that nothing a command writes can land elsewhere."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def write_scenario(tmp_path: Path):
    """Write a scenario file into a fresh folder and return its path: ``write_scenario("name", toml_text)``."""
    folder = tmp_path / "scenarios"
    folder.mkdir()

    def write(name: str, text: str, suffix: str = ".toml") -> Path:
        path = folder / f"{name}{suffix}"
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def folder_state() -> Callable[[Path], dict[str, FileState]]:
    """Every file under a folder, by relative path: ``before = folder_state(tmp_path)``.

    Two states compare equal only if no file was added, removed, rewritten or
    replaced (an atomic replace with the same bytes still changes the inode).
    """

    def state(folder: Path) -> dict[str, FileState]:
        files = sorted(path for path in folder.rglob("*") if path.is_file())
        return {
            str(path.relative_to(folder)): (path.read_bytes(), path.stat().st_mtime_ns, path.stat().st_ino)
            for path in files
        }

    return state


@pytest.fixture
def outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """Clear ``CI``, which a CI run of this suite sets and under which ``harness record`` refuses to write."""
    monkeypatch.delenv("CI", raising=False)


@final
class AsyncioErrorLog(logging.Handler):
    """Keeps what the ``asyncio`` logger reports at ERROR or above.

    That is where asyncio reports a task destroyed while pending and an
    exception nobody retrieved; both mean a run left work behind.
    """

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def __repr__(self) -> str:
        return f"AsyncioErrorLog(messages={len(self.messages)})"

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def pytest_collection_finish(session: pytest.Session) -> None:
    """Move everything alive once tests are collected (modules, plugins, strategies) out of the collector's sight.

    The guard below collects garbage after every test; frozen objects are
    never traversed again, so each collection only walks what tests made
    since, which cut the guard's cost from tens of milliseconds a test to
    about one (``gc.freeze``).
    """
    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
def asyncio_errors() -> Iterator[AsyncioErrorLog]:
    """Fail the test if the ``asyncio`` logger reported an error while it ran."""
    log = AsyncioErrorLog()
    logger = logging.getLogger("asyncio")
    logger.addHandler(log)
    try:
        yield log
        # A task or future dropped by the test reports itself only when it is
        # collected, and cycles through its coroutine's frame keep it alive.
        gc.collect()
    finally:
        logger.removeHandler(log)
    if log.messages:
        pytest.fail("the asyncio logger reported an error:\n" + "\n".join(log.messages), pytrace=False)
