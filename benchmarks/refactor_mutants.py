"""Refactor-shaped mutants: the mistakes a refactor makes, as small diffs of one module each.

mutmut's operators model typos (a flipped operator, a changed constant). A
refactor makes other mistakes: statements reordered, one moved across an
``await``, a reset or an emit left behind, the raw value used where the
normalized one was meant, a call site that lost an argument and took the
default, the branches of an early return swapped. No mutation tool offers
those operators, so they are written here on libcst, the concrete-syntax-tree
library made for codemods: a mutant is the module re-rendered with one node
replaced, every other byte (comments, blank lines) kept, so its diff is as
small as the mistake.

Operators (:data:`OPERATORS`), each on the bodies of functions and methods
only (module and class bodies hold definitions, whose order no caller sees):

- ``swap-statements``: two adjacent statements of a block swapped, when they
  depend on each other (one writes what the other reads or writes, or one
  returns, raises, breaks or yields). Two statements that share no name
  commute, so no input tells the swap apart; the generator does not make it.
  A statement holding an ``await`` is left to the next operator.
- ``move-across-await``: a statement moved past the nearest statement of its
  block that awaits (an event emitted after the work it announced, a reset
  done after the suspension point instead of before).
- ``delete-call``: a statement that is a bare call (a reset, an append, an
  emit) deleted (``pass`` where the block would be empty).
- ``swap-local``: a name read replaced with another local of the same
  function that is bound at that point and derived from it or it from that
  one (``normalized = normalize(raw)``: ``raw`` where ``normalized`` was
  meant, or the reverse; an input and the output made of it).
- ``drop-default-kwarg``: a keyword argument dropped at a call site whose
  callee, a function or class of the area known by that name, has a default
  for it (every definition of the name must have it).
- ``swap-early-return``: the branches of an ``if`` whose body returns or
  raises swapped (with no ``else``, the condition negated, which is the same
  swap with the rest of the block as the other branch).

What a statement reads and writes (for ``swap-statements``) is read from its
text: a name or attribute path assigned, the receiver of a method call and
every name passed to a function (a builtin that changes none of its
arguments aside) count as written, every other path as read; two paths
conflict when one is a prefix of the other. Docstrings and bare annotations
run nothing and are never moved.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

import libcst as cst
from libcst.metadata import ExpressionContext, ExpressionContextProvider, MetadataWrapper, PositionProvider
from verdicts import changed_lines_digest

OPERATORS: Final = (
    "swap-statements",
    "move-across-await",
    "delete-call",
    "swap-local",
    "drop-default-kwarg",
    "swap-early-return",
)
CONTROL: Final = (cst.Return, cst.Raise, cst.Break, cst.Continue, cst.Yield, cst.Await)
NEVER_SWAPPED: Final = frozenset({"self", "cls"})
# Builtins that change none of their arguments.
PURE_BUILTINS: Final = frozenset(
    {"min", "max", "len", "isinstance", "issubclass", "tuple", "list", "dict", "set", "frozenset", "str", "int",
     "float", "bool", "sorted", "any", "all", "sum", "repr", "id", "type", "getattr", "hasattr", "iter", "range",
     "enumerate", "zip", "callable"}
)


@dataclass(frozen=True, slots=True)
class Mutant:
    """One refactor-shaped mistake: a unified diff of one module against the clean tree."""

    module: str
    """The module's path from the project root, ``harness/pipeline/executor.py``."""
    function: str
    """The qualified name of the function mutated, ``PipelineExecutor.run``."""
    operator: str
    line: int
    diff: str
    source: str
    """The whole mutated module."""

    occurrence: int = 1
    """1, or which of the function's mutants with the same operator and changed lines this is."""

    @property
    def key(self) -> str:
        """``OPERATOR:FUNCTION:DIGEST``: stable across moved lines (the digest is of the changed lines only).

        Two mutants of one function may change the same lines the same way (one
        name replaced on one of two identical lines): the later ones end in ``#N``.
        """
        key = f"{self.operator}:{self.function}:{changed_lines_digest(self.diff)}"
        return key if self.occurrence == 1 else f"{key}#{self.occurrence}"


# --- what a statement reads and writes ---------------------------------------------------------


def dotted(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a name or a chain of attributes on a name, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr.value}" if base is not None else None
    return None


def _root_path(node: cst.BaseExpression) -> str | None:
    while isinstance(node, cst.Subscript):
        node = node.value
    return dotted(node)


class _Effects(cst.CSTVisitor):
    """The paths one statement reads and writes, and whether it transfers control or awaits."""

    def __init__(self) -> None:
        self.reads: set[str] = set()
        self.writes: set[str] = set()
        self.control = False
        self.awaits = False

    def _write(self, target: cst.BaseExpression) -> None:
        for element in _targets(target):
            path = _root_path(element)
            if path is not None:
                self.writes.add(path)

    def visit_Name(self, node: cst.Name) -> bool:
        self.reads.add(node.value)
        return False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        path = dotted(node)
        if path is None:
            return True
        self.reads.add(path)
        return False

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._write(target.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._write(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._write(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._write(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        if isinstance(node.name, cst.BaseExpression):
            self._write(node.name)

    def visit_Del(self, node: cst.Del) -> None:
        self._write(node.target)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._write(node.target)

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Attribute):
            receiver = _root_path(node.func.value)
            if receiver is not None:
                self.writes.add(receiver)
            return  # a method changes its receiver; its arguments are read
        if isinstance(node.func, cst.Name) and node.func.value in PURE_BUILTINS:
            return
        for argument in node.args:
            path = _root_path(argument.value)
            if path is not None:
                self.writes.add(path)

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, CONTROL):
            self.control = True
        if isinstance(node, cst.Await):
            self.awaits = True
        if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            return False
        return super().on_visit(node)


def _targets(target: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    if isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from _targets(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from _targets(target.value)
    else:
        yield target


def effects(statement: cst.CSTNode) -> _Effects:
    visitor = _Effects()
    statement.visit(visitor)
    return visitor


def _overlap(left: set[str], right: set[str]) -> bool:
    return any(a == b or a.startswith(b + ".") or b.startswith(a + ".") for a in left for b in right)


def dependent(first: cst.CSTNode, second: cst.CSTNode) -> bool:
    """Whether swapping the two statements may change what the block does."""
    a, b = effects(first), effects(second)
    if a.control or b.control:
        return True
    return _overlap(a.writes, b.reads | b.writes) or _overlap(b.writes, a.reads)


def _inert(statement: cst.BaseStatement) -> bool:
    """A docstring or a bare annotation (``name: T``): it runs nothing, so moving it changes nothing."""
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
        return False
    small = statement.body[0]
    return (isinstance(small, cst.AnnAssign) and small.value is None) or _is_docstring(statement)


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _bare_call(statement: cst.BaseStatement) -> bool:
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
        return False
    small = statement.body[0]
    if not isinstance(small, cst.Expr):
        return False
    value = small.value.expression if isinstance(small.value, cst.Await) else small.value
    return isinstance(value, cst.Call)


def _ends_early(body: cst.BaseSuite) -> bool:
    statements: Sequence[cst.CSTNode] = body.body
    last = statements[-1] if statements else None
    if isinstance(last, cst.SimpleStatementLine):
        last = last.body[-1]
    return isinstance(last, (cst.Return, cst.Raise))


# --- the sites of one module ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Site:
    operator: str
    function: str
    old: cst.CSTNode
    new: cst.CSTNode


class _Collector(cst.CSTVisitor):
    """Walks a module and records every mutation site, in source order, inside functions."""

    METADATA_DEPENDENCIES = (PositionProvider, ExpressionContextProvider)

    def __init__(self, defaults: dict[str, frozenset[str]]) -> None:
        self.defaults = defaults
        self.sites: list[_Site] = []
        self._scopes: list[tuple[str, bool]] = []  # (name, is a function)

    @property
    def _function(self) -> str | None:
        if not any(is_function for _, is_function in self._scopes):
            return None
        return ".".join(name for name, _ in self._scopes)

    def _add(self, operator: str, old: cst.CSTNode, new: cst.CSTNode) -> None:
        function = self._function
        if function is not None:
            self.sites.append(_Site(operator, function, old, new))

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._scopes.append((node.name.value, False))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._scopes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scopes.append((node.name.value, True))
        self._swap_locals(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._scopes.pop()

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        if self._function is None:
            return
        body = list(node.body)
        self._swaps(node, body)
        self._moves(node, body)
        for index, statement in enumerate(body):
            if _bare_call(statement):
                rest = body[:index] + body[index + 1 :]
                self._add("delete-call", node, node.with_changes(body=rest or [cst.SimpleStatementLine([cst.Pass()])]))

    def _swaps(self, block: cst.IndentedBlock, body: list[cst.BaseStatement]) -> None:
        for index in range(len(body) - 1):
            first, second = body[index], body[index + 1]
            if _inert(first) or _inert(second) or effects(first).awaits or effects(second).awaits:
                continue
            if dependent(first, second):
                swapped = [*body[:index], second, first, *body[index + 2 :]]
                self._add("swap-statements", block, block.with_changes(body=swapped))

    def _moves(self, block: cst.IndentedBlock, body: list[cst.BaseStatement]) -> None:
        awaiting = [index for index, statement in enumerate(body) if effects(statement).awaits]
        if not awaiting:
            return
        for index, statement in enumerate(body):
            if index in awaiting or _inert(statement):
                continue
            nearest = min(awaiting, key=lambda other: (abs(other - index), other < index))
            rest = [other for other in body if other is not statement]
            at = rest.index(body[nearest])
            moved = rest[: at + 1] + [statement] + rest[at + 1 :] if nearest > index else rest[:at] + [statement] + rest[at:]
            self._add("move-across-await", block, block.with_changes(body=moved))

    def visit_Call(self, node: cst.Call) -> None:
        callee = node.func.attr.value if isinstance(node.func, cst.Attribute) else getattr(node.func, "value", None)
        defaulted = self.defaults.get(callee, frozenset()) if isinstance(callee, str) else frozenset()
        for index, argument in enumerate(node.args):
            if argument.keyword is not None and argument.keyword.value in defaulted:
                rest = [*node.args[:index], *node.args[index + 1 :]]
                if rest and index == len(node.args) - 1:
                    rest[-1] = rest[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                self._add("drop-default-kwarg", node, node.with_changes(args=rest))

    def visit_If(self, node: cst.If) -> None:
        if not _ends_early(node.body):
            return
        if isinstance(node.orelse, cst.Else):
            swapped = node.with_changes(body=node.orelse.body, orelse=node.orelse.with_changes(body=node.body))
        elif isinstance(node.orelse, cst.If):
            swapped = node.with_changes(
                body=cst.IndentedBlock([node.orelse]), orelse=cst.Else(body=node.body)
            )
        else:
            test = node.test.with_changes(lpar=[cst.LeftParen(), *node.test.lpar], rpar=[*node.test.rpar, cst.RightParen()])
            swapped = node.with_changes(test=cst.UnaryOperation(cst.Not(), test))
        self._add("swap-early-return", node, swapped)

    # --- swap-local ---

    def _swap_locals(self, function: cst.FunctionDef) -> None:
        bound: dict[str, int] = {}
        for parameter in _parameters(function.params):
            bound.setdefault(parameter, 0)
        derived: dict[str, set[str]] = {}
        for target, value, line in _bindings(function, self.get_metadata):
            bound.setdefault(target, line)
            if value is not None:
                derived.setdefault(target, set()).update(_names(value))
        related: dict[str, set[str]] = {}
        for target, sources in derived.items():
            for source in sources & bound.keys():
                if source != target and not {source, target} & NEVER_SWAPPED:
                    related.setdefault(target, set()).add(source)
                    related.setdefault(source, set()).add(target)
        if not related:
            return
        for name in _reads(function, self.get_metadata):
            line = self.get_metadata(PositionProvider, name).start.line
            for other in sorted(related.get(name.value, ())):
                if bound[other] < line:
                    self._add("swap-local", name, name.with_changes(value=other))


def _parameters(params: cst.Parameters) -> Iterator[str]:
    for parameter in (*params.posonly_params, *params.params, *params.kwonly_params):
        yield parameter.name.value
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            yield star.name.value


class _Own(cst.CSTVisitor):
    """Visits a function's own body: nested functions, lambdas and classes are other scopes."""

    def __init__(self, root: cst.FunctionDef) -> None:
        self.root = root

    def on_visit(self, node: cst.CSTNode) -> bool:
        if node is not self.root and isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            return False
        return super().on_visit(node)


def _bindings(function: cst.FunctionDef, metadata) -> list[tuple[str, cst.BaseExpression | None, int]]:  # noqa: ANN001
    """Each local name bound by the function's own body, with the value it is bound to and the line."""
    found: list[tuple[str, cst.BaseExpression | None, int]] = []

    class Visitor(_Own):
        def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression | None, node: cst.CSTNode) -> None:
            if isinstance(target, (cst.Tuple, cst.List)) and isinstance(value, (cst.Tuple, cst.List)):
                if len(target.elements) == len(value.elements):
                    for left, right in zip(target.elements, value.elements, strict=True):
                        self._bind(left.value, right.value, node)
                    return
            for element in _targets(target):
                if isinstance(element, cst.Name):
                    found.append((element.value, value, metadata(PositionProvider, node).start.line))

        def visit_Assign(self, node: cst.Assign) -> None:
            for target in node.targets:
                self._bind(target.target, node.value, node)

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            self._bind(node.target, node.value, node)

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            self._bind(node.target, node.value, node)

        def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
            self._bind(node.target, node.value, node)

        def visit_For(self, node: cst.For) -> None:
            self._bind(node.target, node.iter, node)

        def visit_CompFor(self, node: cst.CompFor) -> bool:
            return False  # a comprehension's variables are its own

        def visit_WithItem(self, node: cst.WithItem) -> None:
            if node.asname is not None and isinstance(node.asname.name, cst.BaseExpression):
                self._bind(node.asname.name, node.item, node)

    function.visit(Visitor(function))
    return found


def _names(value: cst.CSTNode) -> set[str]:
    names: set[str] = set()

    class Visitor(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            names.add(node.value)

        def visit_Attribute(self, node: cst.Attribute) -> bool:
            node.value.visit(self)
            return False

        def visit_Arg(self, node: cst.Arg) -> bool:
            node.value.visit(self)
            return False

    value.visit(Visitor())
    return names


def _reads(function: cst.FunctionDef, metadata) -> list[cst.Name]:  # noqa: ANN001
    """The names the function's own body reads as values, in source order.

    Never an attribute's or a keyword's name, nor a name an attribute is read
    from, that is indexed or called.
    """
    found: list[cst.Name] = []

    class Visitor(_Own):
        def visit_Name(self, node: cst.Name) -> None:
            if metadata(ExpressionContextProvider, node, None) is ExpressionContext.LOAD:
                found.append(node)

        def visit_Attribute(self, node: cst.Attribute) -> bool:
            self._inner(node.value)
            return False

        def visit_Subscript(self, node: cst.Subscript) -> bool:
            self._inner(node.value)
            for element in node.slice:
                element.visit(self)
            return False

        def visit_Call(self, node: cst.Call) -> bool:
            self._inner(node.func)
            for argument in node.args:
                argument.value.visit(self)
            return False

        def _inner(self, node: cst.BaseExpression) -> None:
            # A name an attribute is read from, indexed or called stays: another
            # local there fails at once (no such attribute), which no refactor leaves.
            if not isinstance(node, cst.Name):
                node.visit(self)

        def visit_Annotation(self, node: cst.Annotation) -> bool:
            return False

        def visit_Decorator(self, node: cst.Decorator) -> bool:
            return False

        def visit_Parameters(self, node: cst.Parameters) -> bool:
            return False

        def visit_CompFor(self, node: cst.CompFor) -> bool:
            return False

    function.body.visit(Visitor(function))
    return found


# --- defaults of the area's callees ------------------------------------------------------------


def keyword_defaults(sources: Sequence[str]) -> dict[str, frozenset[str]]:
    """Per callee name, the keywords every definition of that name has a default for.

    A function's parameters with a default, and a class's: its ``__init__``'s,
    else its fields with a value (dataclasses).
    """
    seen: dict[str, list[frozenset[str]]] = {}
    for source in sources:
        module = cst.parse_module(source)
        for statement in module.body:
            for name, keywords in _definitions(statement):
                seen.setdefault(name, []).append(keywords)
    return {name: frozenset.intersection(*options) for name, options in seen.items()}


def _definitions(statement: cst.CSTNode) -> Iterator[tuple[str, frozenset[str]]]:
    if isinstance(statement, cst.FunctionDef):
        yield statement.name.value, _defaulted(statement.params)
    elif isinstance(statement, cst.ClassDef):
        fields: set[str] = set()
        init: frozenset[str] | None = None
        for member in statement.body.body:
            if isinstance(member, cst.FunctionDef):
                if member.name.value == "__init__":
                    init = _defaulted(member.params)
                yield from _definitions(member)
            elif isinstance(member, cst.SimpleStatementLine):
                for small in member.body:
                    if isinstance(small, cst.AnnAssign) and small.value is not None and isinstance(small.target, cst.Name):
                        fields.add(small.target.value)
        yield statement.name.value, init if init is not None else frozenset(fields)


def _defaulted(params: cst.Parameters) -> frozenset[str]:
    return frozenset(
        parameter.name.value for parameter in (*params.params, *params.kwonly_params) if parameter.default is not None
    )


# --- mutants --------------------------------------------------------------------------------------


def mutants(module: str, source: str, defaults: dict[str, frozenset[str]], operators: Sequence[str] = OPERATORS) -> list[Mutant]:
    """Every mutant of one module's source, in source order, one per distinct mutated text.

    A mutant whose text another operator made first, or that equals the
    source, is left out.
    """
    wrapper = MetadataWrapper(cst.parse_module(source))
    collector = _Collector(defaults)
    wrapper.visit(collector)
    made: list[Mutant] = []
    texts = {source}
    positions = wrapper.resolve(PositionProvider)
    for operator in OPERATORS:
        if operator not in operators:
            continue
        for site in (site for site in collector.sites if site.operator == operator):
            text = wrapper.module.deep_replace(site.old, site.new).code
            if text in texts:
                continue
            texts.add(text)
            line = positions[site.old].start.line
            made.append(Mutant(module, site.function, operator, line, unified_diff(module, source, text), text))
    occurrences: dict[str, int] = {}
    for index, mutant in enumerate(made):
        occurrences[mutant.key] = occurrences.get(mutant.key, 0) + 1
        if occurrences[mutant.key] > 1:
            made[index] = replace(mutant, occurrence=occurrences[mutant.key])
    return made


def unified_diff(module: str, before: str, after: str) -> str:
    """``git apply``'s format: ``a/`` and ``b/`` paths from the project root, three lines of context."""
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{module}", f"b/{module}"
        )
    )


def area_mutants(
    root: Path, modules: Sequence[str], operators: Sequence[str] = OPERATORS, *, callees: Sequence[str] = ()
) -> list[Mutant]:
    """The mutants of the named modules (paths from ``root``); callee defaults from them and ``callees``."""
    sources = {module: (root / module).read_text(encoding="utf-8") for module in modules}
    known = [(root / module).read_text(encoding="utf-8") for module in sorted({*modules, *callees})]
    defaults = keyword_defaults(known)
    return [mutant for module, source in sources.items() for mutant in mutants(module, source, defaults, operators)]
