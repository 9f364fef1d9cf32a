"""The HTML report of a ``harness check``: one self-contained page to open from a CI artifact.

The page fetches nothing: its style and script are inlined, the timelines
are inline SVG, and a Content-Security-Policy of ``default-src 'none'``
(inline style and script allowed) keeps it so even if a scenario's text
held a URL. It opens with a summary (counts per status, the reference and
candidate, the revision, the duration), then the failing scenarios, each
open: its description, its differences grouped so that one change appears
once with the other paths it touches under it
(:func:`~harness.compare.group_differences`), the reference and candidate
timelines side by side on one axis with the first divergence outlined, and
the command that reproduces it. Crashed and invalid scenarios show their
one-line cause. The passing scenarios follow, collapsed.

A status filter and a search box on names hide scenarios client-side. Both
live in the URL's fragment (``report.html#status=mismatch&q=cap``), so a
filtered view can be linked to, and a test can drive the filter by loading
a URL. Built with the standard library's escaping, as the SVG is: a
templating engine would add a dependency for one page.
"""

from __future__ import annotations

import shlex
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Final, final

from harness.baselines import write_atomic
from harness.check import CheckStatus, ScenarioResult
from harness.compare import Difference, group_differences
from harness.errors import InvalidInputError
from harness.report.junit import TimedResult
from harness.report.svg import render_svg_pair
from harness.report.timeline import render_divergence
from harness.scenario.loader import load_scenario

__all__ = ["CONTENT_SECURITY_POLICY", "CheckRun", "html_report", "write_html_report"]

CONTENT_SECURITY_POLICY: Final = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"
STATUS_ORDER: Final[tuple[CheckStatus, ...]] = (
    "mismatch", "crashed", "unfinished", "nondeterministic", "unpinned", "invalid", "match",
)  # fmt: skip

_STYLE: Final = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1500px;padding:16px 24px;color:#222}
h1{font-size:20px;margin:0 0 8px}code,pre{font:12px/1.4 monospace}
.summary{display:flex;flex-wrap:wrap;gap:6px 18px;margin:0 0 12px}.summary dt{color:#555}.summary dd{margin:0 0 0 4px}
.counts span{display:inline-block;padding:2px 8px;margin-right:6px;border-radius:10px;background:#eee}
.st-match{color:#1e6b2e}.st-mismatch,.st-crashed,.st-invalid{color:#b42318}
.st-unfinished,.st-nondeterministic,.st-unpinned{color:#9a5b00}
.controls{position:sticky;top:0;background:#fff;padding:8px 0;border-bottom:1px solid #ddd;display:flex;gap:12px}
.controls input{flex:1;max-width:360px}
.scenario{border:1px solid #ddd;border-radius:6px;margin:10px 0;padding:4px 12px}
.scenario>summary{cursor:pointer;font-weight:600;padding:4px 0}.scenario>summary .status{display:inline-block;width:9em}
.changes{margin:4px 0 8px;padding-left:20px}.also{color:#555;margin:0;padding-left:20px;list-style:circle}
.timelines{display:grid;grid-template-columns:1fr 1fr;gap:12px}.timelines svg{width:100%;height:auto}
.repro{background:#f6f6f6;padding:6px 8px;border-radius:4px;overflow-x:auto}
.cause{font-family:monospace;white-space:pre-wrap}.description{color:#444;margin:4px 0}
.divergence{font-family:monospace;font-size:12px;color:#444}
"""

# The filter: status and name query from the fragment, applied to every scenario.
_SCRIPT: Final = """
(function () {
  var select = document.getElementById("status-filter"), search = document.getElementById("search");
  var scenarios = Array.prototype.slice.call(document.querySelectorAll(".scenario"));
  var shown = document.getElementById("shown");
  function read() {
    var params = new URLSearchParams(location.hash.slice(1));
    select.value = params.get("status") || "all";
    if (!select.value) select.value = "all";  // a status this page does not hold
    search.value = params.get("q") || "";
  }
  function apply() {
    var status = select.value, query = search.value.trim().toLowerCase(), count = 0;
    scenarios.forEach(function (element) {
      var ok = (status === "all" || (status === "failing" ? element.dataset.status !== "match"
                : element.dataset.status === status)) && element.dataset.name.toLowerCase().indexOf(query) >= 0;
      element.hidden = !ok;
      if (ok) count += 1;
    });
    shown.textContent = count + " of " + scenarios.length + " shown";
  }
  function write() {
    var params = new URLSearchParams();
    if (select.value !== "all") params.set("status", select.value);
    if (search.value) params.set("q", search.value);
    history.replaceState(null, "", "#" + params.toString());
    apply();
  }
  select.addEventListener("change", write);
  search.addEventListener("input", write);
  window.addEventListener("hashchange", function () { read(); apply(); });
  read();
  apply();
  // Reading a layout property lays the whole page out now: the time since navigation began,
  // recorded here, covers parsing, the filter and layout (what a benchmark reads back).
  void document.body.offsetHeight;
  document.body.dataset.renderedMs = performance.now().toFixed(1);
})();
"""


@final
@dataclass(frozen=True, slots=True)
class CheckRun:
    """What the page says about the run as a whole: who was compared, at which revision, and how to rerun."""

    candidate: str
    reference: str
    revision: str | None
    seconds: float
    options: tuple[str, ...] = ()
    """The command-line options that chose the candidate and reference, repeated in each repro command."""


def _status_label(status: str) -> str:
    return f'<span class="status st-{status}">{status.upper()}</span>'


def _summary(results: Sequence[ScenarioResult], run: CheckRun) -> str:
    counts = Counter(result.status for result in results)
    chips = "".join(
        f'<span class="st-{status}">{counts[status]} {status}</span>' for status in STATUS_ORDER if counts[status]
    )
    facts = (
        ("scenarios", str(len(results))),
        ("reference", run.reference),
        ("candidate", run.candidate),
        ("revision", run.revision or "unknown"),
        ("duration", f"{run.seconds:.2f} s"),
    )
    rows = "".join(f"<div><dt>{name}</dt><dd><code>{escape(value)}</code></dd></div>" for name, value in facts)
    return f'<p class="counts">{chips}</p><dl class="summary">{rows}</dl>'


def _controls(results: Sequence[ScenarioResult]) -> str:
    present = [status for status in STATUS_ORDER if any(result.status == status for result in results)]
    options = "".join(f'<option value="{status}">{status}</option>' for status in present)
    return (
        '<div class="controls"><label>status <select id="status-filter"><option value="all">all</option>'
        f'<option value="failing">failing</option>{options}</select></label>'
        '<input id="search" type="search" placeholder="search scenario names" aria-label="search scenario names">'
        '<span id="shown"></span></div>'
    )


def _changes(differences: Sequence[Difference], heading: str) -> str:
    items: list[str] = []
    for group in group_differences(differences):
        also = "".join(f"<li><code>{escape(path)}</code></li>" for path in group.also)
        items.append(
            f'<li class="change"><code>{escape(str(group.difference))}</code>'
            + (f'<ul class="also">{also}</ul>' if also else "")
            + "</li>"
        )
    return f"<p>{escape(heading)}</p><ul class=\"changes\">{''.join(items)}</ul>"


def _timelines(result: ScenarioResult, candidate: str) -> str:
    if result.reference is None or result.candidate is None:
        return ""
    left, right = result.reference["timeline"], result.candidate["timeline"]
    headline = render_divergence(left, right, labels=("reference", candidate)).splitlines()[0]
    pictures = render_svg_pair(left, right, labels=("reference", candidate))
    # The XML declaration is for a standalone file; inline SVG in HTML goes without.
    inline = "".join(f"<div>{svg.split(chr(10), 1)[1]}</div>" for svg in pictures)
    return f'<p class="divergence">{escape(headline)}</p><div class="timelines">{inline}</div>'


def _description(path: str) -> str:
    try:
        text = load_scenario(path).description
    except InvalidInputError:
        return ""
    return f'<p class="description">{escape(text)}</p>' if text else ""


def _failure_body(result: ScenarioResult, run: CheckRun) -> str:
    parts = [_description(result.path)]
    if result.message:
        cause = result.message if result.status not in ("crashed", "invalid") else result.message.splitlines()[0]
        parts.append(f'<p class="cause">{escape(cause)}</p>')
    if result.candidate_differences:
        which = "the reference" if run.reference == "reference" else f"the reference {run.reference}"
        heading = f"candidate {run.candidate} differs from {which} (reference != candidate):"
        parts.append(_changes(result.candidate_differences, heading))
    if result.baseline_differences:
        parts.append(_changes(result.baseline_differences, "reference differs from the pinned baseline (baseline != reference):"))
    if result.candidate_differences:
        parts.append(_timelines(result, run.candidate))
    command = shlex.join(["harness", "check", result.path, *run.options])
    parts.append(f'<p>reproduce:</p><pre class="repro">{escape(command)}</pre>')
    return "".join(parts)


def _scenario(result: ScenarioResult, run: CheckRun) -> str:
    failing = not result.passed
    body = _failure_body(result, run) if failing else f"<p><code>{escape(result.path)}</code></p>"
    return (
        f'<details class="scenario" data-status="{result.status}" data-name="{escape(result.name)}"'
        f'{" open" if failing else ""}><summary>{_status_label(result.status)} {escape(result.name)}</summary>'
        f"{body}</details>"
    )


def html_report(results: Sequence[TimedResult], run: CheckRun) -> str:
    """The page of a check as text: summary, controls, the failing scenarios first, then the rest collapsed."""
    checked = [timed.result for timed in results]
    ordered = sorted(checked, key=lambda result: result.passed)  # stable: failures first, each in check order
    title = f"harness check: {sum(not r.passed for r in checked)} of {len(checked)} failed"
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        _summary(checked, run),
        _controls(checked),
        '<main id="scenarios">',
        *(_scenario(result, run) for result in ordered),
        "</main>",
        f"<script>{_SCRIPT}</script>",
        "</body></html>",
        "",
    ])


def write_html_report(path: Path, results: Sequence[TimedResult], run: CheckRun) -> None:
    """Write the page to ``path`` atomically (check the path first with ``check_output_path``)."""
    write_atomic(path, html_report(results, run))
