"""The area: where the package is, how its modules are named, what they own."""

from __future__ import annotations

import pytest

from harness.errors import InvalidConfigError
from harness.gate.area import dotted_name, load_modules, locate_package, module_ownership
from harness.gate.types import PackageLocation

from gate_planting import PlantedProject, area_module


def test_an_area_is_located_from_the_project_root(planted: PlantedProject) -> None:
    location = locate_package(planted.root, f"./{planted.area}/", source="pyproject.toml", key="k")

    assert location == PackageLocation(
        project_root=planted.root,
        import_root=planted.root,
        area=planted.area,
        package=f"{planted.package}.core",
        top_package=planted.package,
    )


def test_a_directory_that_cannot_be_a_dotted_name_is_rejected(planted: PlantedProject) -> None:
    planted.write("my-package/core/__init__.py", "")

    with pytest.raises(InvalidConfigError) as raised:
        locate_package(planted.root, "my-package/core", source="pyproject.toml", key="tool.x.area")

    assert str(raised.value) == (
        'pyproject.toml: tool.x.area: "my-package/core" cannot be imported as a dotted name '
        f"from {planted.root}"
    )


def test_modules_are_read_recursively_in_path_order(planted: PlantedProject) -> None:
    planted.write(f"{planted.area}/sub/__init__.py", "")
    planted.write(f"{planted.area}/sub/deep.py", "x = 1\ny = 2\n")
    planted.write(f"{planted.area}/b.py", "")
    planted.write(f"{planted.area}/a.py", "def broken(:\n    pass\n")
    planted.write(f"{planted.area}/__pycache__/a.py", "")
    planted.write(f"{planted.area}/.hidden/c.py", "")
    planted.write(f"{planted.area}/data.json", "{}")
    planted.write(f"{planted.area}/escape.py", '"""Has \\d in it."""\n')
    location = locate_package(planted.root, planted.area, source="p", key="k")

    modules = load_modules(location)

    core = f"{planted.package}.core"
    assert [(module.path.removeprefix(f"{planted.area}/"), module.name) for module in modules] == [
        ("__init__.py", core),
        ("a.py", f"{core}.a"),
        ("b.py", f"{core}.b"),
        ("escape.py", f"{core}.escape"),
        ("sub/__init__.py", f"{core}.sub"),
        ("sub/deep.py", f"{core}.sub.deep"),
    ]
    broken = modules[1]
    assert (broken.tree, broken.error_line, broken.lines) == (None, 1, 2)
    assert modules[5].lines == 2 and modules[5].tree is not None
    assert modules[3].tree is not None


def test_dotted_names_of_paths(planted: PlantedProject) -> None:
    location = locate_package(planted.root, planted.area, source="p", key="k")

    assert dotted_name(location, f"{planted.area}/__init__.py") == f"{planted.package}.core"
    assert dotted_name(location, f"{planted.area}/x/y.py") == f"{planted.package}.core.x.y"
    assert dotted_name(location, f"{planted.area}/notes.txt") is None
    assert dotted_name(location, f"{planted.area}/bad-name.py") is None
    assert dotted_name(location, "../elsewhere.py") is None


@pytest.mark.parametrize(
    ("source", "ownership"),
    [
        ('"""Runs the stages.\n\nDetails follow.\n"""\n', "Runs the stages."),
        ('"""\n    Indented first line.\n"""\n', "Indented first line."),
        ("x = 1\n", "(no docstring)"),
        ('""""""\n', "(no docstring)"),
    ],
)
def test_ownership_is_the_first_docstring_line(source: str, ownership: str) -> None:
    assert module_ownership(area_module("pkg/m.py", source)) == ownership
