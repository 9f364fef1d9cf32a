"""Fuzzing beyond one process: a shared example database, replay, and time-budgeted fuzzing."""

from harness.fuzz.database import (
    EXAMPLE_DB_ENV,
    SHARED_DB_ENV,
    DatabaseLocation,
    GuardedDatabase,
    SelectedDatabase,
    open_database,
    parse_location,
    select_database,
)

__all__ = [
    "EXAMPLE_DB_ENV",
    "SHARED_DB_ENV",
    "DatabaseLocation",
    "GuardedDatabase",
    "SelectedDatabase",
    "open_database",
    "parse_location",
    "select_database",
]
