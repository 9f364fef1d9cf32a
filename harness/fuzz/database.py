"""The example database hypothesis reads and writes: chosen by configuration, shared, never fatal.

``HARNESS_EXAMPLE_DB`` (else ``example_db`` in ``[tool.harness]`` of
``pyproject.toml``) names the database property runs write to: a directory
(hypothesis's own default, ``.hypothesis/examples``, when nothing is set) or
``redis://HOST:PORT/DB``, one server that many machines share.
``HARNESS_SHARED_DB`` (else ``shared_db``) layers a second database under it
read-only, ``MultiplexedDatabase(local, ReadOnlyDatabase(shared))``, so a
developer replays what CI found without writing into CI's store: a
``redis://`` URL, a directory (a downloaded database artifact, unzipped), or
``github:OWNER/REPO[/ARTIFACT]`` (hypothesis's ``GitHubArtifactDatabase``,
which downloads the latest artifact of that name; ``GITHUB_TOKEN`` for a
private repository).

A Redis server that cannot be reached never crashes or hangs a run: the
connection is tried once with a short timeout when the database is opened,
and a server that goes away later is dropped at its first error by
:class:`GuardedDatabase`; either way the run goes on with the local directory
and one line says so. hypothesis itself skips an entry that does not decode
(a corrupted value); the guard also skips a key Redis cannot read as a set.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, TextIO, final
from urllib.parse import urlsplit

from hypothesis.database import (
    DirectoryBasedExampleDatabase,
    ExampleDatabase,
    GitHubArtifactDatabase,
    MultiplexedDatabase,
    ReadOnlyDatabase,
)

from harness.errors import InvalidConfigError
from harness.fuzz.publishing import PublishingDatabase

__all__ = [
    "DEFAULT_DIRECTORY",
    "EXAMPLE_DB_ENV",
    "SHARED_DB_ENV",
    "DatabaseLocation",
    "GuardedDatabase",
    "SelectedDatabase",
    "UnreachableDatabaseError",
    "open_database",
    "parse_location",
    "select_database",
]

EXAMPLE_DB_ENV: Final = "HARNESS_EXAMPLE_DB"
SHARED_DB_ENV: Final = "HARNESS_SHARED_DB"
DEFAULT_DIRECTORY: Final = Path(".hypothesis") / "examples"
DEFAULT_ARTIFACT: Final = "hypothesis-example-db"
# Long enough for a server across a data centre, short enough that a run
# pointed at a dead host loses one second, not a TCP timeout of minutes.
CONNECT_TIMEOUT_S: Final = 1.0
OPERATION_TIMEOUT_S: Final = 5.0
_EXPECTED: Final = "expected a directory, redis://HOST:PORT/DB or github:OWNER/REPO[/ARTIFACT]"

Kind = Literal["directory", "redis", "github"]


@final
@dataclass(frozen=True, slots=True)
class DatabaseLocation:
    """Where a database lives: a directory path, a ``redis://`` URL or ``github:OWNER/REPO[/ARTIFACT]``."""

    kind: Kind
    target: str

    def __str__(self) -> str:
        return self.target


def parse_location(text: str, origin: str, key: str = "") -> DatabaseLocation:
    """Read a database setting; ``origin`` and ``key`` (``HARNESS_EXAMPLE_DB`` and no key, or
    ``pyproject.toml`` and ``tool.harness.example_db``) name it in errors.

    Raises :class:`~harness.errors.InvalidConfigError` for an unknown scheme,
    a Redis URL without a host, or a GitHub location that is not ``OWNER/REPO``.
    """
    text = text.strip()
    if not text:
        raise InvalidConfigError(origin, key, f"{_EXPECTED}, got an empty value")
    if text.startswith("github:"):
        parts = text.removeprefix("github:").split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise InvalidConfigError(origin, key, f"{_EXPECTED}, got {text!r}")
        return DatabaseLocation("github", text)
    scheme = urlsplit(text).scheme
    if scheme == "redis":
        try:
            host, port = urlsplit(text).hostname, urlsplit(text).port
        except ValueError:
            host = None
        if not host:
            raise InvalidConfigError(origin, key, f"{_EXPECTED}, got {text!r} (no host or a bad port)")
        return DatabaseLocation("redis", text)
    if "://" in text:
        raise InvalidConfigError(origin, key, f"{_EXPECTED}, got {text!r}")
    return DatabaseLocation("directory", text)


class UnreachableDatabaseError(Exception):
    """A shared database did not answer; the message says why in a few words."""


def open_database(location: DatabaseLocation) -> ExampleDatabase:
    """The hypothesis database at ``location``; a Redis server must answer PING within a second.

    Raises :class:`UnreachableDatabaseError` when it does not, or when the
    ``redis`` client (the ``hypothesis[redis]`` extra) is not installed.
    """
    if location.kind == "directory":
        return DirectoryBasedExampleDatabase(location.target)
    if location.kind == "github":
        owner, repo, *artifact = location.target.removeprefix("github:").split("/")
        return GitHubArtifactDatabase(owner, repo, artifact_name=artifact[0] if artifact else DEFAULT_ARTIFACT)
    try:
        import redis
        from hypothesis.extra.redis import RedisExampleDatabase
    except ImportError:
        raise UnreachableDatabaseError("the redis client is not installed (pip install 'hypothesis[redis]')") from None
    client = redis.Redis.from_url(
        location.target, socket_connect_timeout=CONNECT_TIMEOUT_S, socket_timeout=OPERATION_TIMEOUT_S
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        raise UnreachableDatabaseError(_first_line(exc)) from None
    return RedisExampleDatabase(client)


@final
class GuardedDatabase(ExampleDatabase):
    """A shared database whose failures end its use, not the run.

    The first connection failure or timeout is reported in one line on
    ``stream`` and every later call goes to ``fallback`` (the local directory
    for the database a run writes to; none, an empty database, for a shared
    one); a key the server cannot read (Redis's ``WRONGTYPE``, a value that is
    no set) is skipped on its own. A warning the database gives while
    fetching (``GitHubArtifactDatabase`` warns when no artifact can be had,
    and a suite that turns warnings into errors would fail on it) becomes the
    same one line. Wrapped around Redis and GitHub artifacts only: a
    directory's errors are real errors.
    """

    def __init__(
        self,
        database: ExampleDatabase,
        *,
        name: str,
        fallback: ExampleDatabase | None = None,
        stream: TextIO | None = None,
    ) -> None:
        super().__init__()
        self._database: ExampleDatabase | None = database
        self._fallback = fallback
        self._dropped = False
        self._name = name
        self._stream = stream
        self._connection_errors, self._entry_errors = _redis_errors()

    def __repr__(self) -> str:
        return f"GuardedDatabase({self._database!r}, name={self._name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GuardedDatabase) and self._database == other._database

    @property
    def dropped(self) -> bool:
        """True once the guarded database failed and the fallback took over."""
        return self._dropped

    def fetch(self, key: bytes) -> Iterable[bytes]:
        # A generator, so that an error while hypothesis iterates is caught too.
        if self._database is None:
            return
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                fetched = list(self._database.fetch(key))
        except self._entry_errors:
            return
        except self._connection_errors as exc:
            self._drop(exc)
            return
        if caught:
            self._drop(caught[0].message)
        yield from fetched

    def save(self, key: bytes, value: bytes) -> None:
        self._call("save", key, value)

    def delete(self, key: bytes, value: bytes) -> None:
        self._call("delete", key, value)

    def move(self, src: bytes, dest: bytes, value: bytes) -> None:
        self._call("move", src, dest, value)

    # Change listeners (a live dashboard's) hear the guarded database's changes.
    def _start_listening(self) -> None:
        if self._database is not None:
            self._database.add_listener(self._broadcast_change)

    def _stop_listening(self) -> None:
        if self._database is not None:
            self._database.remove_listener(self._broadcast_change)

    def _call(self, method: str, *args: bytes) -> None:
        if self._database is None:
            return
        try:
            getattr(self._database, method)(*args)
        except self._entry_errors:
            return
        except self._connection_errors as exc:
            self._drop(exc)

    def _drop(self, exc: BaseException | Warning | str) -> None:
        self._database, self._dropped = self._fallback, True
        instead = f"going on with {self._fallback!r}" if self._fallback is not None else "going on without it"
        print(f"harness: example database {self._name} stopped answering ({_first_line(exc)}); {instead}",
              file=self._stream or sys.stderr)  # fmt: skip


@final
@dataclass(frozen=True, slots=True)
class SelectedDatabase:
    """The database to hand hypothesis, what it is made of, and the fallback notice (one line) if any.

    ``database`` holds each test's writes until the test ends
    (:mod:`harness.fuzz.publishing`): the caller publishes them.
    """

    database: PublishingDatabase
    description: str
    notice: str | None = None


def select_database(
    environ: Mapping[str, str],
    configured: Mapping[str, str],
    *,
    config_file: str = "pyproject.toml",
) -> SelectedDatabase | None:
    """The example database the settings ask for, or ``None`` when none is configured (hypothesis's default).

    ``configured`` is the ``[tool.harness]`` table (``example_db``,
    ``shared_db``). An unreachable Redis falls back: as the writable database
    to the local directory, as the shared one to nothing; :attr:`SelectedDatabase.notice`
    says which. Raises :class:`~harness.errors.InvalidConfigError` for a bad setting.
    """
    own = _setting(environ, configured, EXAMPLE_DB_ENV, "example_db", config_file)
    shared = _setting(environ, configured, SHARED_DB_ENV, "shared_db", config_file)
    if own is None and shared is None:
        return None
    notices: list[str] = []
    local = own if own is not None and own.kind == "directory" else DatabaseLocation("directory", str(DEFAULT_DIRECTORY))
    if own is not None and own.kind == "github":
        origin, key = _origin(environ, EXAMPLE_DB_ENV, "example_db", config_file)
        raise InvalidConfigError(origin, key, f"a GitHub artifact is read-only; name it in {SHARED_DB_ENV} instead")
    primary, description = open_database(local), str(local)
    if own is not None and own.kind == "redis":
        try:
            guarded = GuardedDatabase(open_database(own), name=own.target, fallback=primary)
            primary, description = guarded, own.target
        except UnreachableDatabaseError as exc:
            notices.append(f"example database {own} unreachable ({exc}); using {local}")
    if shared is None:
        return SelectedDatabase(PublishingDatabase(primary), description, _notice(notices))
    try:
        opened = open_database(shared)
    except UnreachableDatabaseError as exc:
        notices.append(f"shared example database {shared} unreachable ({exc}); replaying only {description}")
        return SelectedDatabase(PublishingDatabase(primary), description, _notice(notices))
    layer = GuardedDatabase(opened, name=shared.target) if shared.kind != "directory" else opened
    layered = MultiplexedDatabase(primary, ReadOnlyDatabase(layer))
    return SelectedDatabase(PublishingDatabase(layered), f"{description} over {shared} (read-only)", _notice(notices))


def _setting(
    environ: Mapping[str, str], configured: Mapping[str, str], variable: str, key: str, config_file: str
) -> DatabaseLocation | None:
    text = environ.get(variable) or None
    if text is None:
        value = configured.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise InvalidConfigError(config_file, f"tool.harness.{key}", f"{_EXPECTED}, got {value!r}")
        text = value
    return parse_location(text, *_origin(environ, variable, key, config_file))


def _origin(environ: Mapping[str, str], variable: str, key: str, config_file: str) -> tuple[str, str]:
    return (variable, "") if environ.get(variable) else (config_file, f"tool.harness.{key}")


def _notice(notices: list[str]) -> str | None:
    return "harness: " + "; ".join(notices) if notices else None


def _redis_errors() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """The errors that end a server's use (connection lost, timed out) and those that skip one entry."""
    try:
        import redis
    except ImportError:
        return (OSError,), ()
    return (redis.ConnectionError, redis.TimeoutError, OSError), (redis.ResponseError, redis.DataError)


def _first_line(exc: BaseException | Warning | str) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
