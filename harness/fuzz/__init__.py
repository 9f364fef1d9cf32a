"""Fuzzing beyond one process: the example database, example counts, ``harness fuzz`` and the nightly's two ends.

Arrows run one way: the plugin and the command line import this package;
it imports neither, nor anything of the harness but its errors.
"""

from harness.fuzz.counting import STATS_ENV, ExampleCounter, ExampleCounts, read_counts
from harness.fuzz.database import (
    EXAMPLE_DB_ENV,
    SHARED_DB_ENV,
    DatabaseLocation,
    GuardedDatabase,
    SelectedDatabase,
    UnreachableDatabaseError,
    open_database,
    parse_location,
    select_database,
)
from harness.fuzz.engine import Failure, FuzzPlan, FuzzReport, failures_in_junit, run_fuzz
from harness.fuzz.nightly import ShardSummary, export_database, merge_shards
from harness.fuzz.publishing import PublishingDatabase

__all__ = [
    "EXAMPLE_DB_ENV",
    "SHARED_DB_ENV",
    "STATS_ENV",
    "DatabaseLocation",
    "ExampleCounter",
    "ExampleCounts",
    "Failure",
    "FuzzPlan",
    "FuzzReport",
    "GuardedDatabase",
    "PublishingDatabase",
    "SelectedDatabase",
    "ShardSummary",
    "UnreachableDatabaseError",
    "export_database",
    "failures_in_junit",
    "merge_shards",
    "open_database",
    "parse_location",
    "read_counts",
    "run_fuzz",
    "select_database",
]
