"""Fixtures of the gate tests.

Each planted top-level package is named after the test's own ``tmp_path``, so
packages of different tests never share a name in ``sys.modules`` or on
``sys.path``, even under ``pytest -n auto``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gate_planting import PlantedProject


@pytest.fixture
def planted(tmp_path: Path) -> PlantedProject:
    package = "planted_" + re.sub(r"\W", "_", tmp_path.name)
    root = tmp_path / "project"
    root.mkdir()
    return PlantedProject(root.resolve(), package)
