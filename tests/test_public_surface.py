"""The public surface of the harness's packages is pinned, and the executor stays independent of the harness."""

from __future__ import annotations

import subprocess
import sys

import harness


def test_the_package_root_exports_only_the_version() -> None:
    """``import harness.pipeline`` must not drag the harness in, so the root re-exports nothing else."""
    assert harness.__all__ == ["__version__"]


def test_importing_the_executor_loads_no_harness_module() -> None:
    """The executor never imports the harness around it (layout shows the architecture)."""
    probe = (
        "import sys, harness.pipeline; "
        "print(sorted(m for m in sys.modules if m.startswith('harness') and not m.startswith('harness.pipeline')))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['harness']"
