"""``benchmarks/run.py --write-results`` replaces the generated figures and keeps the sections measured on their own.

``benchmarks/RESULTS.md`` holds a generated table and, below a marker line,
hundreds of lines no single run produces (mutation power, fault finding over
several rounds). Shown to fail (in a temporary copy) when ``run.py`` writes
the rendered page over the file as it did before: the kept sections vanish
and the second test fails.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def modules() -> Iterator[tuple[types.ModuleType, types.ModuleType, types.ModuleType]]:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import measure
        import report
        import run

        yield report, run, measure
    finally:
        sys.path.remove(str(BENCHMARKS))


def _fake_benchmark(measure: types.ModuleType, calls: list[bool]) -> types.ModuleType:
    module = types.ModuleType("bench_fake", "A benchmark of one figure.")
    module.NAME = "1 fake"  # type: ignore[attr-defined]

    def run(quick: bool) -> list[object]:
        calls.append(quick)
        return [measure.Figure(benchmark="1 fake", name="figure", value=1.5, unit="s")]

    module.run = run  # type: ignore[attr-defined]
    return module


def test_the_committed_page_has_the_marker_once_and_sections_below_it(modules: tuple[types.ModuleType, ...]) -> None:
    report = modules[0]
    text = (BENCHMARKS / "RESULTS.md").read_text(encoding="utf-8")
    assert text.count(report.KEPT_MARKER) == 1
    generated, kept = text.split(report.KEPT_MARKER)
    assert generated.startswith("# Benchmark results\n") and "| Benchmark | Figure |" in generated
    assert "\n## Corpus power\n" in kept and "\n## Refactor-mutant power\n" in kept


def test_a_run_replaces_the_figures_and_keeps_what_follows_the_marker(
    modules: tuple[types.ModuleType, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report, run, measure = modules
    page = tmp_path / "RESULTS.md"
    kept = "\n\n## Measured on its own\n\nA table no run writes.\n"
    page.write_text(f"# Benchmark results\n\n| old | table |\n\n{report.KEPT_MARKER}{kept}", encoding="utf-8")
    calls: list[bool] = []
    monkeypatch.setattr(run, "BENCHMARKS", (_fake_benchmark(measure, calls),))
    assert run.main(["--quick", "--write-results", str(page)]) == 0
    written = page.read_text(encoding="utf-8")
    assert calls == [True]
    assert "| old | table |" not in written and "| 1 fake | figure |" in written
    assert written.endswith(report.KEPT_MARKER + kept)
    assert not list(tmp_path.glob("*.partial"))


def test_a_page_without_the_marker_is_refused_before_any_benchmark_runs(
    modules: tuple[types.ModuleType, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, run, measure = modules
    page = tmp_path / "RESULTS.md"
    page.write_text("# Benchmark results\n\n## Hand-written\n", encoding="utf-8")
    calls: list[bool] = []
    monkeypatch.setattr(run, "BENCHMARKS", (_fake_benchmark(measure, calls),))
    assert run.main(["--write-results", str(page)]) == 2
    err = capsys.readouterr().err
    assert calls == [] and page.read_text(encoding="utf-8") == "# Benchmark results\n\n## Hand-written\n"
    assert err.count("\n") == 1 and str(page) in err and "marker" in err and "Traceback" not in err


def test_a_new_page_gets_the_marker_and_a_second_run_keeps_nothing_twice(modules: tuple[types.ModuleType, ...]) -> None:
    report = modules[0]
    first = report.merge_results_page("# Benchmark results\nA\n", None, path=Path("R.md"))
    assert first == f"# Benchmark results\nA\n\n{report.KEPT_MARKER}\n"
    second = report.merge_results_page("# Benchmark results\nB\n", first, path=Path("R.md"))
    assert second == f"# Benchmark results\nB\n\n{report.KEPT_MARKER}\n"
