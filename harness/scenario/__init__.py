"""Scenario files: pipeline runs described as data, read once into frozen values."""

from __future__ import annotations

from harness.scenario.loader import (
    discover_scenarios,
    load_scenario,
    parse_pipeline,
    parse_scenario,
)
from harness.scenario.model import (
    DEFAULT_DEADLINE_MS,
    CommandSpec,
    DescriptorSpec,
    JSONValue,
    Scenario,
    StageSpec,
    ToolSpec,
    Transform,
)
from harness.scenario.writer import dump_scenario, scenario_text

__all__ = [
    "DEFAULT_DEADLINE_MS",
    "CommandSpec",
    "DescriptorSpec",
    "JSONValue",
    "Scenario",
    "StageSpec",
    "ToolSpec",
    "Transform",
    "discover_scenarios",
    "dump_scenario",
    "load_scenario",
    "parse_pipeline",
    "parse_scenario",
    "scenario_text",
]
