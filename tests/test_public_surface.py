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


def test_importing_the_frozen_reference_loads_no_other_harness_module() -> None:
    """The snapshot is self-contained: importing it loads neither the area it was taken from nor the harness."""
    probe = (
        "import sys, harness.reference; "
        "print(sorted(m for m in sys.modules if m.startswith('harness') and not m.startswith('harness.reference')))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['harness']"


def test_the_frozen_reference_exposes_the_area_api_and_its_reference_executor() -> None:
    """``harness.reference`` re-exports the area barrel's names, each its own copy, plus ``ReferenceExecutor``."""
    import harness.pipeline
    import harness.reference

    assert harness.reference.__all__ == sorted([*harness.pipeline.__all__, "ReferenceExecutor"])
    assert harness.reference.ReferenceExecutor.__module__ == "harness.reference.reference"
    for name in harness.pipeline.__all__:
        copied = getattr(harness.reference, name)
        if isinstance(copied, type) or callable(copied):
            assert copied is not getattr(harness.pipeline, name), name
            assert copied.__module__.startswith("harness.reference."), name


def test_the_report_package_exports_what_the_harness_shows() -> None:
    import harness.report

    assert harness.report.__all__ == [
        "CheckProgress", "CheckRun", "TimedResult", "describe_result", "first_divergence", "format_grouped",
        "html_report", "junit_xml", "progress_for", "render_divergence", "render_svg", "render_svg_pair",
        "render_timeline", "summary_line", "write_html_report", "write_junit_xml",
    ]  # fmt: skip


def test_only_the_report_package_renders_and_nothing_that_produces_results_imports_it() -> None:
    """The check, comparison, observation and scenario modules load without ``harness.report``.

    Planted mistake (tried in a temporary copy): ``describe_result`` put back
    into ``harness/check.py`` with its import of ``render_divergence`` fails this.
    """
    probe = (
        "import sys, harness.check, harness.compare, harness.observation, harness.scenario, harness.baselines; "
        "print(sorted(m for m in sys.modules if m.startswith('harness.report')))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
