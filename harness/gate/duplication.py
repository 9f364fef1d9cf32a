"""The ``duplicate-logic`` and ``duplicate-type`` guardrails: say a thing once.

Duplicated logic is found by comparing normalized syntax trees of functions
and methods in *sibling* modules (modules of one directory). Normalizing:

* parameters and local names are renamed ``_0``, ``_1``, ... in order of first
  appearance, so a copy with renamed variables still matches; globals,
  attributes and keyword names keep their spelling, since they are the logic;
* docstrings, decorators, the function's own name and every type annotation
  are dropped (``x: int = 0`` compares as ``x = 0``);
* structure, operators and constants are kept.

Only functions of at least :data:`MIN_STATEMENTS` statements (counted through
nested blocks, docstring excluded) are compared: below that, two bodies that
match are usually an idiom (a guard and a return), not a copied algorithm.

A duplicated type is a top-level class name declared in more than one module
of the area. Modules listed as exempt (a frozen reference, typically) are
left out of both comparisons.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from harness.gate.area import without_docstring
from harness.gate.types import AreaModule, Finding, Rule

__all__ = [
    "MIN_STATEMENTS",
    "check_duplicate_logic",
    "check_duplicate_types",
    "normalize_function",
]

MIN_STATEMENTS = 4

_Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True, slots=True)
class _Occurrence:
    path: str
    line: int
    qualname: str


def check_duplicate_logic(modules: Sequence[AreaModule], exempt: Collection[str]) -> list[Finding]:
    """Findings for functions whose normalized bodies repeat in a sibling module.

    The first occurrence (by path, then line) is taken as the original; each
    copy in another module is reported at its own line, naming the original.
    """
    groups: dict[tuple[str, str], list[_Occurrence]] = {}
    for module in _compared(modules, exempt):
        assert module.tree is not None  # _compared keeps parsed modules only
        directory = PurePosixPath(module.path).parent.as_posix()
        for qualname, function in _functions(module.tree.body, ""):
            shape = normalize_function(function)
            if _statement_count(shape) >= MIN_STATEMENTS:
                key = (directory, ast.dump(shape))
                occurrence = _Occurrence(module.path, function.lineno, qualname)
                groups.setdefault(key, []).append(occurrence)
    findings: list[Finding] = []
    for occurrences in groups.values():
        original, *copies = sorted(occurrences, key=lambda found: (found.path, found.line))
        for duplicate in copies:
            if duplicate.path == original.path:
                continue
            message = (
                f"`{duplicate.qualname}` repeats the logic of `{original.qualname}` at "
                f"{original.path}:{original.line}; extract one shared helper or service"
            )
            findings.append(Finding(Rule.DUPLICATE_LOGIC, duplicate.path, duplicate.line, message))
    return findings


def check_duplicate_types(modules: Sequence[AreaModule], exempt: Collection[str]) -> list[Finding]:
    """Findings for top-level class names declared in more than one module.

    The declaration in the first module (by path) is the original; every
    later one is reported at its own line.
    """
    first_seen: dict[str, _Occurrence] = {}
    findings: list[Finding] = []
    for module in _compared(modules, exempt):
        assert module.tree is not None
        for node in module.tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            here = _Occurrence(module.path, node.lineno, node.name)
            original = first_seen.setdefault(node.name, here)
            if original.path != module.path:
                message = (
                    f"class `{node.name}` is already declared at {original.path}:{original.line}; "
                    "import it from there instead of declaring it again"
                )
                findings.append(Finding(Rule.DUPLICATE_TYPE, module.path, node.lineno, message))
    return findings


def normalize_function(function: _Function) -> _Function:
    """A copy of ``function`` with names, docstrings and annotations normalized away."""
    shape = copy.deepcopy(function)
    shape.name = "_"
    shape.decorator_list = []
    normalized = _Normalizer(_local_names(shape)).visit(shape)
    assert isinstance(normalized, ast.FunctionDef | ast.AsyncFunctionDef)
    return normalized


def _compared(modules: Sequence[AreaModule], exempt: Collection[str]) -> Iterator[AreaModule]:
    skipped = {PurePosixPath(path).as_posix() for path in exempt}
    return (module for module in modules if module.tree is not None and module.path not in skipped)


def _functions(body: Sequence[ast.stmt], prefix: str) -> Iterator[tuple[str, _Function]]:
    """Module-level functions and methods (of nested classes too), with qualified names."""
    for node in body:
        if isinstance(node, _Function):
            yield f"{prefix}{node.name}", node
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node.body, f"{prefix}{node.name}.")


def _statement_count(function: _Function) -> int:
    return sum(isinstance(node, ast.stmt) for node in ast.walk(function)) - 1


def _local_names(function: _Function) -> frozenset[str]:
    """Parameters and every name the function (or a scope nested in it) binds."""
    bound: set[str] = set()
    declared_outside: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, _Function | ast.ClassDef) and node is not function:
            bound.add(node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            declared_outside.update(node.names)
    return frozenset(bound - declared_outside)


class _Normalizer(ast.NodeTransformer):
    """Renames locals in order of first appearance and strips docstrings and annotations."""

    def __init__(self, local_names: frozenset[str]) -> None:
        self.local_names = local_names
        self.renamed: dict[str, str] = {}

    def _rename(self, name: str) -> str:
        if name not in self.local_names:
            return name
        return self.renamed.setdefault(name, f"_{len(self.renamed)}")

    def visit_FunctionDef(self, node: _Function) -> ast.AST:
        node.returns = None
        node.body = without_docstring(node.body)
        node.name = self._rename(node.name)
        return self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        node.body = without_docstring(node.body)
        node.name = self._rename(node.name)
        return self.generic_visit(node)

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.annotation = None
        node.arg = self._rename(node.arg)
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        node.id = self._rename(node.id)
        return node

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> ast.AST:
        if node.name:
            node.name = self._rename(node.name)
        return self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST | None:
        if node.value is None:
            return None  # a bare declaration carries no logic
        assign = ast.Assign(targets=[node.target], value=node.value, lineno=node.lineno)
        return self.generic_visit(assign)
