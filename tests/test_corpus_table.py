"""The table in ``baselines/README.md`` and the corpus stay in step.

Every behaviour of the observable contract (spec section 10, items 1 to 12)
has a row naming at least two corpus scenarios that differ in their other
settings: their parsed documents differ once ``description`` is removed. A
behaviour that loses its last distinct scenario, a row naming a scenario that
does not exist, and a missing row all fail here. The planted mistakes are made
in temporary copies of the table and corpus (``tmp_path``).
"""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parent.parent / "baselines"
BEHAVIOURS = range(1, 13)
_ROW = re.compile(r"^\|\s*(\d+)\s*\|[^|]*\|(?P<scenarios>[^|]*)\|\s*$")


def table_rows(readme: Path) -> dict[int, list[str]]:
    """Behaviour number to the scenario names its row lists (names in backticks)."""
    rows: dict[int, list[str]] = {}
    for line in readme.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line)
        if match:
            rows[int(match.group(1))] = re.findall(r"`([^`]+)`", match.group("scenarios"))
    return rows


def _settings(path: Path) -> dict[str, object]:
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    document.pop("description", None)
    return document


def table_problems(readme: Path, corpus: Path) -> list[str]:
    """Every way the table and the corpus disagree, one line each (empty when they agree)."""
    rows = table_rows(readme)
    problems = [f"{readme}: behaviour {number} has no row" for number in BEHAVIOURS if number not in rows]
    for number, names in sorted(rows.items()):
        documents = []
        for name in names:
            path = corpus / f"{name}.toml"
            if not path.exists():
                problems.append(f"{readme}: behaviour {number} names {name}, but {path} does not exist")
                continue
            settings = _settings(path)
            if settings not in documents:
                documents.append(settings)
        if len(documents) < 2:
            problems.append(
                f"{readme}: behaviour {number} is pinned by {len(documents)} distinct scenario(s), "
                "needs two that differ outside `description`"
            )
    return problems


def test_every_behaviour_is_pinned_by_two_distinct_existing_scenarios() -> None:
    assert table_problems(CORPUS / "README.md", CORPUS) == []


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of the corpus folder with its README, to plant mistakes in."""
    folder = tmp_path / "baselines"
    shutil.copytree(CORPUS, folder)
    return folder


def _edit_row(readme: Path, number: int, scenarios: str) -> None:
    lines = readme.read_text(encoding="utf-8").splitlines()
    edited = [
        re.sub(r"\|[^|]*\|\s*$", f"| {scenarios} |", line) if line.startswith(f"| {number} |") else line
        for line in lines
    ]
    readme.write_text("\n".join(edited) + "\n", encoding="utf-8")


def test_a_row_naming_a_missing_scenario_fails(copy: Path) -> None:
    """Planted: a scenario renamed without updating the table."""
    (copy / "cap-two.toml").rename(copy / "cap-two-renamed.toml")
    assert table_problems(copy / "README.md", copy) == [
        f"{copy / 'README.md'}: behaviour 2 names cap-two, but {copy / 'cap-two.toml'} does not exist"
    ]


def test_a_behaviour_losing_all_but_one_scenario_fails(copy: Path) -> None:
    """Planted: the other scenarios of behaviour 9 deleted, the table trimmed to the one left."""
    _edit_row(copy / "README.md", 9, "`effect-per-branch`")
    assert table_problems(copy / "README.md", copy) == [
        f"{copy / 'README.md'}: behaviour 9 is pinned by 1 distinct scenario(s), needs two that differ outside `description`"
    ]


def test_two_scenarios_alike_apart_from_their_description_count_once(copy: Path) -> None:
    """Planted: a copy of a scenario with only a new description, offered as the second one."""
    original = (copy / "effect-per-branch.toml").read_text(encoding="utf-8")
    twin = re.sub(r"^description = .*$", 'description = "the same again"', original, count=1, flags=re.M)
    (copy / "effect-per-branch-twin.toml").write_text(twin, encoding="utf-8")
    _edit_row(copy / "README.md", 9, "`effect-per-branch`, `effect-per-branch-twin`")
    problems = table_problems(copy / "README.md", copy)
    assert problems == [
        f"{copy / 'README.md'}: behaviour 9 is pinned by 1 distinct scenario(s), needs two that differ outside `description`"
    ]


def test_a_missing_row_fails(copy: Path) -> None:
    readme = copy / "README.md"
    readme.write_text(
        "\n".join(line for line in readme.read_text(encoding="utf-8").splitlines() if not line.startswith("| 12 |")) + "\n",
        encoding="utf-8",
    )
    assert table_problems(readme, copy) == [f"{readme}: behaviour 12 has no row"]
