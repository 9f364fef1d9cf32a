"""The executor binding of this folder's conftest holds in any test order.

Every ``conftest.py`` outside a package is imported under the one name
``conftest``, so ``sys.modules["conftest"]`` is whichever was imported last.
The binding once looked itself up there: collecting another folder's
conftest after this one (a subset of tests, another order, a mutation run)
left the command factories bound to the refactored ``Command`` while the
reference executor ran, and ``test_both_executors_observe_the_same`` failed
with ``stage 1 must be a Command``. Shown failing with the lookup put back
in a temporary copy.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_both_executors_compare_when_another_folders_conftest_is_imported_later() -> None:
    comparing = "tests/pipeline/test_executor.py::test_both_executors_observe_the_same[paced]"
    other = "tests/fuzz/test_database_selection.py::test_nothing_configured_leaves_hypothesis_its_default"
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:randomly",
         comparing, other],
        cwd=ROOT, env=environment, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout[-3000:]
    assert "2 passed" in ran.stdout
