"""Timeline pictures: exact text on fixed scenarios, the divergence view, and a well-formed SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from harness.candidates import resolve_implementation
from harness.observation import observe
from harness.scenario.loader import load_scenario
from harness.report.svg import axis_ticks, render_svg
from harness.report.timeline import first_divergence, render_divergence, render_timeline, split_blocks

CORPUS = Path(__file__).resolve().parents[2] / "baselines"
CAPPED = load_scenario(CORPUS / "order-reverse-durations-capped.toml")
PACED = load_scenario(CORPUS / "pace-cap-two.toml")


def timeline_of(scenario, implementation: str = "reference"):
    return observe(scenario, resolve_implementation(implementation))["timeline"]


def test_the_cap_holding_branches_back_is_drawn_and_named() -> None:
    """Cap 2 over 40/30/20/10 ms: c waits for b's worker, d for a's; the notes say the cap held them."""
    assert render_timeline(timeline_of(CAPPED), width=20) == "\n".join([
        "  stage 1 (parallel) 0-50 ms",
        "    b0   a |████████████████    | 0-40 ms value",
        "    b1   b |████████████        | 0-30 ms value",
        "    b2   c |············████████| 30-50 ms value  held by cap until 30 ms",
        "    b3   d |················████| 40-50 ms value  held by cap until 40 ms",
        "  stage 2 (sequential) combine 50-50 ms value",
    ])


def test_pacing_delays_are_drawn_and_named() -> None:
    """Pacing of 5 ms with cap 2 over instant branches: starts at 0, 5, 10, 15 ms, each paced."""
    assert render_timeline(timeline_of(PACED), width=15) == "\n".join([
        "  stage 1 (parallel) 0-15 ms",
        "    b0   a |█              | 0-0 ms value",
        "    b1   b |·····█         | 5-5 ms value  paced to 5 ms",
        "    b2   c |··········█    | 10-10 ms value  paced to 10 ms",
        "    b3   d |··············█| 15-15 ms value  paced to 15 ms",
    ])


def test_the_divergence_view_marks_the_first_differing_call_in_both_timelines() -> None:
    """A candidate that ignores the cap parts from the reference at branch 2; both are drawn on one scale.

    Each stage once had its own scale, so the candidate's 40 ms filled ten
    cells where the reference's filled eight.
    """
    reference = timeline_of(CAPPED)
    candidate = timeline_of(CAPPED, "faulty_executors:IgnoresCapExecutor")
    assert first_divergence(reference, candidate) == 2
    assert render_divergence(reference, candidate, labels=("reference", "ignores-cap"), width=10) == "\n".join([
        "first divergence at timeline[2]: reference stage 1 branch 2 c 30-50 ms value; "
        "ignores-cap stage 1 branch 2 c 0-20 ms value",
        "reference:",
        "  stage 1 (parallel) 0-50 ms",
        "    b0   a |████████  | 0-40 ms value",
        "    b1   b |██████    | 0-30 ms value",
        ">>  b2   c |······████| 30-50 ms value  held by cap until 30 ms",
        "    b3   d |········██| 40-50 ms value  held by cap until 40 ms",
        "  stage 2 (sequential) combine 50-50 ms value",
        "ignores-cap:",
        "  stage 1 (parallel) 0-40 ms",
        "    b0   a |████████  | 0-40 ms value",
        "    b1   b |██████    | 0-30 ms value",
        ">>  b2   c |████      | 0-20 ms value",
        "    b3   d |██        | 0-10 ms value",
        "  stage 2 (sequential) combine 40-40 ms value",
    ])


def test_agreeing_timelines_say_so() -> None:
    """Two equal timelines have no divergence, and are not drawn twice."""
    timeline = timeline_of(CAPPED)
    assert first_divergence(timeline, list(timeline)) is None
    assert render_divergence(timeline, timeline) == "timelines agree"


def test_a_retried_group_is_a_new_block() -> None:
    """A group that runs again after a retry starts a new stage execution in the picture."""
    timeline = [
        {"stage": 1, "branch": 0, "command": "a", "start_ms": 0, "end_ms": 5, "result": "value"},
        {"stage": 1, "branch": 1, "command": "b", "start_ms": 0, "end_ms": 5, "result": "value"},
        {"stage": 2, "branch": None, "command": "check", "start_ms": 5, "end_ms": 5, "result": "retry"},
        {"stage": 1, "branch": 0, "command": "a", "start_ms": 5, "end_ms": 10, "result": "value"},
        {"stage": 1, "branch": 1, "command": "b", "start_ms": 5, "end_ms": 10, "result": "value"},
    ]
    assert [(block.stage, block.first, len(block.calls)) for block in split_blocks(timeline)] == [
        (1, 0, 2), (2, 2, 1), (1, 3, 2)
    ]


def test_a_hanging_call_is_drawn_to_the_end_of_its_stage() -> None:
    """A call that never ended runs to the right edge and says so."""
    timeline = [
        {"stage": 1, "branch": 0, "command": "quick", "start_ms": 0, "end_ms": 10, "result": "value"},
        {"stage": 1, "branch": 1, "command": "stuck", "start_ms": 0, "end_ms": None, "result": None},
    ]
    assert render_timeline(timeline, width=4).splitlines()[2] == "    b1   stuck |████| 0-… ms running"


def test_the_svg_is_well_formed_and_draws_every_call(tmp_path: Path) -> None:
    """The SVG parses as XML, has one bar per call plus the wait bars, and outlines the divergence."""
    reference = timeline_of(CAPPED)
    candidate = timeline_of(CAPPED, "faulty_executors:IgnoresCapExecutor")
    document = render_svg([reference, candidate], labels=("reference", "candidate <faulty>"), title="a & b")
    root = ElementTree.fromstring(document.encode("utf-8"))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    rects = [rect for rect in root.findall("{http://www.w3.org/2000/svg}rect") if rect.get("class") != "swatch"]
    waited = [rect for rect in rects if rect.get("fill") == "#d5d8dc"]
    outlined = [rect for rect in rects if rect.get("stroke") == "#000"]
    diamonds = root.findall("{http://www.w3.org/2000/svg}polygon")  # the combine stage takes no time
    assert len(rects) - len(waited) + len(diamonds) == len(reference) + len(candidate)
    assert len(diamonds) == 2
    assert len(waited) == 2  # c and d waited on the reference; nobody waited on the candidate
    assert len(outlined) == 2  # timeline[2] in each picture
    texts = [text.text for text in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "candidate <faulty>" in texts and "a & b" in texts


SVG = "{http://www.w3.org/2000/svg}"


def test_the_svg_has_a_legend_naming_every_colour() -> None:
    """A swatch per colour in use (waited, returned, raised, retry, running) with its meaning beside it."""
    root = ElementTree.fromstring(render_svg([timeline_of(CAPPED)]).encode("utf-8"))
    swatches = {rect.get("fill") for rect in root.iter(f"{SVG}rect") if rect.get("class") == "swatch"}
    assert swatches == {"#d5d8dc", "#3a7d44", "#c0392b", "#d68910", "#2e86c1"}
    legend = [text.text for text in root.iter(f"{SVG}text") if text.get("class") == "legend"]
    assert legend[:2] == ["waited (cap or pacing)", "returned"]
    assert "◆ took no time" in legend


@pytest.mark.parametrize(
    ("last", "ticks"),
    [(0, [0, 1]), (9, [0, 2, 4, 6, 8, 10]), (37, [0, 5, 10, 15, 20, 25, 30, 35, 40]), (1234, list(range(0, 1401, 200)))],
)
def test_ticks_fall_on_even_steps_past_the_last_call(last: int, ticks: list[int]) -> None:
    """1, 2 or 5 times a power of ten, from 0 to the first step at or past the last instant."""
    assert axis_ticks(last) == ticks


def test_the_svg_axis_is_labelled_with_the_even_ticks() -> None:
    """The corpus's capped scenario ends at 50 ms: labels every 10 ms from 0 to 50."""
    root = ElementTree.fromstring(render_svg([timeline_of(CAPPED)]).encode("utf-8"))
    labels = [text.text for text in root.iter(f"{SVG}text") if text.get("class") == "tick"]
    assert labels == ["0 ms", "10 ms", "20 ms", "30 ms", "40 ms", "50 ms"]


def test_a_call_that_takes_no_time_is_a_visible_diamond() -> None:
    """A zero-length call is drawn as a diamond as tall as a bar, not as a hairline rectangle."""
    timeline = [
        {"stage": 1, "branch": 0, "command": "instant", "start_ms": 10, "end_ms": 10, "result": "value"},
        {"stage": 1, "branch": 1, "command": "slow", "start_ms": 0, "end_ms": 20, "result": "value"},
    ]
    root = ElementTree.fromstring(render_svg([timeline]).encode("utf-8"))
    (diamond,) = root.iter(f"{SVG}polygon")
    xs = [float(point.split(",")[0]) for point in diamond.get("points", "").split()]
    assert max(xs) - min(xs) >= 10
    assert diamond.find(f"{SVG}title").text == "10-10 ms value"


PACED_THREE = """
input = "x"
pipeline = "a || b || c"
delay_ms = 50
[commands.a]
duration_ms = 10
[commands.b]
duration_ms = 10
[commands.c]
duration_ms = 10
"""


def test_a_paced_stage_spans_its_event_duration_and_draws_the_tail(tmp_path: Path) -> None:
    """The stage ends at 250 ms (three workers' last acquisitions pass the gate, R3.5), not at its last call's 110 ms.

    The header once said 0-110 ms while the stage's event said 250 ms, with nothing drawn between.
    """
    path = tmp_path / "paced.toml"
    path.write_text(PACED_THREE, encoding="utf-8")
    observation = observe(load_scenario(path), resolve_implementation("reference"))
    assert [event["duration_ms"] for event in observation["events"] if event.get("stage") == 1 and "duration_ms" in event] == [250]
    lines = render_timeline(observation["timeline"], width=10, events=observation["events"]).splitlines()
    assert lines[0] == "  stage 1 (parallel) 0-250 ms"
    assert lines[-1] == (
        "         tail |····░░░░░░| 110-250 ms pacing: each worker's last, empty acquisition waits for the gate"
    )
    assert lines[1] == "    b0   a    |█         | 0-10 ms value"
