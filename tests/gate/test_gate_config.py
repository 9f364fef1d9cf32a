"""load_config: defaults, overrides, and an exact message for every kind of bad value."""

from __future__ import annotations


import pytest

from harness.errors import InvalidConfigError
from harness.gate.config import DEFAULT_COMMANDS, load_config

from gate_planting import PlantedProject


def config_error(planted: PlantedProject, **overrides: str) -> str:
    with pytest.raises(InvalidConfigError) as raised:
        load_config(planted.root, **overrides)
    return str(raised.value)


def test_defaults_fill_every_unset_key(planted: PlantedProject) -> None:
    planted.configure()
    root_commit = planted.commit("first")
    planted.commit("second")

    config = load_config(planted.root)

    assert config.area == planted.area
    assert config.location.package == f"{planted.package}.core"
    assert config.base == config.base_commit == root_commit
    assert config.commands == DEFAULT_COMMANDS == ("python3 -m pytest -n auto", "harness check")
    assert config.min_module_lines == 60
    assert config.duplication_exempt == ()
    assert config.reference is None and config.reference_package is None
    assert config.reference_importers == ()
    assert config.note == "artifacts/gate-note.md"


def test_the_default_area_is_the_pipeline_package(planted: PlantedProject) -> None:
    planted.write("harness/pipeline/__init__.py", "")
    planted.write("pyproject.toml", "[tool.other]\nx = 1\n")
    planted.commit()

    config = load_config(planted.root)

    assert config.area == "harness/pipeline"
    assert config.location.package == "harness.pipeline"


def test_file_values_are_read(planted: PlantedProject) -> None:
    reference = planted.snapshot({"engine.py": '"""Frozen."""\n'})
    planted.configure(
        commands=["make test"],
        min_module_lines=40,
        duplication_exempt=[reference],
        reference=reference,
        reference_importers=[f"{planted.package}.core.__init__", f"{planted.package}.core.api"],
        note="docs/note.md",
    )
    planted.commit()

    config = load_config(planted.root)

    assert config.commands == ("make test",)
    assert config.min_module_lines == 40
    assert config.duplication_exempt == (reference,)
    assert config.reference == reference
    assert config.reference_package == reference.replace("/", ".")
    assert config.reference_importers == (f"{planted.package}.core", f"{planted.package}.core.api")
    assert config.note == "docs/note.md"


def test_command_line_overrides_win_over_the_file(planted: PlantedProject) -> None:
    planted.write(f"{planted.package}/other/__init__.py", "")
    first = planted.commit("first")
    planted.configure(base="HEAD", note="from-file.md")
    second = planted.commit("second")
    assert load_config(planted.root).base_commit == second

    config = load_config(planted.root, area=f"{planted.package}/other", base=first, note="cli.md")

    assert config.area == f"{planted.package}/other"
    assert (config.base, config.base_commit) == (first, first)
    assert config.note == "cli.md"


def test_an_unknown_key_is_rejected(planted: PlantedProject) -> None:
    planted.configure(colour="blue")

    assert config_error(planted) == (
        f"{planted.root / 'pyproject.toml'}: tool.harness.gate.colour: unknown key; known keys are "
        "area, base, commands, duplication_exempt, min_module_lines, note, reference, "
        "reference_importers"
    )


@pytest.mark.parametrize(
    ("key", "value", "where", "problem"),
    [
        ("min_module_lines", "x", "min_module_lines", 'expected a positive integer, got "x"'),
        ("min_module_lines", 0, "min_module_lines", "expected a positive integer, got 0"),
        ("min_module_lines", True, "min_module_lines", "expected a positive integer, got true"),
        ("commands", "pytest", "commands", 'expected a list of strings, got "pytest"'),
        ("area", 3, "area", "expected a non-empty string, got 3"),
        ("note", "", "note", 'expected a non-empty string, got ""'),
        (
            "reference_importers",
            [1],
            "reference_importers[0]",
            "expected a non-empty string, got 1",
        ),
        (
            "reference_importers",
            ["pkg.core", "pkg/core.py"],
            "reference_importers[1]",
            'expected a dotted module name, got "pkg/core.py"',
        ),
    ],
)
def test_a_wrong_type_is_rejected_with_the_key_path(
    planted: PlantedProject, key: str, value: object, where: str, problem: str
) -> None:
    planted.configure(**{key: value})

    assert config_error(planted) == (
        f"{planted.root / 'pyproject.toml'}: tool.harness.gate.{where}: {problem}"
    )


def test_a_bad_list_item_is_named_by_its_index(planted: PlantedProject) -> None:
    planted.configure(commands=["pytest", 7])

    assert config_error(planted).endswith(
        "tool.harness.gate.commands[1]: expected a non-empty string, got 7"
    )


def test_a_base_git_cannot_resolve_is_rejected(planted: PlantedProject) -> None:
    planted.configure(base="no-such-tag")
    planted.commit()
    root = planted.root

    assert config_error(planted) == (
        f"{planted.root / 'pyproject.toml'}: tool.harness.gate.base: "
        f'git cannot resolve "no-such-tag" to a commit in {root}'
    )
    assert config_error(planted, base="v0") == (
        f'command line: --base: git cannot resolve "v0" to a commit in {root}'
    )


def test_no_base_without_a_commit_is_rejected(planted: PlantedProject) -> None:
    planted.configure()

    assert config_error(planted) == (
        f"{planted.root / 'pyproject.toml'}: tool.harness.gate.base: not set, and "
        f"{planted.root} is not a git repository with a commit to default to; "
        "commit first or set base"
    )


def test_an_area_that_is_not_a_package_is_rejected(planted: PlantedProject) -> None:
    planted.write(f"{planted.package}/loose/module.py", "")
    planted.configure(area=f"{planted.package}/loose")

    assert config_error(planted) == (
        f"{planted.root / 'pyproject.toml'}: tool.harness.gate.area: "
        f'"{planted.package}/loose" is not a package directory '
        f"(no {planted.package}/loose/__init__.py under {planted.root})"
    )
    assert config_error(planted, area="..").startswith(
        'command line: --area: ".." is not a directory inside the project root'
    )


@pytest.mark.parametrize(
    ("values", "key", "problem"),
    [
        (
            {"reference": "SNAP", "reference_sha256": "0" * 64},
            "reference_sha256",
            "replaced by the snapshot's MANIFEST.json, which pins every file; remove the key",
        ),
        (
            {"reference": "notes.txt"},
            "reference",
            '"notes.txt" is not a package directory importable from ROOT',
        ),
        (
            {"reference": "SNAP/engine.py"},
            "reference",
            '"SNAP/engine.py" is not a package directory importable from ROOT',
        ),
    ],
)
def test_a_reference_must_be_a_snapshot_package_without_a_digest(
    planted: PlantedProject, values: dict[str, str], key: str, problem: str
) -> None:
    snapshot = planted.snapshot({"engine.py": '"""Frozen."""\n'})
    planted.configure(**{name: value.replace("SNAP", snapshot) for name, value in values.items()})

    assert config_error(planted) == (
        f"{planted.root / 'pyproject.toml'}: tool.harness.gate.{key}: "
        + problem.replace("ROOT", str(planted.root)).replace("SNAP", snapshot)
    )


def test_invalid_toml_and_a_non_table_are_rejected(planted: PlantedProject) -> None:
    planted.write("pyproject.toml", "[tool.harness]\ngate = 3\n")
    assert config_error(planted) == (
        f"{planted.root / 'pyproject.toml'}: tool.harness.gate: expected a table, got 3"
    )

    planted.write("pyproject.toml", "[tool.harness.gate\n")
    assert config_error(planted).startswith(f"{planted.root / 'pyproject.toml'}: not valid TOML: ")
