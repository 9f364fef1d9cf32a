"""Shared fixtures of the harness's own suite: scenario files written on the fly."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def write_scenario(tmp_path: Path):
    """Write a scenario file into a fresh folder and return its path: ``write_scenario("name", toml_text)``."""
    folder = tmp_path / "scenarios"
    folder.mkdir()

    def write(name: str, text: str, suffix: str = ".toml") -> Path:
        path = folder / f"{name}{suffix}"
        path.write_text(text, encoding="utf-8")
        return path

    return write
