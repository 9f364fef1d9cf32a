"""The ``callback-injection`` guardrail: services are objects, not bare callables.

Two shapes are reported, each at the line of the offending node:

* a ``lambda``, or the bare name of a function defined in the module (at
  module level or nested in the enclosing function), passed as an argument to
  a constructor call. A constructor is a call of a class defined in the area
  or of any CapWords name; ``sorted(key=lambda ...)`` is not one, and a
  ``default_factory=`` keyword only builds a default value, so it is skipped;
* a constructor parameter typed ``Callable``: an ``__init__`` parameter, or a
  field of a ``@dataclass`` class (which becomes one).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Sequence

from harness.gate.area import terminal_name
from harness.gate.types import AreaModule, Finding, Rule

__all__ = ["check_callback_injection"]

_CAP_WORDS = re.compile(r"_*[A-Z](?=[A-Za-z0-9]*[a-z])[A-Za-z0-9]*")
_ADVICE = "pass a Protocol-typed service object instead"


def check_callback_injection(modules: Sequence[AreaModule]) -> list[Finding]:
    """Findings for callables injected into constructors anywhere in ``modules``."""
    area_classes = frozenset(
        node.name
        for module in modules
        if module.tree is not None
        for node in ast.walk(module.tree)
        if isinstance(node, ast.ClassDef)
    )
    findings: list[Finding] = []
    for module in modules:
        if module.tree is not None:
            visitor = _InjectionVisitor(module.path, area_classes)
            visitor.visit(module.tree)
            findings.extend(visitor.findings)
    return findings


def _bound_names(body: Iterable[ast.AST], parameters: ast.arguments | None) -> dict[str, bool]:
    """Names one scope binds, mapped to whether a ``def`` is their only binding.

    Nested function, class and lambda bodies are separate scopes and are not
    entered; their own names still bind here.
    """
    defs: set[str] = set()
    others: set[str] = {argument.arg for argument in _parameters(parameters)}
    pending = list(body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            defs.add(node.name)
            continue
        if isinstance(node, ast.ClassDef):
            others.add(node.name)
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            others.add(node.id)
        elif isinstance(node, ast.alias):
            others.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            others.add(node.name)
        pending.extend(ast.iter_child_nodes(node))
    return {name: name not in others for name in defs | others}


def _parameters(parameters: ast.arguments | None) -> list[ast.arg]:
    if parameters is None:
        return []
    found = [*parameters.posonlyargs, *parameters.args, *parameters.kwonlyargs]
    found.extend(argument for argument in (parameters.vararg, parameters.kwarg) if argument)
    return found


def _mentions_callable(annotation: ast.expr) -> bool:
    """Whether an annotation names ``Callable``, also inside a string annotation."""
    for node in ast.walk(annotation):
        if isinstance(node, ast.expr) and terminal_name(node) == "Callable":
            return True
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                parsed = ast.parse(node.value, mode="eval")
            except SyntaxError:
                continue
            if _mentions_callable(parsed.body):
                return True
    return False


def _is_dataclass(node: ast.ClassDef) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if terminal_name(target) == "dataclass":
            return True
    return False


class _InjectionVisitor(ast.NodeVisitor):
    """Walks one module with a stack of scopes, so a name resolves as Python would."""

    def __init__(self, path: str, area_classes: frozenset[str]) -> None:
        self.path = path
        self.area_classes = area_classes
        self.findings: list[Finding] = []
        self.scopes: list[dict[str, bool]] = []

    def visit_Module(self, node: ast.Module) -> None:
        self.scopes.append(_bound_names(node.body, None))
        self.generic_visit(node)
        self.scopes.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.scopes.append(_bound_names(node.body, node.args))
        self.generic_visit(node)
        self.scopes.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.scopes.append(_bound_names([], node.args))
        self.generic_visit(node)
        self.scopes.pop()

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for statement in node.body:
            if isinstance(statement, ast.FunctionDef) and statement.name == "__init__":
                for parameter in _parameters(statement.args):
                    annotation = parameter.annotation
                    if annotation is not None and _mentions_callable(annotation):
                        self._report(
                            parameter,
                            f"constructor parameter `{parameter.arg}` of `{node.name}` is typed "
                            f"`{ast.unparse(annotation)}`; {_ADVICE}",
                        )
            elif (
                isinstance(statement, ast.AnnAssign)
                and isinstance(statement.target, ast.Name)
                and _is_dataclass(node)
                and _mentions_callable(statement.annotation)
            ):
                self._report(
                    statement,
                    f"dataclass field `{statement.target.id}` of `{node.name}` is typed "
                    f"`{ast.unparse(statement.annotation)}` and becomes a constructor "
                    f"parameter; {_ADVICE}",
                )
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        callee = terminal_name(node.func)
        if callee is not None and (callee in self.area_classes or _CAP_WORDS.fullmatch(callee)):
            passed: list[tuple[str | None, ast.expr]] = [(None, argument) for argument in node.args]
            passed += [
                (keyword.arg, keyword.value)
                for keyword in node.keywords
                if keyword.arg != "default_factory"
            ]
            for keyword, value in passed:
                self._check_argument(callee, keyword, value)
        self.generic_visit(node)

    def _check_argument(self, callee: str, keyword: str | None, value: ast.expr) -> None:
        if isinstance(value, ast.Starred):
            value = value.value
        where = f" as `{keyword}`" if keyword else ""
        if isinstance(value, ast.Lambda):
            self._report(value, f"lambda passed to constructor `{callee}`{where}; {_ADVICE}")
        elif isinstance(value, ast.Name) and self._is_function(value.id):
            self._report(
                value, f"function `{value.id}` passed to constructor `{callee}`{where}; {_ADVICE}"
            )

    def _is_function(self, name: str) -> bool:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return False

    def _report(self, node: ast.AST, message: str) -> None:
        line = getattr(node, "lineno", 1)
        self.findings.append(
            Finding(rule=Rule.CALLBACK_INJECTION, path=self.path, line=line, message=message)
        )
