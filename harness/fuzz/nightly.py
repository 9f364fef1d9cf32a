"""The sharded nightly's two ends: a shard exports its example database, one job merges every shard's results.

A shard's results folder (what its job uploads) holds ``junit.xml``,
``stats/`` (:mod:`harness.fuzz.counting`), ``repro/``, ``example-db/`` (the
database it wrote, exported by :func:`export_database`) and ``shard.json``
(its number and wall time). :func:`merge_shards` puts them together: one
example database in the layout hypothesis's ``DirectoryBasedExampleDatabase``
and ``GitHubArtifactDatabase`` read, one JUnit report with a test suite per
shard, every repro file, and ``summary.md``: examples run per property,
distinct failures, time per shard. Coverage data is merged by
``coverage combine``, which needs nothing from here.
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, final

from hypothesis.database import DirectoryBasedExampleDatabase

from harness.errors import InvalidInputError
from harness.fuzz.counting import ExampleCounts, read_counts
from harness.fuzz.database import UnreachableDatabaseError, open_database, parse_location
from harness.fuzz.engine import Failure, distinct_failures, failures_in_junit

__all__ = ["ShardSummary", "export_database", "merge_shards"]

SHARD_FILE: Final = "shard.json"
_PREFIX: Final = b"hypothesis-example:"


@final
@dataclass(frozen=True, slots=True)
class ShardSummary:
    """The merged nightly: counts by property, distinct failures, seconds by shard, and the examples kept."""

    counts: ExampleCounts
    failures: tuple[Failure, ...]
    seconds: dict[str, float]
    stored: int

    def markdown(self) -> str:
        lines = ["# Nightly fuzzing", "", f"{self.counts.total} examples over {len(self.seconds)} shards, "
                 f"{len(self.failures)} distinct failures, {self.stored} examples in the merged database.", "",
                 "| shard | seconds |", "| --- | ---: |"]  # fmt: skip
        lines += [f"| {shard} | {seconds:.0f} |" for shard, seconds in self.seconds.items()]
        lines += ["", "| property | examples | failed |", "| --- | ---: | ---: |"]
        lines += [f"| `{test}` | {count} | {self.counts.failed.get(test, 0)} |"
                  for test, count in self.counts.examples.items()]  # fmt: skip
        if self.failures:
            lines += ["", "## Distinct failures", ""]
            lines += [f"- `{failure.test}`: {failure.message}" + (f" (`harness repro {failure.repro}`)"
                      if failure.repro else "") for failure in self.failures]  # fmt: skip
        return "\n".join(lines) + "\n"


def export_database(source: str, target: Path) -> int:
    """Copy every example of the Redis database ``source`` into the directory database ``target``; return how many.

    Raises InvalidInputError for a source that is not ``redis://``, and when
    the server cannot be reached (an export that silently wrote nothing
    would upload an empty artifact as the night's findings).
    """
    location = parse_location(source, "SOURCE")
    if location.kind != "redis":
        raise InvalidInputError("SOURCE", "", f"expected redis://HOST:PORT/DB, got {source!r}")
    try:
        database = open_database(location)
    except UnreachableDatabaseError as exc:
        raise InvalidInputError(source, "", f"cannot be reached ({exc})") from None
    client = database.redis  # type: ignore[attr-defined]
    written = DirectoryBasedExampleDatabase(target)
    copied = 0
    for name in client.scan_iter(match=_PREFIX + b"*"):
        if client.type(name) != b"set":
            continue  # a corrupted entry: not what RedisExampleDatabase writes
        for value in client.smembers(name):
            written.save(name[len(_PREFIX):], value)
            copied += 1
    return copied


def merge_shards(shards: Sequence[Path], out: Path) -> ShardSummary:
    """Merge the shards' results folders into ``out`` (created) and write ``summary.md`` there."""
    for shard in shards:
        if not shard.is_dir():
            raise InvalidInputError(shard, "", "is not a shard's results folder")
    (out / "repro").mkdir(parents=True, exist_ok=True)
    for shard in shards:
        _merge_database(shard / "example-db", out / "example-db")
    stored = sum(1 for path in (out / "example-db").rglob("*") if path.is_file())
    failures: list[Failure] = []
    suites = ElementTree.Element("testsuites")
    seconds: dict[str, float] = {}
    for shard in shards:
        name = _shard_name(shard)
        seconds[name] = _shard_seconds(shard)
        junit = shard / "junit.xml"
        failures += failures_in_junit(junit)
        suites.extend(_suites(junit, name))
        for repro in sorted((shard / "repro").glob("*.toml")):
            _copy_repro(repro, out / "repro", name)
    ElementTree.ElementTree(suites).write(out / "junit.xml", encoding="utf-8", xml_declaration=True)
    counts = read_counts(shard / "stats" for shard in shards)
    summary = ShardSummary(counts, distinct_failures(failures), seconds, stored)
    (out / "summary.md").write_text(summary.markdown(), encoding="utf-8")
    return summary


def _merge_database(source: Path, target: Path) -> None:
    # The directory layout is content-addressed (a folder per hashed key, a
    # file per hashed value), so a union is a copy that skips what exists.
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.rglob("*")) if source.is_dir() else ():
        destination = target / path.relative_to(source)
        if path.is_file() and not destination.exists():
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)


def _shard_name(shard: Path) -> str:
    try:
        return f"shard-{json.loads((shard / SHARD_FILE).read_text(encoding='utf-8'))['shard']}"
    except (OSError, ValueError, KeyError, TypeError):
        return shard.name


def _shard_seconds(shard: Path) -> float:
    try:
        return float(json.loads((shard / SHARD_FILE).read_text(encoding="utf-8"))["seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0.0


def _suites(junit: Path, name: str) -> list[ElementTree.Element]:
    try:
        root = ElementTree.parse(junit).getroot()
    except (OSError, ElementTree.ParseError):
        return []
    found = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    for suite in found:
        suite.set("name", f"{name}: {suite.get('name', 'pytest')}")
    return found


def _copy_repro(repro: Path, target: Path, shard: str) -> None:
    destination = target / repro.name
    if destination.exists() and destination.read_bytes() != repro.read_bytes():
        destination = target / f"{repro.stem}.{shard}.toml"
    shutil.copyfile(repro, destination)
