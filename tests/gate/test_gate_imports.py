"""import-cycle and frozen-reference, on grimp graphs of planted packages."""

from __future__ import annotations

import importlib.machinery
import sys
import types

import grimp
import pytest

from harness.gate.area import load_modules, locate_package
from harness.gate.imports import (
    build_import_graph,
    check_frozen_reference,
    check_import_cycles,
)
from harness.gate.types import AreaModule, Finding, PackageLocation, ReferenceReport

from gate_planting import PlantedProject


def scan(
    planted: PlantedProject,
) -> tuple[PackageLocation, grimp.ImportGraph, tuple[AreaModule, ...]]:
    location = locate_package(planted.root, planted.area, source="test", key="area")
    graph = build_import_graph(location)
    assert isinstance(graph, grimp.ImportGraph), graph
    return location, graph, load_modules(location)


def test_a_two_module_cycle_is_reported_once_at_the_closing_import(planted: PlantedProject) -> None:
    core = f"{planted.package}.core"
    planted.module("alpha", f'"""Alpha."""\n\nfrom {core} import beta\n')
    late = f"def late():\n    from {core} import alpha\n"
    planted.module("beta", f'"""Beta."""\n\nimport os\n\n\n{late}')

    _, graph, modules = scan(planted)

    assert check_import_cycles(graph, modules) == [
        Finding(
            "import-cycle",
            f"{planted.area}/beta.py",
            7,
            f"import cycle {core}.alpha -> {core}.beta -> {core}.alpha; "
            f"this import of {core}.alpha closes it",
        )
    ]


def test_a_longer_cycle_is_reported_in_order_from_its_smallest_module(
    planted: PlantedProject,
) -> None:
    core = f"{planted.package}.core"
    planted.module("c", f"from {core} import a\n")
    planted.module("a", f"from {core} import b\n")
    planted.module("b", f"from {core}.c import thing\n")
    planted.module("d", f"from {core} import a\n")

    _, graph, modules = scan(planted)

    (finding,) = check_import_cycles(graph, modules)
    assert (finding.path, finding.line) == (f"{planted.area}/c.py", 1)
    assert finding.message.startswith(f"import cycle {core}.a -> {core}.b -> {core}.c -> {core}.a;")


def test_acyclic_imports_and_imports_outside_the_area_pass(planted: PlantedProject) -> None:
    core = f"{planted.package}.core"
    planted.write(f"{planted.package}/outside.py", f"from {core} import a\n")
    planted.module("a", f"from {core} import b\nfrom {planted.package} import outside\n")
    planted.module("b", "import json\n")

    _, graph, modules = scan(planted)

    assert check_import_cycles(graph, modules) == []


def test_the_barrel_importing_a_module_that_imports_the_barrel_is_a_cycle(
    planted: PlantedProject,
) -> None:
    core = f"{planted.package}.core"
    planted.write(f"{planted.area}/__init__.py", f"from {core}.engine import Engine\n")
    planted.module("engine", f"from {core} import helper\n\n\nclass Engine:\n    pass\n")

    _, graph, modules = scan(planted)

    (finding,) = check_import_cycles(graph, modules)
    assert (finding.path, finding.line) == (f"{planted.area}/engine.py", 1)


def plant_reference(planted: PlantedProject) -> str:
    return planted.snapshot({"engine.py": '"""The frozen original."""\n\n\ndef run():\n    return 1\n'})


def check_reference(
    planted: PlantedProject, reference: str, allowed: list[str]
) -> tuple[list[Finding], ReferenceReport]:
    location, graph, modules = scan(planted)
    return check_frozen_reference(
        graph,
        modules,
        location=location,
        reference=reference,
        reference_package=reference.replace("/", "."),
        allowed_importers=allowed,
    )


def test_changed_added_and_missing_snapshot_files_are_each_named(planted: PlantedProject) -> None:
    """A planted edit, a planted extra file and a deleted file of the snapshot are three findings."""
    reference = planted.snapshot({"engine.py": "VALUE = 1\n", "spare.py": "SPARE = 1\n"})
    planted.write(f"{reference}/engine.py", "VALUE = 2\n")
    planted.write(f"{reference}/extra.py", "EXTRA = 1\n")
    (planted.root / reference / "spare.py").unlink()

    findings, report = check_reference(planted, reference, [])

    assert [(finding.path, finding.message.split(" (")[0].split(";")[0]) for finding in findings] == [
        (f"{reference}/engine.py", "engine.py: changed since the snapshot was frozen"),
        (f"{reference}/extra.py", "extra.py: not in MANIFEST.json"),
        (f"{reference}/spare.py", "spare.py: listed in MANIFEST.json but missing"),
    ]
    assert report == ReferenceReport(reference, "HEAD", 3, ())


def test_a_snapshot_without_a_manifest_is_a_finding(planted: PlantedProject) -> None:
    reference = plant_reference(planted)
    (planted.root / reference / "MANIFEST.json").unlink()

    findings, report = check_reference(planted, reference, [])

    assert [(finding.path, finding.message.split(" (")[0]) for finding in findings] == [
        (f"{reference}/MANIFEST.json", "MANIFEST.json: missing")
    ]
    assert report.source_revision is None


def test_only_the_allowed_importers_of_the_area_may_import_the_reference(
    planted: PlantedProject,
) -> None:
    core = f"{planted.package}.core"
    reference = plant_reference(planted)
    frozen = reference.replace("/", ".")
    planted.write(f"{planted.area}/__init__.py", f'"""Barrel."""\n\nfrom {frozen} import engine\n')
    planted.module("runner", f'"""Runner."""\n\nimport os\nimport {frozen}.engine\n')
    planted.module("clean", '"""Clean."""\n')
    planted.write(f"{planted.package}/compare.py", f"from {frozen}.engine import run\n")

    findings, report = check_reference(planted, reference, [core])

    assert findings == [
        Finding(
            "frozen-reference",
            f"{planted.area}/runner.py",
            4,
            f"imports the frozen reference {frozen}.engine; only {core} may import it",
        )
    ]
    assert report.importers == (core, f"{core}.runner")


def test_a_snapshot_importing_the_area_or_the_package_is_a_finding(planted: PlantedProject) -> None:
    """The other direction: the snapshot imports only itself (planted: one import of the area, one of its package)."""
    core = f"{planted.package}.core"
    planted.module("values", '"""Values."""\n')
    planted.write(f"{planted.package}/errors.py", '"""Errors."""\n')
    reference = planted.snapshot({
        "engine.py": f"import json\nfrom {core} import values\n",
        "other.py": f"from . import engine\n\nfrom {planted.package} import errors\n",
    })

    findings, _ = check_reference(planted, reference, [])

    assert [(finding.path, finding.line, finding.message.split(";")[0]) for finding in findings] == [
        (f"{reference}/engine.py", 2, f"the frozen reference imports {core}.values"),
        (f"{reference}/other.py", 3, f"the frozen reference imports {planted.package}.errors"),
    ]


def test_building_the_graph_leaves_the_interpreter_as_it_was(planted: PlantedProject) -> None:
    planted.module("a", "import json\n")
    path_before = list(sys.path)

    scan(planted)

    assert sys.path == path_before
    assert not [name for name in sys.modules if name.startswith(planted.package)]


def test_a_file_that_does_not_parse_is_an_analysis_finding(planted: PlantedProject) -> None:
    planted.write(f"{planted.area}/broken.py", "def broken(:\n")
    location = locate_package(planted.root, planted.area, source="test", key="area")

    finding = build_import_graph(location)

    assert isinstance(finding, Finding)
    assert (finding.rule, finding.line) == ("analysis", 1)
    assert finding.path == f"{planted.area}/broken.py"


@pytest.mark.parametrize("layout", ["namespace", "src"])
def test_namespace_and_src_layouts_are_located(planted: PlantedProject, layout: str) -> None:
    prefix = "src/" if layout == "src" else ""
    top = f"{planted.package}_{layout}"
    area = f"{prefix}{top}/inner/area"
    planted.write(f"{area}/__init__.py", "")
    planted.write(f"{area}/one.py", f"from {top}.inner.area import two\n")
    planted.write(f"{area}/two.py", f"from {top}.inner.area import one\n")
    if layout == "src":
        planted.write(f"src/{top}/__init__.py", "")
        planted.write(f"src/{top}/inner/__init__.py", "")

    location = locate_package(planted.root, area, source="test", key="area")
    graph = build_import_graph(location)

    assert isinstance(graph, grimp.ImportGraph)
    assert location.import_root == planted.root / prefix.rstrip("/")
    assert (location.package, location.top_package) == (f"{top}.inner.area", top)
    (finding,) = check_import_cycles(graph, load_modules(location))
    assert (finding.path, finding.line) == (f"{area}/two.py", 1)


def test_a_same_named_package_imported_from_elsewhere_does_not_shadow_the_area(
    planted: PlantedProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    impostor = types.ModuleType(planted.package)
    impostor.__spec__ = importlib.machinery.ModuleSpec(planted.package, None, is_package=True)
    impostor.__path__ = [str(planted.root / "elsewhere")]
    monkeypatch.setitem(sys.modules, planted.package, impostor)
    core = f"{planted.package}.core"
    planted.module("a", f"from {core} import b\n")
    planted.module("b", f"from {core} import a\n")

    _, graph, modules = scan(planted)

    assert len(check_import_cycles(graph, modules)) == 1
    assert sys.modules[planted.package] is impostor
