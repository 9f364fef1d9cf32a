"""What the harness shows: text and SVG timelines, the progress bar, JUnit XML.

Every other part of the harness hands its results to this package to be
rendered; nothing here is imported by the code that produces those results.
"""

from __future__ import annotations

__all__: list[str] = []
