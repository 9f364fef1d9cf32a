"""duplicate-logic and duplicate-type: normalized comparison across sibling modules."""

from __future__ import annotations

import ast
import textwrap

from harness.gate.duplication import (
    MIN_STATEMENTS,
    check_duplicate_logic,
    check_duplicate_types,
    normalize_function,
)
from harness.gate.types import Finding

from gate_planting import area_module

ORIGINAL = '''\
    """Totals."""


    def total_over(items: list[int], limit: int = 0) -> int:
        """Sum the items above the limit."""
        total: int = 0
        for item in items:
            if item > limit:
                total += item
        return total
    '''

RENAMED = '''\
    """A report."""

    import math


    class Report:
        def sum_above(self, values, cap=0):
            acc = 0
            for value in values:
                if value > cap:
                    acc += value
            return acc
    '''


COPY = '''\
    """A report."""

    import math


    def sum_above(values, cap=0):
        acc = 0
        for value in values:
            if value > cap:
                acc += value
        return acc
    '''


def shape(source: str) -> str:
    function = ast.parse(textwrap.dedent(source)).body[0]
    assert isinstance(function, ast.FunctionDef)
    return ast.dump(normalize_function(function))


def test_a_copy_with_renamed_variables_is_found_in_a_sibling_module() -> None:
    modules = [area_module("pkg/report.py", RENAMED), area_module("pkg/totals.py", ORIGINAL)]

    # The method has a ``self`` the function lacks, so the two differ...
    assert check_duplicate_logic(modules, exempt=()) == []

    # ...but a module-level copy with other names is the same logic.
    modules[0] = area_module("pkg/report.py", COPY)
    assert check_duplicate_logic(modules, exempt=()) == [
        Finding(
            "duplicate-logic",
            "pkg/totals.py",
            4,
            "`total_over` repeats the logic of `sum_above` at pkg/report.py:6; "
            "extract one shared helper or service",
        )
    ]


def test_methods_are_compared_with_their_qualified_names() -> None:
    method = textwrap.dedent(RENAMED)
    renamed_class = method.replace("Report", "Summary")
    modules = [area_module("pkg/a.py", method), area_module("pkg/b.py", renamed_class)]

    assert check_duplicate_logic(modules, exempt=()) == [
        Finding(
            "duplicate-logic",
            "pkg/b.py",
            7,
            "`Summary.sum_above` repeats the logic of `Report.sum_above` at pkg/a.py:7; "
            "extract one shared helper or service",
        )
    ]


def test_only_sibling_modules_are_compared() -> None:
    modules = [area_module("pkg/totals.py", ORIGINAL), area_module("pkg/sub/totals.py", ORIGINAL)]

    assert check_duplicate_logic(modules, exempt=()) == []


def test_exempt_modules_are_skipped() -> None:
    modules = [area_module("pkg/reference.py", ORIGINAL), area_module("pkg/totals.py", ORIGINAL)]

    assert check_duplicate_logic(modules, exempt=["pkg/reference.py"]) == []
    assert len(check_duplicate_logic(modules, exempt=[])) == 1


def test_short_functions_are_not_compared() -> None:
    short = "def pick(items):\n    if not items:\n        return None\n    return items[0]\n"
    modules = [area_module("pkg/a.py", short), area_module("pkg/b.py", short)]

    assert MIN_STATEMENTS == 4
    assert check_duplicate_logic(modules, exempt=()) == []
    longer = short.replace("    return items[0]\n", "    first = items[0]\n    return first\n")
    modules = [area_module("pkg/a.py", longer), area_module("pkg/b.py", longer)]
    assert [finding.path for finding in check_duplicate_logic(modules, exempt=())] == ["pkg/b.py"]


def test_normalization_keeps_structure_operators_constants_and_globals() -> None:
    function = textwrap.dedent(ORIGINAL).split('"""Totals."""')[1].strip()
    base = shape(function)

    assert shape(textwrap.dedent(COPY).split("import math")[1].strip()) == base
    assert shape(function.replace("item > limit", "item >= limit")) != base
    assert shape(function.replace("total: int = 0", "total = 1")) != base
    assert shape(function.replace("total += item", "total -= item")) != base
    assert shape("def f(x):\n    return len(x)\n") != shape("def f(x):\n    return sum(x)\n")
    assert shape("def f(x):\n    return x.size\n") != shape("def f(x):\n    return x.length\n")
    assert shape("def f(x: int) -> int:\n    y: int = x\n    return y\n") == shape(
        "def g(a):\n    b = a\n    return b\n"
    )
    handler = "def f(x):\n    try:\n        pass\n    except E as e:\n        raise e\n"
    renamed = "def g(y):\n    try:\n        pass\n    except E as err:\n        raise err\n"
    assert shape(handler) == shape(renamed)
    assert shape(handler) != shape(renamed.replace("raise err", "raise y"))


def test_a_class_declared_twice_is_reported_at_the_redeclaration() -> None:
    modules = [
        area_module("pkg/a.py", "class Outcome:\n    pass\n\n\nclass Other:\n    pass\n"),
        area_module("pkg/sub/b.py", '"""B."""\n\n\nclass Outcome:\n    value: int\n'),
        area_module("pkg/c.py", "def f():\n    class Outcome:\n        pass\n"),
    ]

    assert check_duplicate_types(modules, exempt=()) == [
        Finding(
            "duplicate-type",
            "pkg/sub/b.py",
            4,
            "class `Outcome` is already declared at pkg/a.py:1; "
            "import it from there instead of declaring it again",
        )
    ]
    assert check_duplicate_types(modules, exempt=["pkg/sub/b.py"]) == []
