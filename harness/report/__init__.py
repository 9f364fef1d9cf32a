"""What the harness shows: terminal text, timelines as text and SVG, the progress bar, JUnit XML, the HTML page.

Every other part of the harness hands its results to this package to be
rendered. The arrows run one way: this package imports the check's results
(:mod:`harness.check`, :mod:`harness.compare`), and nothing that produces
results imports it.
"""

from __future__ import annotations

from harness.report.html import CheckRun, html_report, write_html_report
from harness.report.junit import TimedResult, junit_xml, write_junit_xml
from harness.report.progress import CheckProgress, progress_for
from harness.report.svg import render_svg, render_svg_pair
from harness.report.text import describe_result, format_grouped, summary_line
from harness.report.timeline import first_divergence, render_divergence, render_timeline

__all__ = [
    "CheckProgress",
    "CheckRun",
    "TimedResult",
    "describe_result",
    "first_divergence",
    "format_grouped",
    "html_report",
    "junit_xml",
    "progress_for",
    "render_divergence",
    "render_svg",
    "render_svg_pair",
    "render_timeline",
    "summary_line",
    "write_html_report",
    "write_junit_xml",
]
