"""A JUnit XML report of a ``harness check``, for CI servers that show test results.

One ``<testcase>`` per scenario file (``classname`` the folder, ``name`` the
scenario, ``file`` the path), inside one ``<testsuite name="harness check">``.
A mismatch, an unpinned scenario, a run that did not finish, a
nondeterministic or crashed implementation is a ``<failure>`` whose
``type`` is the status and whose text is the report block the terminal shows;
a file that cannot be read is an ``<error>``. This is the shape pytest's
``--junit-xml`` writes (the "xunit2" family), built with
:mod:`xml.etree.ElementTree`, which escapes text and attributes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import final

from harness.baselines import write_atomic
from harness.check import ScenarioResult
from harness.report.text import describe_result, first_problem

__all__ = ["TimedResult", "junit_xml", "write_junit_xml"]

SUITE_NAME = "harness check"


@final
@dataclass(frozen=True, slots=True)
class TimedResult:
    """One scenario's result and the wall time its check took, in seconds."""

    result: ScenarioResult
    seconds: float


def _testcase(timed: TimedResult, candidate: str) -> ET.Element:
    result = timed.result
    folder = Path(result.path).parent.as_posix()
    case = ET.Element(
        "testcase",
        {"classname": folder if folder != "." else "", "name": result.name, "file": result.path,
         "time": f"{timed.seconds:.3f}"},
    )  # fmt: skip
    if result.passed:
        return case
    kind = "error" if result.status == "invalid" else "failure"
    first = first_problem(result, candidate_name=candidate)
    problem = ET.SubElement(case, kind, {"type": result.status, "message": first})
    problem.text = describe_result(result, candidate_name=candidate)
    return case


def junit_xml(results: Sequence[TimedResult], *, candidate: str) -> str:
    """The JUnit XML document of a check of ``candidate``, as text with an XML declaration."""
    failures = sum(not t.result.passed and t.result.status != "invalid" for t in results)
    errors = sum(t.result.status == "invalid" for t in results)
    suites = ET.Element("testsuites")
    suite = ET.SubElement(
        suites,
        "testsuite",
        {"name": SUITE_NAME, "tests": str(len(results)), "failures": str(failures), "errors": str(errors),
         "skipped": "0", "time": f"{sum(t.seconds for t in results):.3f}"},
    )  # fmt: skip
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", {"name": "candidate", "value": candidate})
    suite.extend(_testcase(timed, candidate) for timed in results)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def write_junit_xml(path: Path, results: Sequence[TimedResult], *, candidate: str) -> None:
    """Write the report to ``path`` atomically (check the path first with ``check_output_path``)."""
    write_atomic(path, junit_xml(results, candidate=candidate))
