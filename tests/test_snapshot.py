"""Snapshot generation: the import closure, imports made relative, self-containment checked, imported apart."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import harness.pipeline
import harness.reference
from harness.candidates import BUILTIN_IMPLEMENTATIONS
from harness.errors import SnapshotError
from harness.executor_api import PIPELINE_API, ExecutorApi
from harness.snapshot import ExecutorEntry, generate_snapshot, import_snapshot, read_manifest, verify_snapshot

ROOT = Path(__file__).resolve().parents[1]
ENTRY = ExecutorEntry("engine", "Engine")


def generate(files: dict[str, str], kept: dict[str, bytes] | None = None) -> dict[str, str]:
    encoded = {path: text.encode() for path, text in files.items()}
    generated = generate_snapshot(encoded, package="pkg.area", entry=ENTRY, kept=kept or {}, where="area")
    return {path: data.decode() for path, data in generated.items()}


BASE = {
    "__init__.py": "from pkg.area.engine import Engine\n",
    "engine.py": (
        "import json\nfrom pkg.area.values import wrap\nfrom pkg.area.sub import deep\n\n\nclass Engine:\n    pass\n"
    ),
    "values.py": "def wrap(x):\n    return x\n",
    "unused.py": "import numpy\n",
    "sub/__init__.py": "",
    "sub/deep.py": "from pkg.area import values\nfrom ..values import wrap\n",
}


def test_the_closure_is_copied_with_every_area_import_made_relative() -> None:
    generated = generate(BASE)

    assert sorted(generated) == ["__init__.py", "engine.py", "sub/__init__.py", "sub/deep.py", "values.py"]
    head = generated["engine.py"].splitlines()[:3]
    assert head == ["import json", "from .values import wrap", "from .sub import deep"]
    assert generated["sub/deep.py"] == "from .. import values\nfrom ..values import wrap\n"
    assert "from .engine import Engine, Engine as ReferenceExecutor" in generated["__init__.py"]
    assert '__all__ = [\n    "Engine",\n    "ReferenceExecutor",\n]' in generated["__init__.py"]


@pytest.mark.parametrize(
    ("module", "message"),
    [
        ("import pkg.area.values\n", "area/values.py:1: `import pkg.area.values` cannot be made relative"),
        ("import numpy\n", "area/values.py:1: imports numpy, outside the area and the standard library"),
        ("from pkg.errors import Oops\n", "area/values.py:1: imports pkg.errors, outside the area"),
        ("def broken(:\n", "area/values.py:1: does not parse"),
    ],
)
def test_an_area_that_cannot_be_made_self_contained_is_refused(module: str, message: str) -> None:
    with pytest.raises(SnapshotError) as raised:
        generate({**BASE, "values.py": module})
    assert str(raised.value).startswith(message)


def test_a_kept_module_wins_and_its_imports_join_the_closure() -> None:
    kept = {"engine.py": "from .unused import thing\n\n\nclass Engine:\n    pass\n".encode()}
    with pytest.raises(SnapshotError, match="unused.py:1: imports numpy"):
        generate(BASE, kept=kept)
    fine = {**BASE, "unused.py": "thing = 1\n"}
    generated = generate(fine, kept=kept)
    assert generated["engine.py"] == kept["engine.py"].decode()
    assert "unused.py" in generated
    merged = {"engine.py": b"from pkg.area.unused import thing\n\n\nclass Engine:\n    pass\n"}
    assert generate(fine, kept=merged)["engine.py"] == kept["engine.py"].decode()  # absolute imports made relative


def test_the_project_snapshot_matches_its_manifest_and_imports_apart_from_the_area() -> None:
    directory = ROOT / "harness" / "reference"
    manifest = read_manifest(directory)

    assert verify_snapshot(directory, manifest) == []
    assert manifest.executor == ExecutorEntry("reference", "ReferenceExecutor") and manifest.kept == ("reference.py",)
    isolated = import_snapshot(directory, "_harness_test_isolated_snapshot")
    try:
        assert isolated.Command is not harness.reference.Command is not harness.pipeline.Command
        assert isolated.ReferenceExecutor.__module__ == "_harness_test_isolated_snapshot.reference"
    finally:
        for name in [name for name in sys.modules if name.startswith("_harness_test_isolated_snapshot")]:
            del sys.modules[name]


def test_each_implementation_carries_the_api_of_its_own_package() -> None:
    reference, extracted = BUILTIN_IMPLEMENTATIONS["reference"], BUILTIN_IMPLEMENTATIONS["extracted"]

    assert reference.api.package == "harness.reference" and reference.api.Command is harness.reference.Command
    assert extracted.api is PIPELINE_API and PIPELINE_API.StructuredValue is harness.pipeline.StructuredValue
    with pytest.raises(Exception, match="has no Command, so it is not an executor package"):
        ExecutorApi.from_module(sys.modules["harness.errors"])
