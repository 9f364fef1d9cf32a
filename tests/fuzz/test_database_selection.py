"""Choosing the example database from HARNESS_EXAMPLE_DB, HARNESS_SHARED_DB and [tool.harness]: no server needed."""

from __future__ import annotations

import io
import os
import subprocess
import warnings
from collections.abc import Iterable
import sys
from pathlib import Path

import pytest
from hypothesis.errors import HypothesisWarning
from hypothesis.database import DirectoryBasedExampleDatabase, InMemoryExampleDatabase, GitHubArtifactDatabase, MultiplexedDatabase, ReadOnlyDatabase

from harness.errors import InvalidConfigError
from harness.fuzz.database import DatabaseLocation, GuardedDatabase, parse_location, select_database


@pytest.mark.parametrize(
    ("text", "kind"),
    [("ci-db", "directory"), ("redis://10.0.0.5:6379/2", "redis"), ("github:acme/harness", "github"),
     ("github:acme/harness/nightly-db", "github")],  # fmt: skip
)
def test_each_kind_of_location_is_recognised(text: str, kind: str) -> None:
    assert parse_location(text, "HARNESS_EXAMPLE_DB") == DatabaseLocation(kind, text)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["", "ftp://host/db", "redis://:6379/0", "redis://host:port/0", "github:acme"])
def test_a_bad_location_names_where_it_came_from(text: str) -> None:
    with pytest.raises(InvalidConfigError, match=r"^HARNESS_EXAMPLE_DB: expected a directory, redis://HOST:PORT/DB"):
        parse_location(text, "HARNESS_EXAMPLE_DB")


def test_nothing_configured_leaves_hypothesis_its_default() -> None:
    assert select_database({}, {}) is None


def test_the_environment_wins_over_the_configuration(tmp_path: Path) -> None:
    chosen = select_database({"HARNESS_EXAMPLE_DB": str(tmp_path / "env")}, {"example_db": str(tmp_path / "toml")})
    assert chosen is not None and chosen.database.database == DirectoryBasedExampleDatabase(tmp_path / "env")
    assert chosen.notice is None


def test_a_shared_database_is_layered_read_only_under_the_local_one(tmp_path: Path) -> None:
    chosen = select_database({}, {"example_db": str(tmp_path / "local"), "shared_db": "github:acme/harness"})
    assert chosen is not None
    local = DirectoryBasedExampleDatabase(tmp_path / "local")
    shared = GitHubArtifactDatabase("acme", "harness", artifact_name="hypothesis-example-db")
    guarded = GuardedDatabase(shared, name="github:acme/harness")
    assert chosen.database.database == MultiplexedDatabase(local, ReadOnlyDatabase(guarded))
    assert chosen.description == f"{tmp_path / 'local'} over github:acme/harness (read-only)"


def test_a_configured_value_of_the_wrong_type_names_file_and_key() -> None:
    with pytest.raises(InvalidConfigError, match=r"^pyproject.toml: tool.harness.shared_db: expected a directory"):
        select_database({}, {"shared_db": 5})  # type: ignore[dict-item]


def test_a_github_artifact_cannot_be_written_to() -> None:
    with pytest.raises(InvalidConfigError, match="read-only; name it in HARNESS_SHARED_DB"):
        select_database({"HARNESS_EXAMPLE_DB": "github:acme/harness"}, {})


def test_a_bad_setting_stops_pytest_with_one_line(tmp_path: Path) -> None:
    """The plugin turns it into pytest's usage error: exit 4 and the message, no traceback."""
    (tmp_path / "pyproject.toml").write_text('[tool.harness]\nexample_db = "ftp://nowhere"\n', encoding="utf-8")
    (tmp_path / "test_x.py").write_text("def test_x():\n    pass\n", encoding="utf-8")
    environ = {key: value for key, value in os.environ.items() if not key.startswith("HARNESS_")}
    ran = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "test_x.py"], cwd=tmp_path,
                         env=environ, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert ran.returncode == 4
    assert "pyproject.toml: tool.harness.example_db: expected a directory" in ran.stderr
    assert "Traceback" not in ran.stderr


class _WarningDatabase(InMemoryExampleDatabase):
    """Warns on fetch, as GitHubArtifactDatabase does when no artifact can be downloaded."""

    def fetch(self, key: bytes) -> Iterable[bytes]:
        warnings.warn("Couldn't acquire a new or existing artifact. Disabling database.", HypothesisWarning, stacklevel=2)
        return iter(())


def test_a_warning_from_a_shared_database_is_one_line_not_an_error() -> None:
    """Under ``filterwarnings = error`` the warning would fail every property; it becomes one line and the layer goes."""
    stream = io.StringIO()
    guarded = GuardedDatabase(_WarningDatabase(), name="github:acme/harness", stream=stream)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert list(guarded.fetch(b"k")) == [] and list(guarded.fetch(b"k")) == []
    assert guarded.dropped
    assert stream.getvalue() == (
        "harness: example database github:acme/harness stopped answering (Couldn't acquire a new or existing "
        "artifact. Disabling database.); going on without it\n"
    )


def test_the_readme_replay_commands_name_valid_databases_and_the_replay_profile() -> None:
    """Every ``HARNESS_SHARED_DB=... HARNESS_PROFILE=replay`` line of the README parses (OWNER/REPO filled in)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### A nightly failure on your machine\n", 1)[1].split("\n### ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("HARNESS_SHARED_DB=")]
    assert [line.split()[0].split("=", 1)[1].split(":", 1)[0] for line in lines] == ["github", "nightly-db", "redis"]
    for line in lines:
        value = line.split()[0].split("=", 1)[1].replace("OWNER/REPO", "acme/harness")
        parse_location(value, "HARNESS_SHARED_DB")
        assert line.split()[1:3] == ["HARNESS_PROFILE=replay", "python3"]


def test_a_listener_hears_the_guarded_database_change() -> None:
    """Without the delegation hypothesis warns that the wrapper cannot listen (an error in this suite)."""
    inner, heard = InMemoryExampleDatabase(), []
    guarded = GuardedDatabase(inner, name="memory")
    guarded.add_listener(heard.append)
    inner.save(b"k", b"v")
    guarded.remove_listener(heard.append)
    inner.save(b"k", b"w")
    assert heard == [("save", (b"k", b"v"))]
