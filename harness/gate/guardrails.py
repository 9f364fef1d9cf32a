"""All guardrail checks of one area, run together into a :class:`GuardrailReport`.

:func:`check_area` is the whole static half of the gate: it reads the area
once, runs every rule over the same parsed modules and import graph, and
sorts the findings by place. It runs no commands and writes nothing, so it is
also the call to make when only the guardrails matter.
"""

from __future__ import annotations

from collections.abc import Iterable

from harness.gate.area import load_modules
from harness.gate.config import GateConfig
from harness.gate.duplication import check_duplicate_logic, check_duplicate_types
from harness.gate.imports import (
    build_import_graph,
    check_frozen_reference,
    check_import_cycles,
    check_phase_snapshots,
)
from harness.gate.injection import check_callback_injection
from harness.gate.small_modules import check_small_modules
from harness.gate.types import AreaModule, Finding, GuardrailReport, ReferenceReport, Rule

__all__ = ["check_area", "findings_by_rule"]


def check_area(config: GateConfig) -> GuardrailReport:
    """Run every guardrail over ``config``'s area.

    The frozen reference, when configured, is held only to its own rule (its
    manifest, and imports in neither direction between it and the area): it
    is a generated, pinned copy of old code, so the rules on how new code is
    written (module sizes, duplication) cannot ask anything of it.

    A module that does not parse is reported under ``analysis`` and left out
    of the syntax-tree rules; the import rules then cannot run at all, since
    grimp needs every file of the package to parse.
    """
    modules = load_modules(config.location)
    findings: list[Finding] = [_unparsed(module) for module in modules if module.tree is None]
    snapshot = f"{config.reference}/" if config.reference is not None else None
    written = [module for module in modules if snapshot is None or not module.path.startswith(snapshot)]
    small, allowed_small = check_small_modules(written, config.min_module_lines)
    findings += small
    findings += check_callback_injection(written)
    findings += check_duplicate_logic(written, config.duplication_exempt)
    findings += check_duplicate_types(written, config.duplication_exempt)

    reference: ReferenceReport | None = None
    graph = build_import_graph(config.location)
    if isinstance(graph, Finding):
        if not any(module.path == graph.path for module in modules if module.tree is None):
            findings.append(graph)  # a syntax error already reported stays reported once
    else:
        findings += check_import_cycles(graph, modules)
        if config.reference is not None and config.reference_package is not None:
            reference_findings, reference = check_frozen_reference(
                graph,
                written,
                location=config.location,
                reference=config.reference,
                reference_package=config.reference_package,
                allowed_importers=config.reference_importers,
            )
            findings += reference_findings
    snapshot_findings, snapshots = check_phase_snapshots(config.location, config.snapshots)
    findings += snapshot_findings
    return GuardrailReport(
        modules=modules,
        findings=tuple(sorted(findings, key=_place)),
        allowed_small=tuple(allowed_small),
        imports_checked=not isinstance(graph, Finding),
        reference=reference,
        snapshots=snapshots,
    )


def findings_by_rule(findings: Iterable[Finding]) -> dict[Rule, list[Finding]]:
    """Findings grouped under every rule, in :class:`Rule` order, empty lists included."""
    grouped: dict[Rule, list[Finding]] = {rule: [] for rule in Rule}
    for finding in findings:
        grouped[Rule(finding.rule)].append(finding)
    return grouped


def _unparsed(module: AreaModule) -> Finding:
    message = "the module does not parse, so no guardrail could inspect it"
    return Finding(Rule.ANALYSIS, module.path, module.error_line, message)


def _place(finding: Finding) -> tuple[str, int, str]:
    return (finding.path, finding.line, finding.rule)
