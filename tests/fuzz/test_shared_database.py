"""Against a real Redis: a failure one process stores, a fresh copy replays; a flush, an outage, a corrupted entry.

Each run is a fresh pytest process in a temporary project holding one
property (candidate and reference observe the same scenario) and one test that
is not a property. The planted fault is ``ReversedOrderExecutor`` (the parallel
aggregate in reverse order), a realistic refactoring mistake.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Final

import pytest
from hypothesis.extra.redis import RedisExampleDatabase

from harness.fuzz.database import GuardedDatabase
from redis_server import RedisServer, free_port

TESTS: Final = Path(__file__).resolve().parents[1]
FAULTY: Final = "faulty_executors:ReversedOrderExecutor"
PROPERTY: Final = '''
from hypothesis import given
from harness.compare import diff_observations, format_differences
from harness.observation import observe
from harness.repro import recording_failures
from harness.strategies import scenarios


@given(scenario=scenarios())
def test_side_by_side(scenario, harness_reference, harness_candidate):
    reference, candidate = observe(scenario, harness_reference), observe(scenario, harness_candidate)
    with recording_failures(scenario, "side-by-side", candidate=harness_candidate):
        differences = diff_observations(reference, candidate)
        assert not differences, format_differences(differences)


def test_not_a_property():
    assert True
'''


def fresh_copy(folder: Path) -> Path:
    """A project with the property and nothing else: no ``.hypothesis``, no repro files."""
    folder.mkdir()
    (folder / "pyproject.toml").write_text("[tool.pytest.ini_options]\n", encoding="utf-8")
    (folder / "test_planted.py").write_text(PROPERTY, encoding="utf-8")
    return folder


def run_pytest(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {key: value for key, value in os.environ.items()
               if not key.startswith(("HARNESS_", "PYTEST_", "COV_")) and key != "CI"}  # fmt: skip
    path = os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))
    environ.update(PYTHONPATH=path, HARNESS_REPRO_DIR=str(project / "repro"), **env)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", "test_planted.py", *args]
    return subprocess.run(command, cwd=project, env=environ, capture_output=True, text=True, timeout=300)


def stored(server: RedisServer) -> dict[bytes, set[bytes]]:
    client = server.client
    return {key: client.smembers(key) for key in client.keys("hypothesis-example:*")}  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def shard_findings(tmp_path_factory: pytest.TempPathFactory, redis_module: RedisServer) -> dict[bytes, set[bytes]]:
    """What one shard with the planted fault stored in Redis (run once per module)."""
    redis_module.client.flushdb()  # type: ignore[attr-defined]
    shard = run_pytest(fresh_copy(tmp_path_factory.mktemp("shard") / "project"), "--candidate", FAULTY,
                       "--harness-profile", "dev", HARNESS_EXAMPLE_DB=redis_module.url)  # fmt: skip
    assert shard.returncode == 1, shard.stdout + shard.stderr
    assert "1 failed, 1 passed" in shard.stdout
    findings = stored(redis_module)
    assert findings, "the failing example was not saved in Redis"
    return findings


@pytest.fixture
def found(redis_server: RedisServer, shard_findings: dict[bytes, set[bytes]]) -> RedisServer:
    """Redis holding exactly what the shard stored."""
    for key, values in shard_findings.items():
        redis_server.client.sadd(key, *values)  # type: ignore[attr-defined]
    return redis_server


def test_a_failure_one_process_stored_replays_in_a_fresh_copy(tmp_path: Path, found: RedisServer) -> None:
    """The stored failure fails again under replay, the other test is skipped, the repro file is written."""
    before = stored(found)
    copy = fresh_copy(tmp_path / "developer")
    replayed = run_pytest(copy, "--candidate", FAULTY, HARNESS_PROFILE="replay", HARNESS_SHARED_DB=found.url)
    assert replayed.returncode == 1, replayed.stdout + replayed.stderr
    assert "1 failed, 1 skipped" in replayed.stdout
    assert "replay profile: not a property test" in replayed.stdout
    assert [path.name for path in (copy / "repro").glob("*.toml")] == ["side-by-side.toml"]
    assert stored(found) == before


def test_a_replay_of_a_fixed_candidate_leaves_the_shared_store_alone(tmp_path: Path, found: RedisServer) -> None:
    """The stored example passes on the default candidate, and hypothesis deletes what no longer fails, but not from CI's store.

    Shown to fail (in a temporary copy) when the shared layer is not wrapped in ReadOnlyDatabase.
    """
    before = stored(found)
    replayed = run_pytest(fresh_copy(tmp_path / "developer"), HARNESS_PROFILE="replay", HARNESS_SHARED_DB=found.url)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert "1 passed, 1 skipped" in replayed.stdout
    assert stored(found) == before


def test_replay_generates_nothing_of_its_own(tmp_path: Path, redis_server: RedisServer) -> None:
    """With an empty shared store the faulty candidate is not found: nothing is drawn under replay.

    Shown to fail (in a temporary copy) when the replay profile keeps the generate phase.
    """
    replayed = run_pytest(fresh_copy(tmp_path / "developer"), "--candidate", FAULTY,
                          HARNESS_PROFILE="replay", HARNESS_SHARED_DB=redis_server.url)  # fmt: skip
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert "2 skipped" in replayed.stdout


def test_after_a_flush_the_replay_finds_nothing(tmp_path: Path, found: RedisServer) -> None:
    found.client.flushdb()  # type: ignore[attr-defined]
    replayed = run_pytest(fresh_copy(tmp_path / "developer"), "--candidate", FAULTY,
                          HARNESS_PROFILE="replay", HARNESS_SHARED_DB=found.url)  # fmt: skip
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert "failed" not in replayed.stdout


def test_corrupted_entries_are_skipped(tmp_path: Path, found: RedisServer) -> None:
    """A value that is no serialized example beside the real entry: it is skipped and the failure still replays."""
    client = found.client
    for key in list(client.keys("hypothesis-example:*")):  # type: ignore[attr-defined]
        client.sadd(key, b"\xff\xfe not an example")  # type: ignore[attr-defined]
    replayed = run_pytest(fresh_copy(tmp_path / "developer"), "--candidate", FAULTY,
                          HARNESS_PROFILE="replay", HARNESS_SHARED_DB=found.url)  # fmt: skip
    assert replayed.returncode == 1, replayed.stdout + replayed.stderr
    assert "1 failed, 1 skipped" in replayed.stdout
    assert "Traceback" not in replayed.stderr


@pytest.mark.parametrize("variable", ["HARNESS_EXAMPLE_DB", "HARNESS_SHARED_DB"])
def test_an_unreachable_redis_is_one_line_and_the_run_completes(tmp_path: Path, variable: str) -> None:
    """Nothing listens on the port: one line on stderr names it, the run goes on with the local directory."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    ran = run_pytest(fresh_copy(tmp_path / "offline"), "--harness-profile", "dev", **{variable: url})
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "2 passed" in ran.stdout
    notices = [line for line in ran.stderr.splitlines() if line.strip()]
    assert len(notices) == 1 and notices[0].startswith("harness: ") and url in notices[0], ran.stderr
    assert "unreachable" in notices[0]


def test_a_server_that_goes_away_mid_run_hands_over_to_the_fallback(redis_server: RedisServer, tmp_path: Path) -> None:
    """The guard answers from the fallback after the first connection error, says so once, and skips a WRONGTYPE key.

    Shown to fail (in a temporary copy) when the guard does not catch Redis's ResponseError.
    """
    import io

    import redis
    from hypothesis.database import InMemoryExampleDatabase

    client = redis.Redis.from_url(redis_server.url, socket_connect_timeout=1, socket_timeout=1)
    fallback, stream = InMemoryExampleDatabase(), io.StringIO()
    guarded = GuardedDatabase(RedisExampleDatabase(client), name=redis_server.url, fallback=fallback, stream=stream)
    guarded.save(b"k", b"v")
    assert list(guarded.fetch(b"k")) == [b"v"]
    redis_server.client.set(b"hypothesis-example:w", b"no set")  # type: ignore[attr-defined]
    assert list(guarded.fetch(b"w")) == [] and not guarded.dropped
    client.connection_pool.reset()
    client.connection_pool.connection_kwargs["port"] = free_port()  # the server is gone
    guarded.save(b"k", b"w")
    guarded.save(b"k", b"x")
    assert guarded.dropped and list(guarded.fetch(b"k")) == [b"x"]
    assert stream.getvalue().count("\n") == 1 and "stopped answering" in stream.getvalue()
