"""The pytest plugin as a user's project meets it: a fresh folder, a fresh test file, nothing copied."""

from __future__ import annotations

import pytest
from hypothesis import Phase

import importlib.util
import subprocess
import sys
from pathlib import Path

from harness.plugin import PROFILES, choose_profile

pytest_plugins = ["pytester"]

SCENARIO = """
description = "two branches and a combine stage"
input = "x"
pipeline = "left || right | combine"
[commands.left]
returns = "L:{input}"
duration_ms = 20
[commands.right]
returns = "R:{input}"
[commands.combine]
join = " + "
"""

USER_TESTS = '''
import pytest


@pytest.mark.characterization
def test_two_branches_agree(harness):
    observation = harness.assert_agree("scenarios/two-branches.toml")
    assert observation["output"]["text"] == "L:x + R:x"


def test_pinned(harness, baseline_snapshot):
    assert harness.observe("scenarios/two-branches.toml") == baseline_snapshot("scenarios/two-branches.toml")


def test_candidate_option(harness_candidate, harness_reference):
    assert harness_reference.name == "reference"
    print("candidate is", harness_candidate.name)
'''


REVERSED_EXECUTOR = '''
from harness.pipeline import PipelineExecutor, compact_json
from harness.pipeline.cache import StageOutputCache


class ReversingCache(StageOutputCache):
    def __init__(self, owner):
        super().__init__()
        self._owner = owner

    def get(self, index, fallback_text):
        return self._owner.get(index, fallback_text)

    def set(self, index, value):
        value.data.reverse()
        value.text = compact_json(value.data)
        self._owner.set(index, value)


class ReversedExecutor(PipelineExecutor):
    @property
    def cache(self):
        return ReversingCache(self._cache)
'''


@pytest.fixture
def user_project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project folder with one scenario and one test file that uses the plugin's fixtures."""
    pytester.makefile(".toml", **{"scenarios/two-branches": SCENARIO})
    pytester.makepyfile(test_user=USER_TESTS)
    return pytester


def test_a_user_suite_uses_the_plugin_without_copying_code(
    user_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fixtures, marker, baseline snapshots and the candidate option work from an installed harness alone."""
    monkeypatch.delenv("CI", raising=False)  # hypothesis would load its own ci profile
    monkeypatch.delenv("HARNESS_PROFILE", raising=False)
    created = user_project.runpytest_subprocess("-p", "no:cacheprovider", "--snapshot-update", "-s")
    created.assert_outcomes(passed=3)
    assert (user_project.path / "scenarios" / "two-branches.baseline.json").is_file()
    again = user_project.runpytest_subprocess("-p", "no:cacheprovider", "-s", "--strict-markers")
    again.assert_outcomes(passed=3)
    again.stdout.fnmatch_lines(["*harness: candidate extracted, hypothesis profile default*", "*candidate is extracted*"])


def test_a_disagreeing_candidate_fails_with_the_path_diff_and_both_timelines(user_project: pytest.Pytester) -> None:
    """``--candidate`` points the fixtures at another executor; a disagreement shows where and when."""
    user_project.makepyfile(reversed_executor=REVERSED_EXECUTOR)
    result = user_project.runpytest_subprocess(
        "-p", "no:cacheprovider", "--candidate", "reversed_executor:ReversedExecutor", "-k", "agree"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*reversed_executor:ReversedExecutor differs from reference on scenario 'two-branches'"
        " (path: reference != reversed_executor:ReversedExecutor):*",
        "*output.text: 'L:x + R:x' != 'R:x + L:x'*",
        "*timelines agree*",
    ])


def test_harness_html_writes_every_comparison_of_the_run_from_every_worker(user_project: pytest.Pytester) -> None:
    """``--harness-html FILE`` under pytest-xdist: each worker's comparisons reach the page the controller writes.

    Planted mistake (tried in a temporary copy): a worker writing the page
    itself instead of handing its comparisons over leaves a page with at most
    one of the two scenarios, and this test fails.
    """
    user_project.makefile(".toml", **{"scenarios/other": SCENARIO.replace("L:", "M:")})
    user_project.makepyfile(test_other="""
def test_other_agrees(harness):
    harness.assert_agree("scenarios/other.toml")
""")
    result = user_project.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "xdist", "-n", "2", "--harness-html", "report.html", "-k", "agree"
    )
    result.assert_outcomes(passed=2)
    page = (user_project.path / "report.html").read_text(encoding="utf-8")
    assert page.count('<details class="scenario" data-status="match"') == 2
    assert 'data-name="two-branches"' in page and 'data-name="other"' in page
    assert "harness check: 0 of 2 failed" in page


def test_an_unknown_candidate_is_a_usage_error(user_project: pytest.Pytester) -> None:
    """A candidate that cannot be imported stops the run before any test, with one clear line."""
    result = user_project.runpytest_subprocess("-p", "no:cacheprovider", "--candidate", "nowhere:Executor")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--candidate nowhere:Executor: cannot import module 'nowhere'*"])


@pytest.mark.parametrize(
    ("explicit", "environ", "configured", "expected"),
    [
        (None, {}, None, None),
        (None, {"CI": "true"}, None, None),
        (None, {}, "auto", "dev"),
        (None, {"CI": "true"}, "auto", "ci"),
        (None, {"CI": "true", "HARNESS_PROFILE": "nightly"}, "auto", "nightly"),
        ("dev", {"CI": "true", "HARNESS_PROFILE": "nightly"}, "auto", "dev"),
        (None, {"HARNESS_PROFILE": "ci"}, None, "ci"),
        ("auto", {"CI": "1"}, None, "ci"),
    ],
)
def test_a_profile_is_loaded_only_when_chosen(
    explicit: str | None, environ: dict[str, str], configured: str | None, expected: str | None
) -> None:
    """``--harness-profile``, then ``HARNESS_PROFILE``, then the ini option; none of them: nothing changes."""
    assert choose_profile(explicit, environ, configured) == expected


def test_the_profiles_say_what_the_gate_and_the_nightly_run_need() -> None:
    """ci is derandomized with about 200 examples; nightly is randomized with at least 5,000 and prints blobs."""
    assert PROFILES["ci"]["derandomize"] is True and PROFILES["ci"]["max_examples"] == 200
    assert PROFILES["ci"]["deadline"] is None
    assert PROFILES["nightly"]["derandomize"] is False and PROFILES["nightly"]["max_examples"] >= 5000
    assert PROFILES["nightly"]["print_blob"] is True
    # explain traces every shrunk example and doubles the time to a report; under 1,000 examples targeting takes
    # the second half of the budget from generation, which finds more; only the nightly run keeps both.
    for name in ("dev", "ci", "fuzz"):
        assert Phase.explain not in PROFILES[name]["phases"] and Phase.target not in PROFILES[name]["phases"]
        assert {Phase.generate, Phase.shrink} <= set(PROFILES[name]["phases"])
    assert "phases" not in PROFILES["nightly"]


def test_the_drawn_profile_runs_drawn_scenarios_alone() -> None:
    """drawn: the ci budget, generation and shrinking only, no database, so fault-finding figures measure the strategies."""
    assert PROFILES["drawn"]["max_examples"] == PROFILES["ci"]["max_examples"]
    assert PROFILES["drawn"]["database"] is None
    assert set(PROFILES["drawn"]["phases"]) == {Phase.generate, Phase.shrink}


def test_an_unknown_profile_name_is_a_usage_error() -> None:
    """A typo in HARNESS_PROFILE stops the run instead of silently using another profile."""
    with pytest.raises(pytest.UsageError, match="HARNESS_PROFILE=nighty: expected one of dev, ci, nightly, drawn, fuzz, replay, auto"):
        choose_profile(None, {"HARNESS_PROFILE": "nighty"})


def test_the_nightly_profile_is_loaded_even_under_ci(user_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under CI with HARNESS_PROFILE=nightly the run is randomized, not hypothesis's derandomized ci."""
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("HARNESS_PROFILE", "nightly")
    result = user_project.runpytest_subprocess("-p", "no:cacheprovider", "-k", "candidate_option")
    result.stdout.fnmatch_lines(["*hypothesis profile harness-nightly*"])


HOST_SETTINGS_TEST = """
from hypothesis import given, settings, strategies as st

def test_settings(tmp_path):
    current = settings()
    print("PROFILE", settings.get_current_profile_name(), current.max_examples, current.derandomize)
"""


@pytest.mark.parametrize(
    ("ci", "expected"),
    [(None, "PROFILE default 100 False"), ("true", "PROFILE ci 100 True")],
    ids=["workstation", "under-ci"],
)
def test_a_host_project_keeps_hypothesis_settings_of_its_own(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str | None, expected: str
) -> None:
    """Installing harness changes no hypothesis setting of a host project, and hypothesis's ``ci`` stays its own.

    Planted mistake (tried in a temporary copy): loading ``harness-dev`` when no
    profile was chosen prints ``PROFILE harness-dev 30 False`` here.
    """
    monkeypatch.delenv("HARNESS_PROFILE", raising=False)
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    pytester.makepyfile(test_host=HOST_SETTINGS_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*{expected}*"])


def test_a_host_project_chooses_a_harness_profile_by_ini_option(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``harness_profile = auto`` in the host's ini loads ``harness-ci`` under CI (200 derandomized examples)."""
    monkeypatch.delenv("HARNESS_PROFILE", raising=False)
    monkeypatch.setenv("CI", "true")
    pytester.makeini("[pytest]\nharness_profile = auto\n")
    pytester.makepyfile(test_host=HOST_SETTINGS_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s")
    result.stdout.fnmatch_lines(["*PROFILE harness-ci 200 True*"])


def test_this_project_chooses_its_profile_in_its_own_ini() -> None:
    """The project's suite picks dev/ci/nightly through ``harness_profile = auto``, not by a plugin side effect."""
    import tomllib

    root = Path(__file__).resolve().parent.parent
    ini = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    assert ini["harness_profile"] == "auto"


HOST_FIXTURE_TEST = """
def test_uses_a_fixture(tmp_path):
    assert tmp_path.is_dir()
"""


def test_a_host_project_without_the_harness_plugin_still_works(pytester: pytest.Pytester) -> None:
    """``-p no:harness`` leaves a host project's tests working: looptime's plugin is still set aside.

    The second run turns the guard off as well, showing the failure the guard
    prevents (looptime 0.9 failing every fixture setup without pytest-asyncio).
    """
    pytester.makepyfile(test_host=HOST_FIXTURE_TEST)
    guarded = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:harness")
    guarded.assert_outcomes(passed=1)
    if importlib.util.find_spec("pytest_asyncio") is None:
        unguarded = pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", "-p", "no:harness", "-p", "no:harness_looptime"
        )
        unguarded.assert_outcomes(errors=1)


def test_snapshot_update_writes_the_baseline_harness_check_reads(
    user_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One baseline location: after ``pytest --snapshot-update``, ``harness check`` on the scenario passes."""
    monkeypatch.delenv("CI", raising=False)
    user_project.runpytest_subprocess("-p", "no:cacheprovider", "--snapshot-update", "-k", "pinned").assert_outcomes(
        passed=1
    )
    checked = subprocess.run(
        [sys.executable, "-m", "harness", "check", "scenarios"], cwd=user_project.path, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.splitlines()[-1] == "total: 1 passed, 0 failed"


def test_snapshot_update_with_a_disagreeing_candidate_leaves_the_references_baseline(
    user_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the reference writes baselines: a candidate that disagrees fails the update, and the file stays.

    Before, ``--snapshot-update`` under such a candidate wrote the candidate's
    observation, and ``harness check`` then reported the reference as differing.
    """
    monkeypatch.delenv("CI", raising=False)
    user_project.makepyfile(reversed_executor=REVERSED_EXECUTOR)
    baseline = user_project.path / "scenarios" / "two-branches.baseline.json"
    first = user_project.runpytest_subprocess("-p", "no:cacheprovider", "--snapshot-update", "-k", "pinned")
    first.assert_outcomes(passed=1)
    written = baseline.read_bytes()
    updated = user_project.runpytest_subprocess(
        "-p", "no:cacheprovider", "--snapshot-update", "-k", "pinned", "--candidate", "reversed_executor:ReversedExecutor"
    )
    updated.assert_outcomes(failed=1)
    updated.stdout.fnmatch_lines([
        "*two-branches.baseline.json: not written: a baseline is the reference's observation, and "
        "reversed_executor:ReversedExecutor differs from it*"
    ])
    assert baseline.read_bytes() == written
    assert "harness/plugin.py" not in updated.stdout.str()  # the plugin's frames are hidden
    # A candidate that agrees updates the file with the reference's observation.
    baseline.unlink()
    user_project.runpytest_subprocess("-p", "no:cacheprovider", "--snapshot-update", "-k", "pinned").assert_outcomes(
        passed=1
    )
    assert baseline.read_bytes() == written


def test_snapshot_update_refuses_under_ci_as_harness_record_does(
    user_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "1")
    result = user_project.runpytest_subprocess("-p", "no:cacheprovider", "--snapshot-update", "-k", "pinned")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*two-branches.baseline.json: refusing to write baselines while CI is set*"])
    assert not (user_project.path / "scenarios" / "two-branches.baseline.json").exists()
