"""The sharded nightly's ends: a shard exports its Redis database, the merge job puts every shard together."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.extra.redis import RedisExampleDatabase

from cli_support import run_cli
from harness.fuzz.nightly import merge_shards
from redis_server import RedisServer, free_port

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="2">
<testcase classname="tests.properties.test_p" name="test_order[candidate]">{failure}</testcase>
<testcase classname="tests.properties.test_p" name="test_cap[candidate]"/>
</testsuite></testsuites>
"""
FAILURE = '<failure message="AssertionError: order&#10;repro file: artifacts/repro/order.toml">trace</failure>'


def write_shard(folder: Path, number: int, *, failing: bool, examples: dict[str, int], db: dict[bytes, bytes]) -> Path:
    (folder / "stats").mkdir(parents=True)
    (folder / "repro").mkdir()
    (folder / "junit.xml").write_text(JUNIT.format(failure=FAILURE if failing else ""), encoding="utf-8")
    (folder / "stats" / "w.json").write_text(json.dumps({"examples": examples, "failed": {}}), encoding="utf-8")
    (folder / "shard.json").write_text(json.dumps({"shard": number, "seconds": 60 * number}), encoding="utf-8")
    if failing:
        (folder / "repro" / "order.toml").write_text(f"# shard {number}\n", encoding="utf-8")
    database = DirectoryBasedExampleDatabase(folder / "example-db")
    for key, value in db.items():
        database.save(key, value)
    return folder


def test_the_merge_unites_databases_junit_repro_files_and_counts(tmp_path: Path) -> None:
    order, cap = "tests/properties/test_p.py::test_order[candidate]", "tests/properties/test_p.py::test_cap[candidate]"
    shards = [
        write_shard(tmp_path / "a", 1, failing=True, examples={order: 10, cap: 5}, db={b"k": b"1", b"j": b"2"}),
        write_shard(tmp_path / "b", 2, failing=True, examples={order: 7}, db={b"k": b"1", b"k2": b"3"}),
    ]
    summary = merge_shards(shards, tmp_path / "out")
    assert summary.counts.examples == {cap: 5, order: 17}
    assert [(f.test, f.message) for f in summary.failures] == [(order, "AssertionError: order")]
    assert summary.seconds == {"shard-1": 60.0, "shard-2": 120.0}
    merged = DirectoryBasedExampleDatabase(tmp_path / "out" / "example-db")
    assert (set(merged.fetch(b"k")), set(merged.fetch(b"j")), set(merged.fetch(b"k2"))) == ({b"1"}, {b"2"}, {b"3"})
    suites = ElementTree.parse(tmp_path / "out" / "junit.xml").getroot().findall("testsuite")
    assert [suite.get("name") for suite in suites] == ["shard-1: pytest", "shard-2: pytest"]
    # The same file name from two shards with different contents: both kept.
    assert sorted(path.name for path in (tmp_path / "out" / "repro").iterdir()) == ["order.shard-2.toml", "order.toml"]
    text = (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    assert "22 examples over 2 shards, 1 distinct failures" in text
    assert f"| `{order}` | 17 | 0 |" in text and "| shard-2 | 120 |" in text


def test_merge_shards_exits_1_on_a_failure_and_2_on_a_missing_folder(tmp_path: Path) -> None:
    shard = write_shard(tmp_path / "a", 1, failing=True, examples={"t.py::t": 1}, db={})
    code, out, _ = run_cli("merge-shards", str(shard), "--out", str(tmp_path / "out"))
    assert code == 1 and out.startswith("# Nightly fuzzing")
    code, _, err = run_cli("merge-shards", str(tmp_path / "missing"), "--out", str(tmp_path / "out2"))
    assert code == 2 and err == f"harness merge-shards: {tmp_path / 'missing'}: is not a shard's results folder\n"


def test_export_copies_every_example_and_skips_a_corrupted_key(redis_server: RedisServer, tmp_path: Path) -> None:
    import redis

    shared = RedisExampleDatabase(redis.Redis.from_url(redis_server.url))
    shared.save(b"key-one", b"\x01\x02")
    shared.save(b"key-one", b"\x03")
    shared.save(b"key-two", b"\x04")
    redis_server.client.set(b"hypothesis-example:broken", b"no set")  # type: ignore[attr-defined]
    code, out, err = run_cli("export-db", redis_server.url, str(tmp_path / "db"))
    assert (code, out, err) == (0, f"3 examples from {redis_server.url} in {tmp_path / 'db'}\n", "")
    exported = DirectoryBasedExampleDatabase(tmp_path / "db")
    assert set(exported.fetch(b"key-one")) == {b"\x01\x02", b"\x03"} and set(exported.fetch(b"key-two")) == {b"\x04"}


def test_export_from_an_unreachable_server_is_exit_2(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    code, _, err = run_cli("export-db", url, str(tmp_path / "db"))
    assert code == 2 and err.startswith(f"harness export-db: {url}: cannot be reached (")
    assert not (tmp_path / "db").exists()


def test_export_from_a_directory_is_exit_2(tmp_path: Path) -> None:
    code, _, err = run_cli("export-db", "some-folder", str(tmp_path / "db"))
    assert (code, err) == (2, "harness export-db: SOURCE: expected redis://HOST:PORT/DB, got 'some-folder'\n")
