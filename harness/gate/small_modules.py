"""The ``small-module`` guardrail: no runtime module under the line minimum.

Two kinds of module may be small, and the kind is read from the syntax tree,
never from the file name:

* a *re-export barrel* holds only a docstring, imports, ``__all__`` and
  constant module metadata such as ``__version__ = "1.0"``;
* a *pure type-definition* module holds, besides those, only classes without
  behaviour (fields, constants, ``...``-bodied methods as in a Protocol,
  exception classes), type aliases and ``TypeVar``-style declarations.

Lines are physical lines of the file, blank lines and comments included.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from harness.gate.area import terminal_name, without_docstring
from harness.gate.types import AllowedSmallModule, AreaModule, Finding, Rule

__all__ = ["BARREL", "PURE_TYPES", "check_small_modules", "classify_module"]

BARREL = "re-export barrel"
PURE_TYPES = "pure type definitions"

# Calls whose result is a type, not a value: ``T = TypeVar("T")``.
_TYPE_FACTORIES = frozenset({"TypeVar", "ParamSpec", "TypeVarTuple", "NewType"})
# Calls allowed as a field default or enum member: ``x: list[int] = field(default_factory=list)``.
_FIELD_FACTORIES = frozenset({"field", "auto"})


def classify_module(tree: ast.Module) -> str | None:
    """:data:`BARREL`, :data:`PURE_TYPES`, or ``None`` for a module with behaviour."""
    body = without_docstring(tree.body)
    if all(_is_reexport_statement(statement) for statement in body):
        return BARREL
    if all(
        _is_reexport_statement(statement) or _is_type_statement(statement) for statement in body
    ):
        return PURE_TYPES
    return None


def check_small_modules(
    modules: Sequence[AreaModule], minimum: int
) -> tuple[list[Finding], list[AllowedSmallModule]]:
    """Findings for small runtime modules, and the small modules the rule allows."""
    findings: list[Finding] = []
    allowed: list[AllowedSmallModule] = []
    for module in modules:
        if module.tree is None or module.lines >= minimum:
            continue
        kind = classify_module(module.tree)
        if kind is not None:
            allowed.append(AllowedSmallModule(path=module.path, lines=module.lines, kind=kind))
            continue
        message = (
            f"runtime module has {module.lines} lines, under the minimum of {minimum}; "
            "fold it into the module whose concept it serves, "
            "or keep only type definitions or re-exports in it"
        )
        findings.append(Finding(Rule.SMALL_MODULE, module.path, 1, message))
    return findings, allowed


def _is_reexport_statement(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Import | ast.ImportFrom):
        return True
    if isinstance(statement, ast.If):
        # ``if TYPE_CHECKING:`` imports exist only for the type checker.
        return (
            terminal_name(statement.test) == "TYPE_CHECKING"
            and not statement.orelse
            and all(isinstance(inner, ast.Import | ast.ImportFrom) for inner in statement.body)
        )
    if isinstance(statement, ast.Assign | ast.AugAssign | ast.AnnAssign):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        names = [target.id if isinstance(target, ast.Name) else "" for target in targets]
        if names == ["__all__"]:
            return True
        metadata = all(name.startswith("__") and name.endswith("__") for name in names)
        return metadata and isinstance(statement.value, ast.Constant)
    return False


def _is_type_statement(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.ClassDef):
        return _is_type_only_class(statement)
    type_alias = getattr(ast, "TypeAlias", None)  # ``type X = ...`` from Python 3.12 on
    if type_alias is not None and isinstance(statement, type_alias):
        return True
    if isinstance(statement, ast.AnnAssign):
        # ``Alias: TypeAlias = int | str``
        return terminal_name(statement.annotation) == "TypeAlias" and statement.value is not None
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        return isinstance(statement.targets[0], ast.Name) and _is_type_expression(statement.value)
    return False


def _is_type_expression(node: ast.expr) -> bool:
    """A value that only names types: ``A | None``, ``Literal["x"]``, ``TypeVar("T")``."""
    if isinstance(node, ast.Call):
        return terminal_name(node.func) in _TYPE_FACTORIES
    if isinstance(node, ast.Subscript):
        return _is_type_operand(node.value) and _is_type_operand(node.slice)
    if isinstance(node, ast.BinOp):
        return (
            isinstance(node.op, ast.BitOr)
            and _is_type_operand(node.left)
            and _is_type_operand(node.right)
        )
    return isinstance(node, ast.Name | ast.Attribute)


def _is_type_operand(node: ast.expr) -> bool:
    if isinstance(node, ast.Name | ast.Attribute):
        return True
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str | int | bool | bytes) or node.value in (None, Ellipsis)
    if isinstance(node, ast.Tuple | ast.List):
        return all(_is_type_operand(element) for element in node.elts)
    if isinstance(node, ast.Subscript | ast.BinOp):
        return _is_type_expression(node)
    return False


def _is_type_only_class(node: ast.ClassDef) -> bool:
    return all(_is_type_only_member(statement) for statement in without_docstring(node.body))


def _is_type_only_member(statement: ast.stmt) -> bool:
    if _is_stub_statement(statement):
        return True
    if isinstance(statement, ast.AnnAssign):
        return statement.value is None or _is_simple_value(statement.value)
    if isinstance(statement, ast.Assign):
        return _is_simple_value(statement.value)
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
        body = without_docstring(statement.body)
        return all(_is_stub_statement(inner) for inner in body) or _is_recording_init(statement)
    if isinstance(statement, ast.ClassDef):
        return _is_type_only_class(statement)
    return False


def _is_recording_init(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """An ``__init__`` that only records its arguments and calls ``super().__init__``.

    Exception classes that keep the offending file or key as attributes are
    still type definitions: their constructor decides nothing.
    """
    if function.name != "__init__":
        return False
    for statement in without_docstring(function.body):
        if isinstance(statement, ast.Assign | ast.AnnAssign):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            if not all(_is_record_target(target) for target in targets):
                return False
        elif not _is_super_init_call(statement):
            return False
    return True


def _is_record_target(target: ast.expr) -> bool:
    if isinstance(target, ast.Name):
        return True
    return isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self"


def _is_super_init_call(statement: ast.stmt) -> bool:
    if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)):
        return False
    callee = statement.value.func
    return (
        isinstance(callee, ast.Attribute)
        and callee.attr == "__init__"
        and isinstance(callee.value, ast.Call)
        and isinstance(callee.value.func, ast.Name)
        and callee.value.func.id == "super"
    )


def _is_stub_statement(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Pass):
        return True
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and statement.value.value is Ellipsis
    )


def _is_simple_value(node: ast.expr) -> bool:
    """A constant, a name, a collection of those, or a ``field(...)``/``auto()`` call."""
    if isinstance(node, ast.Constant | ast.Name | ast.Attribute):
        return True
    if isinstance(node, ast.UnaryOp):
        return _is_simple_value(node.operand)
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return all(_is_simple_value(element) for element in node.elts)
    if isinstance(node, ast.Call):
        return (
            terminal_name(node.func) in _FIELD_FACTORIES
            and all(_is_simple_value(argument) for argument in node.args)
            and all(_is_simple_value(keyword.value) for keyword in node.keywords)
        )
    return _is_type_expression(node)
