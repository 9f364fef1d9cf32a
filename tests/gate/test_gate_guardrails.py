"""check_area: every rule over one area, findings in place order."""

from __future__ import annotations


from harness.gate.config import load_config
from harness.gate.guardrails import check_area, findings_by_rule
from harness.gate.types import Finding, Rule

from gate_planting import PlantedProject


def test_findings_of_every_rule_come_sorted_by_place(planted: PlantedProject) -> None:
    core = f"{planted.package}.core"
    planted.module("b", f'"""B."""\nfrom {core} import a\n\n\nclass Shared:\n    pass\n')
    shared = "class Shared:\n    size = len(b.__name__)\n"
    planted.module("a", f'"""A."""\nfrom {core} import b\n\n\n{shared}', lines=10)
    planted.configure()
    planted.commit()

    report = check_area(load_config(planted.root))

    assert [(finding.path, finding.line, finding.rule) for finding in report.findings] == [
        (f"{planted.area}/a.py", 1, "small-module"),
        (f"{planted.area}/b.py", 2, "import-cycle"),
        (f"{planted.area}/b.py", 5, "duplicate-type"),
    ]
    assert [module.path for module in report.modules] == [
        f"{planted.area}/__init__.py",
        f"{planted.area}/a.py",
        f"{planted.area}/b.py",
    ]
    assert report.imports_checked and report.reference is None


def test_a_module_that_does_not_parse_is_reported_once_and_the_rest_still_checked(
    planted: PlantedProject,
) -> None:
    planted.write(f"{planted.area}/broken.py", '"""Broken."""\n\ndef f(:\n')
    planted.module("tiny", '"""Tiny."""\nLIMIT = 3\n', lines=3)
    planted.configure()
    planted.commit()

    report = check_area(load_config(planted.root))

    assert [(finding.path, finding.line, finding.rule) for finding in report.findings] == [
        (f"{planted.area}/broken.py", 3, "analysis"),
        (f"{planted.area}/tiny.py", 1, "small-module"),
    ]
    assert not report.imports_checked


def test_the_frozen_reference_is_held_only_to_its_own_rule(planted: PlantedProject) -> None:
    """A snapshot inside the area, small and using a lambda service, breaks only frozen-reference (an area import)."""
    core = f"{planted.package}.core"
    snapshot = planted.snapshot(
        {"reference.py": f"from {core} import engine\n\n\ndef build():\n    return Runner(lambda: 0)\n"},
        name="core/frozen",
    )
    planted.module("engine", '"""Engine."""\n')
    planted.configure(reference=f"./{snapshot}")
    planted.commit()

    report = check_area(load_config(planted.root))

    assert [(finding.path, finding.rule) for finding in report.findings] == [
        (f"{snapshot}/reference.py", "frozen-reference"),
    ]
    assert [item.path for item in report.allowed_small] == [f"{planted.area}/__init__.py"]


def test_findings_are_grouped_under_every_rule_in_rule_order() -> None:
    cycle = Finding("import-cycle", "b.py", 1, "m")
    small = Finding("small-module", "a.py", 1, "m")

    grouped = findings_by_rule([cycle, small])

    assert list(grouped) == list(Rule)
    assert grouped[Rule.SMALL_MODULE] == [small]
    assert grouped[Rule.IMPORT_CYCLE] == [cycle]
    assert grouped[Rule.DUPLICATE_TYPE] == []
