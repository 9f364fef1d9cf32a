"""The gate's configuration: the ``[tool.harness.gate]`` table of ``pyproject.toml``.

:func:`load_config` reads the table once, applies command-line overrides,
checks every key and resolves the base revision with git, so the rest of the
gate works from a validated :class:`GateConfig`. Every problem raises
:class:`~harness.errors.InvalidConfigError` naming the file, the key path and
the offending value.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from harness.errors import InvalidConfigError, SnapshotError
from harness.gate.area import dotted_name, locate_package
from harness.gate.history import resolve_commit, root_commit
from harness.gate.types import PackageLocation
from harness.snapshot.manifest import MANIFEST_NAME, read_manifest

__all__ = [
    "DEFAULT_COMMANDS",
    "DEFAULT_REFERENCE",
    "GATE_KEYS",
    "PHASE_START",
    "GateConfig",
    "load_config",
    "load_reference_settings",
    "phase_start",
    "read_tool_table",
]

DEFAULT_AREA = "harness/pipeline"
DEFAULT_COMMANDS = ("python3 -m pytest -n auto", "harness check")
DEFAULT_MIN_MODULE_LINES = 60
DEFAULT_NOTE = "artifacts/gate-note.md"

_TABLE = "tool.harness.gate"
GATE_KEYS = (
    "area",
    "base",
    "commands",
    "duplication_exempt",
    "min_module_lines",
    "note",
    "reference",
    "reference_importers",
)
DEFAULT_REFERENCE = "harness/reference"
_RETIRED = {
    "reference_sha256": "replaced by the snapshot's MANIFEST.json, which pins every file; remove the key",
}
_COMMAND_LINE = "command line"


@dataclass(frozen=True, slots=True)
class GateConfig:
    """The validated gate settings for one project.

    ``base`` is the revision as configured (when unset, the revision the
    phase started from, see :func:`phase_start`) and ``base_commit`` its full hash. Paths are relative to ``project_root``;
    ``reference`` is the directory of the frozen snapshot (its ``MANIFEST.json``
    pins every file) and ``reference_package`` its dotted name;
    ``reference_importers`` are the dotted names of the area modules allowed
    to import it (none by default); ``snapshots`` are further frozen
    "befores" outside the package (one per phase), pinned by their manifests.
    """

    project_root: Path
    source: Path
    location: PackageLocation
    base: str
    base_commit: str
    commands: tuple[str, ...]
    min_module_lines: int
    duplication_exempt: tuple[str, ...]
    reference: str | None
    reference_package: str | None
    reference_importers: tuple[str, ...]
    note: str
    snapshots: tuple[str, ...] = ()

    @property
    def area(self) -> str:
        """The area's directory, relative to the project root."""
        return self.location.area


def load_config(
    project_root: Path,
    *,
    area: str | None = None,
    base: str | None = None,
    note: Path | str | None = None,
) -> GateConfig:
    """Read ``project_root/pyproject.toml`` and build the gate configuration.

    ``area``, ``base`` and ``note`` come from the command line and win over the
    file. A missing file or table means every default. Raises
    InvalidConfigError for unknown keys, wrong types, an area that is not a
    package, and a base revision git cannot resolve.
    """
    root = project_root.resolve()
    source = root / "pyproject.toml"
    table = read_tool_table(source)
    retired = sorted(set(table) & set(_RETIRED))
    if retired:
        raise InvalidConfigError(source, f"{_TABLE}.{retired[0]}", _RETIRED[retired[0]])
    unknown = sorted(set(table) - set(GATE_KEYS))
    if unknown:
        problem = f"unknown key; known keys are {', '.join(GATE_KEYS)}"
        raise InvalidConfigError(source, f"{_TABLE}.{unknown[0]}", problem)

    area_value = area if area is not None else _string(source, table, "area", DEFAULT_AREA)
    reference = _optional_path(source, table, "reference")
    importers = _module_names(source, table, "reference_importers")
    commands = _string_list(source, table, "commands", DEFAULT_COMMANDS)
    min_module_lines = _positive_int(source, table, "min_module_lines", DEFAULT_MIN_MODULE_LINES)
    exempt = tuple(
        PurePosixPath(path).as_posix()
        for path in _string_list(source, table, "duplication_exempt", ())
    )
    note_value = str(note) if note is not None else _string(source, table, "note", DEFAULT_NOTE)

    # Then what needs the file system and git, once every value is well typed.
    if area is None and "area" not in table:
        location = _default_area(root, source, area_value)
    elif area is None:
        location = locate_package(root, area_value, source=source, key=f"{_TABLE}.area")
    else:
        location = locate_package(root, area_value, source=_COMMAND_LINE, key="--area")
    reference_package = None if reference is None else _snapshot_package(source, location, reference)
    base_spec, base_commit = _resolve_base(root, source, table, base, reference or DEFAULT_REFERENCE)
    return GateConfig(
        project_root=root,
        source=source,
        location=location,
        base=base_spec,
        base_commit=base_commit,
        commands=commands,
        min_module_lines=min_module_lines,
        duplication_exempt=exempt,
        reference=reference,
        reference_package=reference_package,
        reference_importers=importers if importers is not None else (),
        note=note_value,
    )


def _default_area(root: Path, source: Path, area: str) -> PackageLocation:
    """The default area, or an error that says no configuration chose it (and blames no file)."""
    try:
        return locate_package(root, area, source=_COMMAND_LINE, key="--area")
    except InvalidConfigError as error:
        missing = f"no {source.name}" if not source.is_file() else f"no {_TABLE}.area in {source.name}"
        problem = f"{missing}, and the default area {error.problem}; set `area` in [{_TABLE}] or pass --area"
        raise InvalidConfigError(root, "", problem) from None


def read_tool_table(source: Path, table: str = _TABLE) -> Mapping[str, object]:
    """The table ``table`` (dotted) of the TOML file ``source``; empty when the file or the table is absent.

    Raises InvalidConfigError for a file that is not TOML, or a key on the way that is no table.
    """
    if not source.is_file():
        return {}
    try:
        document = tomllib.loads(source.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise InvalidConfigError(source, "", f"not valid TOML: {error}") from error
    current: dict[str, object] = document
    walked: list[str] = []
    for part in table.split("."):
        walked.append(part)
        found = current.get(part, {})
        if not isinstance(found, dict):
            raise InvalidConfigError(
                source, ".".join(walked), f"expected a table, got {_render(found)}"
            )
        current = found
    return current


def _render(value: object) -> str:
    """A value as the user wrote it, near enough: strings quoted, lists and tables as JSON."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = str(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def _string(source: Path, table: Mapping[str, object], key: str, default: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise InvalidConfigError(
            source, f"{_TABLE}.{key}", f"expected a non-empty string, got {_render(value)}"
        )
    return value


def _optional_string(source: Path, table: Mapping[str, object], key: str) -> str | None:
    return _string(source, table, key, "") if key in table else None


def _optional_path(source: Path, table: Mapping[str, object], key: str) -> str | None:
    """A path relative to the project root, spelled as the area's module paths are."""
    value = _optional_string(source, table, key)
    return None if value is None else PurePosixPath(value).as_posix()


def _positive_int(source: Path, table: Mapping[str, object], key: str, default: int) -> int:
    value = table.get(key, default)
    # bool is an int to Python, but ``min_module_lines = true`` is a typo.
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidConfigError(
            source, f"{_TABLE}.{key}", f"expected a positive integer, got {_render(value)}"
        )
    return value


def _string_list(
    source: Path, table: Mapping[str, object], key: str, default: tuple[str, ...]
) -> tuple[str, ...]:
    value = table.get(key, list(default))
    if not isinstance(value, list):
        raise InvalidConfigError(
            source, f"{_TABLE}.{key}", f"expected a list of strings, got {_render(value)}"
        )
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            problem = f"expected a non-empty string, got {_render(item)}"
            raise InvalidConfigError(source, f"{_TABLE}.{key}[{index}]", problem)
    return tuple(value)


def _module_names(source: Path, table: Mapping[str, object], key: str) -> tuple[str, ...] | None:
    """Dotted module names (``pkg.__init__`` meaning ``pkg``), or ``None`` when unset."""
    if key not in table:
        return None
    names = _string_list(source, table, key, ())
    for index, name in enumerate(names):
        if not all(part.isidentifier() for part in name.split(".")):
            problem = f"expected a dotted module name, got {_render(name)}"
            raise InvalidConfigError(source, f"{_TABLE}.{key}[{index}]", problem)
    return tuple(name.removesuffix(".__init__") for name in names)


def _snapshot_package(source: Path, location: PackageLocation, reference: str) -> str:
    """The dotted name of the snapshot directory ``reference``, which must be an importable package."""
    name = dotted_name(location, f"{reference}/__init__.py")
    if name is None or not (location.project_root / reference / "__init__.py").is_file():
        problem = f'"{reference}" is not a package directory importable from {location.import_root}'
        raise InvalidConfigError(source, f"{_TABLE}.reference", problem)
    return name


def load_reference_settings(project_root: Path, *, area: str | None = None) -> tuple[str, str, str]:
    """The area's path and dotted name, and the snapshot directory, for ``freeze`` and ``--reference REV``.

    Reads only ``area`` and ``reference`` of ``[tool.harness.gate]`` (defaults
    ``harness/pipeline`` and ``harness/reference``) and needs neither git nor
    the area on disk: ``--reference REV`` reads the area from the revision.
    Raises InvalidConfigError for a value that is not a relative package path.
    """
    root = project_root.resolve()
    source = root / "pyproject.toml"
    table = read_tool_table(source)
    where, key = (_COMMAND_LINE, "--area") if area is not None else (str(source), f"{_TABLE}.area")
    spelled = area if area is not None else _string(source, table, "area", DEFAULT_AREA)
    path = PurePosixPath(spelled)
    parts = path.parts[1:] if path.parts[:1] == ("src",) else path.parts
    if path.is_absolute() or not parts or not all(part.isidentifier() for part in parts):
        raise InvalidConfigError(where, key, f'"{spelled}" is not a package path relative to the project root')
    reference = _optional_path(source, table, "reference") or DEFAULT_REFERENCE
    return path.as_posix(), ".".join(parts), reference


def _resolve_base(
    root: Path, source: Path, table: Mapping[str, object], override: str | None, reference: str
) -> tuple[str, str]:
    if override is not None:
        spec, where, key = override, _COMMAND_LINE, "--base"
    elif "base" in table:
        spec, where, key = _string(source, table, "base", ""), str(source), f"{_TABLE}.base"
    else:
        return _default_base(root, source, reference)
    commit = resolve_commit(root, spec) if spec.strip() else None
    if commit is None:
        problem = f"git cannot resolve {_render(spec)} to a commit in {root}"
        raise InvalidConfigError(where, key, problem)
    return spec, commit


PHASE_START = "the frozen reference's source revision"
"""How the note names the default base."""


def phase_start(root: Path, reference: str) -> str | None:
    """The revision the open phase started from: the frozen snapshot's ``source_revision``, or ``None``.

    A phase starts with ``harness freeze``, which records the revision it froze
    in ``MANIFEST.json``, so the gate's default base is that revision and the
    note lists what the phase changed, not the project's whole history.
    ``None`` when the snapshot or its manifest is missing or unreadable. A
    freeze of a dirty area recorded ``REV+changes``: the phase started from ``REV``.
    """
    try:
        manifest = read_manifest(root / reference)
    except SnapshotError:
        return None
    return manifest.source_revision.removesuffix("+changes")


def _default_base(root: Path, source: Path, reference: str) -> tuple[str, str]:
    """The base when none is given: where the phase started, else the root commit."""
    started = phase_start(root, reference)
    if started is not None:
        commit = resolve_commit(root, started)
        if commit is None:
            problem = (
                f"git cannot resolve {_render(started)} to a commit in {root} (a shallow clone?); "
                "fetch the history or pass --base REV"
            )
            raise InvalidConfigError(root / reference / MANIFEST_NAME, "source_revision", problem)
        return PHASE_START, commit
    first = root_commit(root)
    if first is None:
        problem = (
            f"not set, and {root} is not a git repository with a commit to default to; "
            "commit first or set base"
        )
        raise InvalidConfigError(source, f"{_TABLE}.base", problem)
    return first, first
