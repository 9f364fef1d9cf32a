"""The public surface of harness.gate, pinned."""

from __future__ import annotations

import ast
from pathlib import Path

import harness.gate


def test_the_public_surface_is_pinned() -> None:
    assert harness.gate.__all__ == [
        "EXIT_FAIL",
        "EXIT_PASS",
        "AllowedSmallModule",
        "AreaModule",
        "CommandOutcome",
        "Evidence",
        "Finding",
        "GateConfig",
        "GuardrailReport",
        "PackageLocation",
        "PhaseHeading",
        "ReferenceReport",
        "Rule",
        "TouchedModule",
        "check_area",
        "load_config",
        "parse_counts",
        "render_note",
        "run_command",
        "run_commands",
        "run_gate",
        "write_note",
    ]
    assert all(hasattr(harness.gate, name) for name in harness.gate.__all__)
    assert [rule.value for rule in harness.gate.Rule] == [
        "analysis",
        "small-module",
        "callback-injection",
        "duplicate-logic",
        "duplicate-type",
        "import-cycle",
        "frozen-reference",
    ]


def test_the_package_init_only_re_exports() -> None:
    source = Path(harness.gate.__file__).read_text(encoding="utf-8")
    body = ast.parse(source).body[1:]  # after the docstring

    assert all(
        isinstance(node, ast.ImportFrom)
        or (isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "__all__")
        for node in body
    )
