"""``--reference REV``: the area's executor as of a git revision, materialized apart from the working tree.

The tests build a small git repository in ``tmp_path`` holding a copy of the
area: the first commit is the area as it is, the second plants a behaviour
change in the copy's markers (a planted mistake, done in the temporary
repository only), a third adds an import from outside the area. The
candidate is this project's extracted executor; the reference is read from
the repository's history, so checking against the first commit passes and
against the second shows the change, side by side and against the baseline.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from cli_support import run_cli

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
SCENARIO = "effect-failing-in-branch"


def git(repository: Path, *arguments: str) -> str:
    return subprocess.run([*GIT, *arguments], cwd=repository, check=True, capture_output=True, text=True).stdout


def commit(repository: Path, message: str) -> str:
    git(repository, "add", "-A")
    git(repository, "commit", "-q", "--allow-empty", "-m", message)
    return git(repository, "rev-parse", "HEAD").strip()


@pytest.fixture
def history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A repository with the area at ``same``, a marker change at ``changed``, a foreign import at ``foreign``."""
    repository = tmp_path / "repository"
    (repository / "scenarios").mkdir(parents=True)
    git(repository, "init", "-q")
    empty = commit(repository, "no area yet")
    for package in ("pipeline", "reference"):
        shutil.copytree(ROOT / "harness" / package, repository / "harness" / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    for suffix in (".toml", ".baseline.json"):
        shutil.copy(ROOT / "baselines" / f"{SCENARIO}{suffix}", repository / "scenarios" / f"{SCENARIO}{suffix}")
    same = commit(repository, "the area")
    markers = repository / "harness" / "pipeline" / "markers.py"
    markers.write_text(markers.read_text().replace('"key": index,', '"key": str(index),', 1))
    changed = commit(repository, "marker keys become strings")
    values = repository / "harness" / "pipeline" / "values.py"
    values.write_text("import numpy  # outside the area and the standard library\n" + values.read_text())
    foreign = commit(repository, "a foreign import")
    git(repository, "checkout", "-q", same)  # the working tree is never what --reference reads
    monkeypatch.chdir(repository)
    return {"empty": empty, "same": same, "changed": changed, "foreign": foreign, "root": str(repository)}


def test_the_reference_at_an_unchanged_revision_agrees(history: dict[str, str]) -> None:
    code, out, err = run_cli("check", "scenarios", "--reference", history["same"])

    assert (code, err) == (0, "")
    assert out.rstrip().endswith("total: 1 passed, 0 failed")
    code, out, _ = run_cli("check", "scenarios", "--reference", history["same"], "--json")
    assert code == 0
    assert f'"reference": "reference@{history["same"][:12]}"' in out


def test_the_reference_at_a_changed_revision_shows_the_change_side_by_side(
    history: dict[str, str], folder_state
) -> None:
    """The planted marker change at ``changed`` is a mismatch with the candidate and with the baseline."""
    before = folder_state(Path(history["root"]))

    code, out, _ = run_cli("check", "scenarios", "--reference", history["changed"])

    assert code == 1
    assert f"MISMATCH         {SCENARIO}" in out
    assert "candidate extracted differs from the reference reference@" in out
    assert "latest_errors[0].key: '0' != 0" in out
    # Each side is named: the revision's executor is the one that differs from the baseline.
    assert f"reference reference@{history['changed'][:12]} differs from the pinned baseline (path: baseline != reference):" in out
    assert folder_state(Path(history["root"])) == before  # nothing written into the working tree


def test_run_and_repro_take_the_reference_revision(history: dict[str, str]) -> None:
    code, out, _ = run_cli("run", f"scenarios/{SCENARIO}.toml", "--reference", history["changed"][:10], "--json")
    assert code == 0
    assert '"key": "0"' in out
    assert f'"implementation": "reference@{history["changed"][:12]}"' in out

    code, out, _ = run_cli("repro", f"scenarios/{SCENARIO}.toml", "--reference", history["changed"])
    assert code == 1
    assert "latest_errors[0].key" in out


def test_an_executor_entry_can_be_named_after_the_revision(history: dict[str, str]) -> None:
    code, _, _ = run_cli(
        "check", "scenarios", "--reference", f"{history['same']}:executor:PipelineExecutor"
    )
    assert code == 0
    code, _, err = run_cli("check", "scenarios", "--reference", f"{history['same']}:executor:Nothing")
    assert code == 2
    assert err.endswith("executor entry executor:Nothing: executor.py defines no Nothing\n")


def test_the_kept_executor_of_the_snapshot_at_the_revision_can_be_the_reference(history: dict[str, str]) -> None:
    """``REV:reference:ReferenceExecutor``: phase 6's inline executor, kept in the snapshot, over the area at REV."""
    code, out, _ = run_cli("check", "scenarios", "--reference", f"{history['same']}:reference:ReferenceExecutor")
    assert code == 0, out

    code, out, _ = run_cli("check", "scenarios", "--reference", f"{history['changed']}:reference:ReferenceExecutor")
    assert code == 1
    assert "latest_errors[0].key: '0' != 0" in out


@pytest.mark.parametrize(
    ("revision", "message"),
    [
        ("no-such-revision", "harness check: no-such-revision: unknown revision in ROOT\n"),
        ("empty", "harness check: EMPTY: has no package harness/pipeline (no harness/pipeline/__init__.py)\n"),
        ("foreign", "imports numpy, outside the area and the standard library\n"),
    ],
)
def test_a_revision_that_cannot_be_a_reference_is_one_line_and_exit_2(
    history: dict[str, str], revision: str, message: str
) -> None:
    spec = history.get(revision, revision)
    code, out, err = run_cli("check", "scenarios", "--reference", spec)

    assert code == 2
    expected = message.replace("ROOT", history["root"]).replace("EMPTY", history["empty"][:12])
    assert err.endswith(expected) and err.count("\n") == 1, err
    assert "Traceback" not in err


def test_outside_a_git_checkout_the_reference_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(ROOT / "baselines" / f"{SCENARIO}.toml", tmp_path / f"{SCENARIO}.toml")

    code, _, err = run_cli("check", f"{SCENARIO}.toml", "--reference", "HEAD")

    assert code == 2
    assert err == f"harness check: {tmp_path}: not a git checkout, so --reference/--rev HEAD cannot be read\n"


def test_the_plugin_option_compares_with_the_revision(history: dict[str, str], pytester: pytest.Pytester) -> None:
    """``pytest --reference REV`` points the ``harness`` fixture's reference at the revision."""
    pytester.makepyfile(test_agree=f'''
        def test_agree(harness):
            harness.assert_agree({str(Path(history["root"]) / "scenarios" / f"{SCENARIO}.toml")!r})
    ''')
    passed = pytester.runpytest_inprocess("-p", "no:cacheprovider", f"--rootdir={history['root']}",
                                           "--reference", history["same"])
    passed.assert_outcomes(passed=1)
    failed = pytester.runpytest_inprocess("-p", "no:cacheprovider", f"--rootdir={history['root']}",
                                           "--reference", history["changed"])
    failed.assert_outcomes(failed=1)
    failed.stdout.fnmatch_lines([f"*extracted differs from reference@{history['changed'][:12]}*"])
    wrong = pytester.runpytest_inprocess("-p", "no:cacheprovider", f"--rootdir={history['root']}",
                                          "--reference", "no-such-revision")
    assert wrong.ret == pytest.ExitCode.USAGE_ERROR
    wrong.stderr.fnmatch_lines(["*--reference no-such-revision: unknown revision*"])

