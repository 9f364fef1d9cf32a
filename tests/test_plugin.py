"""The pytest plugin as a user's project meets it: a fresh folder, a fresh test file, nothing copied."""

from __future__ import annotations

import pytest
from hypothesis import Phase

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
    assert harness.observe("scenarios/two-branches.toml") == baseline_snapshot(name="two-branches")


def test_candidate_option(harness_candidate, harness_reference):
    assert harness_reference.name == "reference"
    print("candidate is", harness_candidate.name)
'''


@pytest.fixture
def user_project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project folder with one scenario and one test file that uses the plugin's fixtures."""
    pytester.makefile(".toml", **{"scenarios/two-branches": SCENARIO})
    pytester.makepyfile(test_user=USER_TESTS)
    pytester.makeini("[pytest]\nharness_baselines = pinned\n")
    return pytester


def test_a_user_suite_uses_the_plugin_without_copying_code(
    user_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fixtures, marker, baseline snapshots and the candidate option work from an installed harness alone."""
    monkeypatch.delenv("CI", raising=False)  # the profile shown is the workstation default, dev
    monkeypatch.delenv("HARNESS_PROFILE", raising=False)
    created = user_project.runpytest_subprocess("-p", "no:cacheprovider", "--snapshot-update", "-s")
    created.assert_outcomes(passed=3)
    assert (user_project.path / "pinned" / "two-branches.baseline.json").is_file()
    again = user_project.runpytest_subprocess("-p", "no:cacheprovider", "-s", "--strict-markers")
    again.assert_outcomes(passed=3)
    again.stdout.fnmatch_lines(["*harness: candidate extracted, hypothesis profile dev*", "*candidate is extracted*"])


def test_a_disagreeing_candidate_fails_with_the_path_diff_and_both_timelines(user_project: pytest.Pytester) -> None:
    """``--candidate`` points the fixtures at another executor; a disagreement shows where and when."""
    user_project.makepyfile(reversed_executor='''
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
''')
    result = user_project.runpytest_subprocess(
        "-p", "no:cacheprovider", "--candidate", "reversed_executor:ReversedExecutor", "-k", "agree"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*reversed_executor:ReversedExecutor differs from reference on scenario 'two-branches':*",
        "*output.text: 'L:x + R:x' != 'R:x + L:x'*",
        "*timelines agree*",
    ])


def test_an_unknown_candidate_is_a_usage_error(user_project: pytest.Pytester) -> None:
    """A candidate that cannot be imported stops the run before any test, with one clear line."""
    result = user_project.runpytest_subprocess("-p", "no:cacheprovider", "--candidate", "nowhere:Executor")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--candidate nowhere:Executor: cannot import module 'nowhere'*"])


@pytest.mark.parametrize(
    ("explicit", "environ", "expected"),
    [
        (None, {}, "dev"),
        (None, {"CI": "true"}, "ci"),
        (None, {"CI": "true", "HARNESS_PROFILE": "nightly"}, "nightly"),
        ("dev", {"CI": "true", "HARNESS_PROFILE": "nightly"}, "dev"),
        (None, {"HARNESS_PROFILE": "ci"}, "ci"),
    ],
)
def test_the_profile_is_always_chosen_explicitly(explicit: str | None, environ: dict[str, str], expected: str) -> None:
    """Command line first, then HARNESS_PROFILE, then ci under CI, else dev: never hypothesis's own ci guess."""
    assert choose_profile(explicit, environ) == expected


def test_the_profiles_say_what_the_gate_and_the_nightly_run_need() -> None:
    """ci is derandomized with about 200 examples; nightly is randomized with at least 5,000 and prints blobs."""
    assert PROFILES["ci"]["derandomize"] is True and PROFILES["ci"]["max_examples"] == 200
    assert PROFILES["ci"]["deadline"] is None
    assert PROFILES["nightly"]["derandomize"] is False and PROFILES["nightly"]["max_examples"] >= 5000
    assert PROFILES["nightly"]["print_blob"] is True
    # explain traces every shrunk example and doubles the time to a report; only the nightly run keeps it.
    assert all(Phase.explain not in PROFILES[name]["phases"] for name in ("dev", "ci"))
    assert "phases" not in PROFILES["nightly"]


def test_an_unknown_profile_name_is_a_usage_error() -> None:
    """A typo in HARNESS_PROFILE stops the run instead of silently using another profile."""
    with pytest.raises(pytest.UsageError, match="HARNESS_PROFILE=nighty: expected one of dev, ci, nightly"):
        choose_profile(None, {"HARNESS_PROFILE": "nighty"})


def test_the_nightly_profile_is_loaded_even_under_ci(user_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under CI with HARNESS_PROFILE=nightly the run is randomized, not hypothesis's derandomized ci."""
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("HARNESS_PROFILE", "nightly")
    result = user_project.runpytest_subprocess("-p", "no:cacheprovider", "-k", "candidate_option")
    result.stdout.fnmatch_lines(["*hypothesis profile nightly*"])
