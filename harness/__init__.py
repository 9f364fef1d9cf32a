"""harness: characterization tests and a refactor gate for a concurrent pipeline executor."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
