"""Planted copies of the project: ``harness/`` and some corpus scenarios under ``tmp_path``, run as a subprocess.

The tests that show a check catching a realistic mistake plant it in such a
copy (the committed tree is never touched) and run ``python -m harness`` there
with the copy first on ``PYTHONPATH``, so the copy's code is the one imported.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def copy_project(destination: Path, scenarios: list[str], *, folder: str = "baselines", baselines: bool = True) -> Path:
    """Copy ``harness/`` and the named corpus scenarios (with their baselines unless ``baselines`` is false) into ``folder``."""
    shutil.copytree(ROOT / "harness", destination / "harness", ignore=shutil.ignore_patterns("__pycache__"))
    (destination / folder).mkdir()
    suffixes = (".toml", ".baseline.json") if baselines else (".toml",)
    for name in scenarios:
        for suffix in suffixes:
            shutil.copy2(ROOT / "baselines" / f"{name}{suffix}", destination / folder / f"{name}{suffix}")
    return destination


def plant(path: Path, original: str, planted: str) -> None:
    """Replace ``original`` (which must occur exactly once) with ``planted`` in the file at ``path``."""
    text = path.read_text(encoding="utf-8")
    assert text.count(original) == 1, f"{path} no longer holds the text the mistake replaces: {original!r}"
    path.write_text(text.replace(original, planted), encoding="utf-8")


def harness_in(copy: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """``python -m harness ARGUMENTS`` in ``copy``, importing the copy's code first, free of the caller's CI and limit."""
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(copy), os.environ.get("PYTHONPATH", "")]),
        "NO_COLOR": "1",
    }
    environment.pop("CI", None)
    environment.pop("PIPELINE_PARALLEL_LIMIT", None)
    return subprocess.run(
        [sys.executable, "-m", "harness", *arguments],
        cwd=copy,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
