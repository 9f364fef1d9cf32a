"""Turn an area's modules into a self-contained package: the import closure, imports made relative.

:func:`generate_snapshot` takes the area's files (from an
:class:`~harness.snapshot.sources.AreaSource`), the kept modules and the
executor entry, and returns the files of a package that imports only itself
and the standard library:

- the closure of the modules the executor entry and the area's barrel need;
- each ``from <area> import ...`` and ``from <area>.x import ...`` rewritten
  to the relative ``from . import ...`` / ``from .x import ...``, on its own
  line and nothing else touched, so the copy reads like the original;
- a generated barrel re-exporting the area barrel's names plus the entry as
  ``ReferenceExecutor``;
- the kept modules, which win over area modules of the same name and come
  out unchanged unless they import the area absolutely (then rewritten alike).

Every result is parsed again and checked: an absolute import of anything but
the standard library (the harness, the area under another spelling, a third
party) raises :class:`~harness.errors.SnapshotError` naming the file and line.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final, final

from harness.errors import SnapshotError
from harness.snapshot.manifest import ExecutorEntry

__all__ = ["REFERENCE_NAME", "check_self_contained", "generate_snapshot"]

REFERENCE_NAME: Final = "ReferenceExecutor"
BARREL: Final = "__init__.py"


@final
@dataclass(frozen=True, slots=True)
class _Module:
    """One module of the area: its path inside the area, dotted name and parsed source."""

    path: str
    name: str
    is_package: bool
    text: str
    tree: ast.Module

    @property
    def package_parts(self) -> tuple[str, ...]:
        """The parts of the package this module's relative imports start from."""
        parts = tuple(self.name.split(".")) if self.name else ()
        return parts if self.is_package else parts[:-1]


def _parse(path: str, source: bytes, *, where: str) -> _Module:
    parts = path.removesuffix(".py").split("/")
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    text = source.decode("utf-8")
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        raise SnapshotError(f"{where}/{path}:{exc.lineno}: does not parse: {exc.msg}") from None
    return _Module(path, ".".join(parts), is_package, text, tree)


def _resolve(module: _Module, node: ast.ImportFrom, package: str) -> str | None:
    """The dotted name inside the area that ``node`` imports from, or ``None`` if not the area."""
    if node.level:
        base = module.package_parts[: len(module.package_parts) - (node.level - 1)]
        return ".".join((*base, *(node.module.split(".") if node.module else ())))
    name = node.module or ""
    if name == package:
        return ""
    if name.startswith(package + "."):
        return name[len(package) + 1:]
    return None


def _imported_modules(module: _Module, package: str, known: Mapping[str, _Module]) -> Iterator[str]:
    """The area modules ``module`` imports (a name imported from a package counts if it is a module)."""
    for node in ast.walk(module.tree):
        if isinstance(node, ast.ImportFrom):
            target = _resolve(module, node, package)
            if target is None:
                continue
            yield target
            for alias in node.names:
                child = f"{target}.{alias.name}" if target else alias.name
                if child in known:
                    yield child


def _closure(roots: list[str], package: str, known: Mapping[str, _Module], *, where: str) -> list[str]:
    seen: set[str] = set()
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        if name not in known:
            raise SnapshotError(f"{where}: no module {name or '__init__'} in the area")
        seen.add(name)
        parts = name.split(".")
        pending.extend(".".join(parts[:depth]) for depth in range(1, len(parts)))  # parent packages
        if name:  # the area barrel is replaced by the generated one, not copied
            pending.extend(_imported_modules(known[name], package, known))
    seen.discard("")
    return sorted(seen)


def _top_level_names(tree: ast.Module) -> set[str]:
    """The names a module binds at its top level: classes, functions, assignments and imports."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(target.id for target in targets if isinstance(target, ast.Name))
    return names


def _relative_import(module: _Module, target: str) -> str:
    dots = "." * (len(module.package_parts) + 1)
    return f"from {dots}{target}"


def _rewrite(module: _Module, package: str, *, where: str) -> str:
    """``module``'s text with every absolute import of the area made relative."""
    lines = module.text.splitlines(keepends=True)
    spelled = re.compile(r"from\s+" + re.escape(package) + r"(?:\.(?P<rest>[\w.]+))?(?=\s+import\b)")
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == package or alias.name.startswith(package + "."):
                    raise SnapshotError(
                        f"{where}/{module.path}:{node.lineno}: `import {alias.name}` cannot be made relative; "
                        f"write `from {package} import ...`"
                    )
        if not isinstance(node, ast.ImportFrom) or node.level or _resolve(module, node, package) is None:
            continue
        index = node.lineno - 1
        line = lines[index]
        found = spelled.match(line, node.col_offset)
        if found is None:
            raise SnapshotError(f"{where}/{module.path}:{node.lineno}: cannot rewrite this import of {package}")
        replacement = _relative_import(module, found.group("rest") or "")
        lines[index] = line[: found.start()] + replacement + line[found.end():]
    return "".join(lines)


def check_self_contained(path: str, text: str, *, where: str) -> None:
    """Raise :class:`SnapshotError` if ``text`` imports anything but itself (relatively) and the standard library."""
    tree = ast.parse(text, filename=path)
    for node in ast.walk(tree):
        names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""]
        for name in names:
            if name.split(".")[0] not in sys.stdlib_module_names:
                raise SnapshotError(
                    f"{where}/{path}:{node.lineno}: imports {name}, outside the area and the standard library"
                )


def _barrel(area_barrel: _Module, package: str, entry: ExecutorEntry) -> tuple[str, set[str]]:
    """The generated ``__init__.py`` and the modules it imports."""
    exports: dict[str, list[tuple[str, str]]] = {}
    for node in area_barrel.tree.body:
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            target = _resolve(area_barrel, node, package)
            if target is None:
                continue
            for alias in node.names:
                public = alias.asname or alias.name
                if public != REFERENCE_NAME:
                    exports.setdefault(target, []).append((alias.name, public))
    exports.setdefault(entry.module, []).append((entry.attribute, REFERENCE_NAME))
    lines = [
        f'"""The frozen reference executor: a self-contained snapshot of ``{package}``.',
        "",
        "Generated by ``harness freeze``: do not edit. MANIFEST.json records the source",
        "revision and pins every file; modules listed there as kept are carried over by",
        "every freeze. The package imports only itself and the standard library.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
    ]
    public_names: list[str] = []
    for target in sorted(exports):
        spelled = [name if name == public else f"{name} as {public}" for name, public in exports[target]]
        line = f"from .{target} import {', '.join(spelled)}"
        lines += [line] if len(line) <= 100 else [f"from .{target} import ("] + [f"    {s}," for s in spelled] + [")"]
        public_names.extend(public for _, public in exports[target])
    lines += ["", "__all__ = ["] + [f'    "{name}",' for name in sorted(set(public_names))] + ["]", ""]
    return "\n".join(lines), set(exports)


def generate_snapshot(
    area_files: Mapping[str, bytes],
    *,
    package: str,
    entry: ExecutorEntry,
    kept: Mapping[str, bytes],
    where: str,
) -> dict[str, bytes]:
    """The files of the self-contained snapshot, by path inside it (the manifest not included).

    ``package`` is the area's dotted name (``harness.pipeline``); ``kept``
    maps kept file names to their bytes, which win over an area module of the
    same name; ``where`` names the source in messages.
    """
    if BARREL not in area_files:
        raise SnapshotError(f"{where}: the area has no {BARREL}")
    modules = {m.name: m for m in (_parse(p, s, where=where) for p, s in area_files.items() if p != BARREL)}
    modules[""] = _parse(BARREL, area_files[BARREL], where=where)
    kept_modules = {m.name: m for m in (_parse(p, s, where="kept") for p, s in kept.items())}
    known = {**modules, **kept_modules}
    if entry.module not in known:
        raise SnapshotError(f"{where}: executor entry {entry}: no module {entry.module} in the area or kept")
    if entry.attribute not in _top_level_names(known[entry.module].tree):
        raise SnapshotError(f"{where}: executor entry {entry}: {known[entry.module].path} defines no {entry.attribute}")
    barrel_text, barrel_imports = _barrel(modules[""], package, entry)
    roots = [entry.module, *sorted(barrel_imports), *sorted(kept_modules)]
    included = _closure(roots, package, known, where=where)
    files: dict[str, bytes] = {BARREL: barrel_text.encode("utf-8")}
    for name in included:
        module = known[name]
        # A kept module is normally relative already and comes out unchanged;
        # one merged with absolute area imports gets them rewritten too.
        files[module.path] = _rewrite(module, package, where="kept" if name in kept_modules else where).encode()
    for path, source in files.items():
        check_self_contained(path, source.decode("utf-8"), where=where)
    return files
