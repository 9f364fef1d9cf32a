"""The public surface of ``harness.fuzz`` is pinned, and its imports run one way."""

from __future__ import annotations

import subprocess
import sys

import harness.fuzz


def test_the_package_exports_exactly_these_names() -> None:
    assert harness.fuzz.__all__ == sorted(harness.fuzz.__all__, key=lambda name: (not name.isupper(), name))
    assert set(harness.fuzz.__all__) == {
        "EXAMPLE_DB_ENV", "SHARED_DB_ENV", "STATS_ENV", "DatabaseLocation", "ExampleCounter", "ExampleCounts",
        "Failure", "FuzzPlan", "FuzzReport", "GuardedDatabase", "PublishingDatabase", "SelectedDatabase",
        "ShardSummary", "UnreachableDatabaseError", "export_database", "failures_in_junit", "merge_shards", "open_database",
        "parse_location", "read_counts", "run_fuzz", "select_database",
    }  # fmt: skip
    assert all(hasattr(harness.fuzz, name) for name in harness.fuzz.__all__)


def test_importing_the_package_loads_only_the_errors_of_the_harness() -> None:
    """Neither the plugin nor the command line (which import this package) is imported back."""
    probe = (
        "import sys, harness.fuzz; "
        "print(sorted(m for m in sys.modules if m.startswith('harness') and not m.startswith('harness.fuzz')))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['harness', 'harness.errors']"
