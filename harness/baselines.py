"""Pinned baselines: one reviewed observation per scenario, beside the scenario file.

``baselines/NAME.toml`` is pinned by ``baselines/NAME.baseline.json``: the
reference executor's observation, with a schema version, as canonical JSON.
Baselines are written only by ``harness record`` and ``pytest
--snapshot-update``, through the same serializer and the same atomic writer
(a temporary file in the same folder, flushed, then renamed over the old
one), so an interrupted write leaves every baseline either old or new.
:class:`BaselineExtension` is the syrupy extension the test suite uses.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Final

from syrupy.data import Snapshot, SnapshotCollection, SnapshotCollections
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode
from syrupy.location import PyTestLocation
from syrupy.types import PropertyFilter, PropertyMatcher, SerializableData, SerializedData, SnapshotIndex

from harness.errors import InvalidBaselineError, InvalidOutputError, describe_json_error
from harness.observation import BEHAVIOUR_EXCLUDED_KEYS, Observation, canonical_json

__all__ = [
    "BASELINE_SUFFIX",
    "REQUIRED_FIELDS",
    "SCHEMA_VERSION",
    "BaselineExtension",
    "baseline_document",
    "baseline_writing_refused",
    "baseline_path",
    "load_baseline",
    "check_output_path",
    "serialize_baseline",
    "write_atomic",
]

SCHEMA_VERSION: Final = 2
BASELINE_SUFFIX: Final = ".baseline.json"
REQUIRED_FIELDS: Final = (
    "scenario",
    "outcome",
    "output",
    "error",
    "elapsed_ms",
    "stages",
    "latest_errors",
    "effects",
    "events",
    "timeline",
)


def baseline_path(scenario_path: Path | str) -> Path:
    """Where the baseline of a scenario file lives: beside it, ``NAME.baseline.json``."""
    path = Path(scenario_path)
    return path.with_name(path.stem + BASELINE_SUFFIX)


def baseline_writing_refused(environ: Mapping[str, str] = os.environ) -> str | None:
    """Why baselines may not be written here (under ``CI``), or ``None``.

    A CI run that rewrote its own baselines would pass whatever it observed;
    ``harness record`` and ``pytest --snapshot-update`` both ask this.
    """
    if environ.get("CI"):
        return "refusing to write baselines while CI is set"
    return None


def baseline_document(observation: Observation) -> dict[str, Any]:
    """The baseline of an observation: the schema version, then the behaviour it pins.

    Who produced the observation (``implementation``) is left out: a baseline
    pins what any implementation must do.
    """
    behaviour = {key: value for key, value in observation.items() if key not in BEHAVIOUR_EXCLUDED_KEYS}
    return {"schema_version": SCHEMA_VERSION, **behaviour}


def serialize_baseline(observation: Observation) -> str:
    """The exact text a baseline file holds for ``observation``."""
    return canonical_json(baseline_document(observation))


def load_baseline(path: Path | str) -> Observation:
    """Read and check a baseline file; return the observation it pins.

    Raises :class:`InvalidBaselineError` naming the file and key when it cannot
    be read, is not valid UTF-8 JSON, lacks a field, or carries another schema
    version.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidBaselineError(path, "", f"cannot be read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problem = f"not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        raise InvalidBaselineError(path, "", f"invalid JSON: {problem}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidBaselineError(path, "", f"invalid JSON: {describe_json_error(exc)}") from None
    if not isinstance(document, dict):
        raise InvalidBaselineError(path, "", f"expected a JSON object, got {type(document).__name__}")
    if "schema_version" not in document:
        raise InvalidBaselineError(path, "schema_version", "required field missing")
    version = document["schema_version"]
    if version != SCHEMA_VERSION or isinstance(version, bool):
        raise InvalidBaselineError(
            path,
            "schema_version",
            f"expected {SCHEMA_VERSION}, got {json.dumps(version)} (re-record it with `harness record --force`)",
        )
    for field in REQUIRED_FIELDS:
        if field not in document:
            raise InvalidBaselineError(path, field, "required field missing")
    for field in ("stages", "latest_errors", "effects", "events", "timeline"):
        if not isinstance(document[field], list):
            raise InvalidBaselineError(path, field, f"expected a list, got {json.dumps(document[field])[:40]}")
    return {key: value for key, value in document.items() if key != "schema_version"}


def write_atomic(path: Path | str, text: str) -> None:
    """Replace ``path`` with ``text`` all at once: readers see the old file or the new one.

    The new file keeps the old one's permissions (a new file gets the usual
    ones for the umask). If anything, ``KeyboardInterrupt`` included, stops the
    write, the old file is left as it was and the temporary file is removed.
    Raises ``OSError`` when the folder cannot be written or ``path`` is a folder.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = _mode_for(target)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            # mkstemp makes the file private (0o600); a baseline is as readable as the file it replaces.
            os.fchmod(handle.fileno(), mode)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def check_output_path(path: Path | str, option: str) -> None:
    """Make sure :func:`write_atomic` can write ``path`` later, before any work is done.

    Refuses a folder, and a path whose nearest existing ancestor is a file or
    a folder where no file can be created (probed with an unnamed temporary
    file, so nothing is left behind). Missing folders in between are fine:
    the write creates them. Raises InvalidOutputError naming ``option``.
    """
    target = Path(path)
    if target.is_dir():
        raise InvalidOutputError(path, option, "is a folder (give a file name)")
    ancestor = target.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InvalidOutputError(path, option, f"cannot be written: {ancestor} is not a folder")
    try:
        with tempfile.TemporaryFile(dir=ancestor):
            pass
    except OSError as exc:
        raise InvalidOutputError(path, option, f"cannot be written: {exc.strerror or exc}") from None
    if target.parent != ancestor:
        _check_creatable(target.parent, ancestor, path, option)


def _check_creatable(folder: Path, ancestor: Path, path: Path | str, option: str) -> None:
    # A pseudo file system (/proc) accepts no new folder even where a
    # temporary file could be opened; creating and removing the first missing
    # one is the only sure test, and leaves the tree as it was.
    first = folder
    while first.parent != ancestor:
        first = first.parent
    try:
        first.mkdir()
    except OSError as exc:
        raise InvalidOutputError(path, option, f"cannot be written: {exc.strerror or exc}") from None
    first.rmdir()


def _mode_for(target: Path) -> int:
    """The permission bits for a new version of ``target``: its own, else ``0o666`` less the umask."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)  # the only portable way to read the umask is to set it
        os.umask(umask)
        return 0o666 & ~umask


class BaselineExtension(SingleFileSnapshotExtension):
    """syrupy extension storing each snapshot as ``DIRECTORY/NAME.baseline.json``.

    Use a subclass with ``directory`` set (see :meth:`for_directory`) and
    assert ``observation == snapshot(name=SCENARIO_NAME)``; the file it reads
    and writes is the one ``harness record`` writes.
    """

    directory: ClassVar[Path | None] = None
    file_extension = BASELINE_SUFFIX.lstrip(".")
    _write_mode = WriteMode.TEXT

    @classmethod
    def for_directory(cls, directory: Path | str) -> type[BaselineExtension]:
        """A subclass of this extension bound to ``directory``."""
        return type(cls.__name__, (cls,), {"directory": Path(directory).resolve()})

    def serialize(
        self,
        data: SerializableData,
        *,
        exclude: PropertyFilter | None = None,
        include: PropertyFilter | None = None,
        matcher: PropertyMatcher | None = None,
    ) -> SerializedData:
        return serialize_baseline(data)

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        if cls.directory is None:
            raise TypeError("use BaselineExtension.for_directory(path) to say where the baselines live")
        return str(cls.directory)

    @classmethod
    def discovery_dirname(cls, *, test_location: PyTestLocation) -> str:
        return cls.dirname(test_location=test_location)

    def discover_snapshots(
        self, *, test_location: PyTestLocation, ignore_extensions: list[str] | None = None
    ) -> SnapshotCollections:
        # Only baseline files count: syrupy would otherwise list the scenario
        # files beside them as unknown snapshots and delete them on update.
        discovered = SnapshotCollections()
        for path in sorted(Path(self.dirname(test_location=test_location)).glob(f"*{BASELINE_SUFFIX}")):
            discovered.add(self.read_snapshot_collection(snapshot_location=str(path)))
        return discovered

    @classmethod
    def get_snapshot_name(cls, *, test_location: PyTestLocation, index: SnapshotIndex = 0) -> str:
        if not isinstance(index, str):
            raise TypeError("name each baseline snapshot after its scenario: snapshot(name=SCENARIO)")
        return index

    @classmethod
    def matches_test_location(cls, *, test_location: PyTestLocation, snapshot_location: str) -> bool:
        return Path(snapshot_location).parent == cls.directory

    def owns_snapshot_collection(self, *, filepath: str, test_location: PyTestLocation) -> bool:
        return self.is_snapshot_location(location=filepath) and Path(filepath).parent == self.directory

    def read_snapshot_collection(self, *, snapshot_location: str) -> SnapshotCollection:
        collection = SnapshotCollection(location=snapshot_location)
        name = Path(snapshot_location).name.removesuffix(BASELINE_SUFFIX)
        collection.add(Snapshot(name=name))
        return collection

    @classmethod
    def write_snapshot_collection(
        cls, *, snapshot_collection: SnapshotCollection, name_order: dict[str, int] | None = None
    ) -> None:
        snapshot = next(iter(snapshot_collection))
        if not isinstance(snapshot.data, str):
            raise TypeError(f"a baseline is text, got {type(snapshot.data).__name__}")
        write_atomic(snapshot_collection.location, snapshot.data)
