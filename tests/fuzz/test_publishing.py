"""Writes to a shared example database are held until the test ends: no other process replays a half-shrunk example.

hypothesis saves every step of its shrinking under the test's primary key,
and a process that reuses an example from that key does not shrink it
again. Two ``harness fuzz`` workers on one database then reported the
planted fault twice, once shrunk and once as a worker had found it mid-way
through another's shrinking. Each property here shrinks over many steps
while a second view of the same store (another process's, in effect) looks
on from inside the test body.

Shown to fail (in a temporary copy) when ``PublishingDatabase.save`` writes
through at once: the observer sees the store filled while the shrinking is
still under way, and the first two tests fail; with the plugin's per-test
``publish`` taken out, nothing reaches the store, and the last two tests and
``test_fuzz_engine``'s two-worker test fail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, final

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase, InMemoryExampleDatabase
from hypothesis.extra.redis import RedisExampleDatabase

from harness.fuzz.publishing import PublishingDatabase
from redis_server import RedisServer
from test_shared_database import FAULTY, fresh_copy, run_pytest


@final
@dataclass(frozen=True, slots=True)
class Store:
    """One shared store: ``view()`` opens a client of its own, as another process would; ``entries()`` lists what it holds."""

    view: Callable[[], ExampleDatabase]
    entries: Callable[[], list[str]]


@pytest.fixture(params=["directory", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "directory":
        root = tmp_path / "shared"
        return Store(lambda: DirectoryBasedExampleDatabase(root),
                     lambda: sorted(str(path) for path in root.rglob("*") if path.is_file()))  # fmt: skip
    server: RedisServer = request.getfixturevalue("redis_server")
    client = server.client
    keys = client.keys  # type: ignore[attr-defined]
    return Store(lambda: RedisExampleDatabase(client), lambda: sorted(map(repr, keys("*"))))


LISTS: Final = st.lists(st.integers(0, 1000), min_size=1)


def test_other_processes_see_only_the_shrunk_example_once_the_test_ends(store: Store) -> None:
    held = PublishingDatabase(store.view())
    seen_during_the_run: list[list[str]] = []
    calls: list[list[int]] = []

    def body(values: list[int]) -> None:
        seen_during_the_run.append(store.entries())
        calls.append(values)
        if len(values) >= 3 and max(values) >= 10:
            raise AssertionError(values)

    def run(database: ExampleDatabase, *phases: Phase) -> None:
        settings(database=database, max_examples=300, phases=phases, deadline=None)(given(LISTS)(body))()

    with pytest.raises(AssertionError):
        run(held, Phase.generate, Phase.shrink)
    failing = [values for values in calls if len(values) >= 3 and max(values) >= 10]
    assert len(failing) > 3, "the property should have shrunk over several steps"
    assert not any(seen_during_the_run), "the store showed writes before the test ended"
    assert held.pending > 0 and store.entries() == []
    assert held.publish() > 0 and held.pending == 0 and store.entries() != []
    # Another process reuses the primary key's example without shrinking it: it must be the shrunk one.
    calls.clear()
    with pytest.raises(AssertionError):
        run(store.view(), Phase.reuse)
    assert calls[-1] == [0, 0, 10]


def test_the_writing_process_reads_its_own_held_writes_in_order() -> None:
    shared = InMemoryExampleDatabase()
    shared.save(b"k", b"old")
    held = PublishingDatabase(shared)
    held.save(b"k", b"a")
    held.save(b"k", b"b")
    held.delete(b"k", b"old")
    held.move(b"k", b"k.secondary", b"a")
    held.save(b"k", b"a")
    held.delete(b"k", b"a")
    assert sorted(held.fetch(b"k")) == [b"b"]
    assert sorted(held.fetch(b"k.secondary")) == [b"a"]
    assert sorted(shared.fetch(b"k")) == [b"old"] and list(shared.fetch(b"k.secondary")) == []
    assert held.publish() == 7
    assert sorted(shared.fetch(b"k")) == [b"b"] and sorted(shared.fetch(b"k.secondary")) == [b"a"]
    assert held.publish() == 0


def test_fuzz_rounds_with_no_database_configured_publish_to_hypothesis_default_directory(tmp_path: Path) -> None:
    """``harness fuzz`` runs workers at once on ``.hypothesis/examples`` when nothing is configured: held there too."""
    project = fresh_copy(tmp_path / "project")
    run = run_pytest(project, "--candidate", FAULTY, "--harness-profile", "fuzz")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "example database .hypothesis/examples" in run.stdout
    assert any((project / ".hypothesis" / "examples").rglob("*")), "the shrunk failure was not published"


def test_a_configured_database_receives_the_failure_when_the_test_ends(tmp_path: Path) -> None:
    project = fresh_copy(tmp_path / "project")
    run = run_pytest(project, "--candidate", FAULTY, "--harness-profile", "dev",
                     HARNESS_EXAMPLE_DB=str(tmp_path / "db"))  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr
    replay = run_pytest(project, "--candidate", FAULTY, HARNESS_PROFILE="replay",
                        HARNESS_EXAMPLE_DB=str(tmp_path / "db"))  # fmt: skip
    assert replay.returncode == 1 and "1 failed, 1 skipped" in replay.stdout, replay.stdout + replay.stderr
    # The replay reuses the published example without shrinking it: the shrunk one, a single group of two.
    assert "stages=(('g1b0', 'g1b1'),)," in replay.stdout, replay.stdout
