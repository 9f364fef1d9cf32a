"""harness: characterization tests and a refactor gate for a concurrent pipeline executor.

The package root re-exports nothing but the version on purpose: importing
``harness.pipeline`` (the system under test) must not load the harness around
it. Import from the modules: ``harness.observation``, ``harness.check``,
``harness.testing``, ``harness.strategies``, ``harness.scenario``.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
