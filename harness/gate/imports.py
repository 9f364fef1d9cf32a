"""The ``import-cycle`` and ``frozen-reference`` guardrails, read from grimp's import graph and the manifest.

grimp builds graphs of top-level packages only, found through ``sys.path``;
:func:`build_import_graph` therefore builds the graph of the area's top
package with the import root put first on ``sys.path`` for the duration,
then the checks restrict it to the area. Imports under ``if TYPE_CHECKING:``
count: they are dependencies too, even if Python never executes them.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import grimp
from grimp.exceptions import SourceSyntaxError

from harness.errors import SnapshotError
from harness.gate.types import AreaModule, Finding, PackageLocation, ReferenceReport, Rule
from harness.snapshot.generate import check_self_contained
from harness.snapshot.manifest import MANIFEST_NAME, Manifest, read_manifest, verify_snapshot

__all__ = [
    "build_import_graph",
    "check_frozen_reference",
    "check_import_cycles",
    "check_phase_snapshots",
]


@contextmanager
def _importable_from(location: PackageLocation) -> Iterator[None]:
    """Make ``location.top_package`` resolve to the project's copy, and undo it after.

    grimp locates the package with ``importlib.util.find_spec``, which answers
    from ``sys.modules`` first: a package of the same name imported from
    elsewhere (an installed harness, say) would be scanned instead.
    """
    root = str(location.import_root)
    saved_path = list(sys.path)
    shadowing = sys.modules.pop(location.top_package, None)
    sys.path.insert(0, root)
    importlib.invalidate_caches()  # the area may have been written a moment ago
    try:
        yield
    finally:
        sys.path[:] = saved_path
        if shadowing is not None:
            sys.modules[location.top_package] = shadowing


def build_import_graph(location: PackageLocation) -> grimp.ImportGraph | Finding:
    """The import graph of the area's top package, or a finding saying why there is none.

    There is none when a file of the package does not parse, or when the
    package that Python finds under the top name does not contain the area
    (a regular package of that name earlier on ``sys.path``).
    """
    with _importable_from(location):
        try:
            graph = grimp.build_graph(location.top_package, cache_dir=None)
        except SourceSyntaxError as error:
            message = f"cannot build the import graph: {error}"
            path = _relative(location, error.filename)
            return Finding(Rule.ANALYSIS, path, error.lineno or 1, message)
    if location.package not in graph.modules:
        message = (
            f"cannot build the import graph: the package {location.top_package} found on "
            f"sys.path from {location.import_root} has no module {location.package}"
        )
        return Finding(Rule.ANALYSIS, location.area, 1, message)
    return graph


def _relative(location: PackageLocation, filename: str) -> str:
    path = Path(filename)
    if path.is_absolute() and path.is_relative_to(location.project_root):
        return path.relative_to(location.project_root).as_posix()
    return filename


def _first_import_line(graph: grimp.ImportGraph, importer: str, imported: str) -> int:
    details = graph.get_import_details(importer=importer, imported=imported)
    return min((detail["line_number"] for detail in details), default=1)


def check_import_cycles(graph: grimp.ImportGraph, modules: Sequence[AreaModule]) -> list[Finding]:
    """One finding per import cycle among the area's modules.

    For every import ``a -> b`` inside the area, grimp's shortest chain from
    ``b`` back to ``a`` (through area modules only) closes a cycle. Cycles
    are rotated to start at their smallest module name so each is reported
    once, at the import that leads back to that module.
    """
    known = graph.modules
    paths = {module.name: module.path for module in modules if module.name in known}
    area_graph = grimp.ImportGraph()
    for importer in sorted(paths):
        area_graph.add_module(importer)
        for imported in graph.find_modules_directly_imported_by(importer):
            if imported in paths and imported != importer:
                area_graph.add_import(importer=importer, imported=imported)
    cycles: set[tuple[str, ...]] = set()
    for importer in sorted(paths):
        for imported in sorted(area_graph.find_modules_directly_imported_by(importer)):
            back = area_graph.find_shortest_chain(importer=imported, imported=importer)
            if back is not None:
                cycle = (importer, *back[:-1])
                start = cycle.index(min(cycle))
                cycles.add(cycle[start:] + cycle[:start])
    findings: list[Finding] = []
    for cycle in sorted(cycles):
        closing = cycle[-1]
        line = _first_import_line(graph, closing, cycle[0])
        chain = " -> ".join((*cycle, cycle[0]))
        message = f"import cycle {chain}; this import of {cycle[0]} closes it"
        findings.append(Finding(Rule.IMPORT_CYCLE, paths[closing], line, message))
    return findings


def _first_line_importing(graph: grimp.ImportGraph, importer: str, package: str) -> tuple[str, int] | None:
    """The first module under ``package`` that ``importer`` imports directly, with the line."""
    for imported in sorted(graph.find_modules_directly_imported_by(importer)):
        if imported == package or imported.startswith(package + "."):
            return imported, _first_import_line(graph, importer, imported)
    return None


def check_frozen_reference(
    graph: grimp.ImportGraph,
    modules: Sequence[AreaModule],
    *,
    location: PackageLocation,
    reference: str,
    reference_package: str,
    allowed_importers: Sequence[str],
) -> tuple[list[Finding], ReferenceReport]:
    """Check the snapshot ``reference`` against its manifest, and the imports both ways.

    Every file must match ``MANIFEST.json`` (a changed, added or missing file
    is named); no area module but ``allowed_importers`` may import the
    snapshot; and no snapshot module may import the area (or anything else
    of the top package outside the snapshot).
    """
    rule = Rule.FROZEN_REFERENCE
    findings, manifest = _pinned_findings(location, reference)

    importers: list[str] = []
    for module in modules:
        if module.name not in graph.modules:
            continue
        found = _first_line_importing(graph, module.name, reference_package)
        if found is None:
            continue
        importers.append(module.name)
        if module.name not in allowed_importers:
            allowed = ", ".join(allowed_importers) or "no module of the area"
            message = f"imports the frozen reference {found[0]}; only {allowed} may import it"
            findings.append(Finding(rule, module.path, found[1], message))
    snapshot_modules = sorted(
        name for name in graph.modules if name == reference_package or name.startswith(reference_package + ".")
    )
    for name in snapshot_modules:
        outside = sorted(
            imported
            for imported in graph.find_modules_directly_imported_by(name)
            if imported != reference_package and not imported.startswith(reference_package + ".")
        )
        if outside:
            line = _first_import_line(graph, name, outside[0])
            message = (
                f"the frozen reference imports {outside[0]}; a snapshot imports only itself and the standard library"
            )
            findings.append(Finding(rule, _module_path(location, name), line, message))
    report = ReferenceReport(
        path=reference,
        source_revision=manifest.source_revision if manifest is not None else None,
        files=len(manifest.files) if manifest is not None else 0,
        importers=tuple(importers),
    )
    return findings, report


def check_phase_snapshots(
    location: PackageLocation, snapshots: Sequence[str]
) -> tuple[list[Finding], tuple[ReferenceReport, ...]]:
    """Check each phase's frozen "before" outside the package: pinned by its manifest, importing only itself.

    Such a snapshot lies outside every package, so nothing can import it by
    name and grimp never sees it; its own imports are read from its files.
    """
    findings: list[Finding] = []
    reports: list[ReferenceReport] = []
    for snapshot in snapshots:
        found, manifest = _pinned_findings(location, snapshot)
        directory = location.project_root / snapshot
        for path in sorted(manifest.files if manifest is not None else ()):
            if path.endswith(".py") and (directory / path).is_file():
                try:
                    check_self_contained(path, (directory / path).read_text(encoding="utf-8"), where=snapshot)
                except (SnapshotError, SyntaxError) as error:
                    found.append(Finding(Rule.FROZEN_REFERENCE, f"{snapshot}/{path}", 1, str(error)))
        findings += found
        reports.append(ReferenceReport(
            path=snapshot,
            source_revision=manifest.source_revision if manifest is not None else None,
            files=len(manifest.files) if manifest is not None else 0,
            importers=(),
        ))
    return findings, tuple(reports)


def _pinned_findings(location: PackageLocation, snapshot: str) -> tuple[list[Finding], Manifest | None]:
    """Every file of ``snapshot`` that differs from its ``MANIFEST.json``, and the manifest if it reads."""
    rule = Rule.FROZEN_REFERENCE
    findings: list[Finding] = []
    directory = location.project_root / snapshot
    try:
        manifest: Manifest | None = read_manifest(directory)
    except SnapshotError as error:
        manifest = None
        findings.append(Finding(rule, f"{snapshot}/{MANIFEST_NAME}", 1, str(error).removeprefix(f"{directory}/")))
    if manifest is not None:
        for problem in verify_snapshot(directory, manifest):
            fix = "; run `harness freeze` (`--phase ID` for a phase's before) if the change is deliberate"
            findings.append(Finding(rule, f"{snapshot}/{problem.path}", 1, f"{problem}{fix}"))
    return findings, manifest


def _module_path(location: PackageLocation, name: str) -> str:
    base = location.import_root.joinpath(*name.split("."))
    path = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
    return _relative(location, str(path))
