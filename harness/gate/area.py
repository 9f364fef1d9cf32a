"""The package area under inspection: where it is, how it imports, what it holds.

Use :func:`locate_package` once to turn the configured ``area`` path into a
:class:`~harness.gate.types.PackageLocation`, then :func:`load_modules` to read
and parse every module of it exactly once for all the checks. The two small
readers of those trees that several checks share live here too.
"""

from __future__ import annotations

import ast
import os
import warnings
from pathlib import Path

from harness.errors import InvalidConfigError
from harness.gate.types import AreaModule, PackageLocation

__all__ = [
    "dotted_name",
    "load_modules",
    "locate_package",
    "module_ownership",
    "terminal_name",
    "without_docstring",
]

_NO_DOCSTRING = "(no docstring)"


def locate_package(
    project_root: Path, area: str, *, source: Path | str, key: str
) -> PackageLocation:
    """Find the import root and dotted name of the package directory ``area``.

    The import root is the project root, or its ``src`` directory when the area
    lies under it (a src layout); directories between the import root and the
    area without ``__init__.py`` are namespace packages.

    Raises InvalidConfigError (naming ``source`` and ``key``) when ``area`` is
    not a package directory inside the project root.
    """
    root = project_root.resolve()
    directory = (root / area).resolve()
    if not directory.is_relative_to(root) or directory == root:
        problem = f'"{area}" is not a directory inside the project root {root}'
        raise InvalidConfigError(source, key, problem)
    if not (directory / "__init__.py").is_file():
        problem = f'"{area}" is not a package directory (no {area}/__init__.py under {root})'
        raise InvalidConfigError(source, key, problem)
    src = root / "src"
    import_root = src if directory.is_relative_to(src) and directory != src else root
    parts = directory.relative_to(import_root).parts
    bad = [part for part in parts if not part.isidentifier()]
    if bad or not parts:
        problem = f'"{area}" cannot be imported as a dotted name from {import_root}'
        raise InvalidConfigError(source, key, problem)
    return PackageLocation(
        project_root=root,
        import_root=import_root,
        area=directory.relative_to(root).as_posix(),
        package=".".join(parts),
        top_package=parts[0],
    )


def dotted_name(location: PackageLocation, path: str) -> str | None:
    """The module name of ``path`` (relative to the project root), or ``None`` if not importable."""
    absolute = (location.project_root / path).resolve()
    if absolute.suffix != ".py" or not absolute.is_relative_to(location.import_root):
        return None
    parts = list(absolute.relative_to(location.import_root).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    if not parts or not all(part.isidentifier() for part in parts):
        return None
    return ".".join(parts)


def load_modules(location: PackageLocation) -> tuple[AreaModule, ...]:
    """Read and parse every ``.py`` file under the area, recursively, sorted by path.

    Hidden directories and ``__pycache__`` are skipped. A file that does not
    parse is still returned, with ``tree=None`` and the line of the error.
    """
    found: list[Path] = []
    for directory, subdirectories, files in os.walk(location.project_root / location.area):
        subdirectories[:] = [
            name for name in subdirectories if not name.startswith(".") and name != "__pycache__"
        ]
        found.extend(Path(directory) / name for name in files if name.endswith(".py"))
    return tuple(_read_module(location, absolute) for absolute in sorted(found))


def _read_module(location: PackageLocation, absolute: Path) -> AreaModule:
    path = absolute.relative_to(location.project_root).as_posix()
    text = absolute.read_text(encoding="utf-8", errors="replace")
    name = dotted_name(location, path) or path
    try:
        # Source warnings (an invalid escape, say) are the module's business,
        # not the gate's; under ``-W error`` they would abort the whole check.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree: ast.Module | None = ast.parse(text, filename=path)
        error_line = 0
    except SyntaxError as error:
        tree, error_line = None, error.lineno or 1
    except ValueError:  # source with NUL bytes
        tree, error_line = None, 1
    return AreaModule(
        path=path,
        name=name,
        text=text,
        lines=len(text.splitlines()),
        tree=tree,
        error_line=error_line,
    )


def module_ownership(module: AreaModule) -> str:
    """The first line of the module docstring: what the module owns, in its own words."""
    if module.tree is None:
        return _NO_DOCSTRING
    docstring = ast.get_docstring(module.tree)
    if not docstring:
        return _NO_DOCSTRING
    first = docstring.strip().splitlines()[0].strip()
    return first or _NO_DOCSTRING


def without_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    """A module, class or function body without its leading docstring."""
    first = body[0] if body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return body[1:]
    return body


def terminal_name(node: ast.AST) -> str | None:
    """The last name of a dotted reference: ``Callable`` for ``typing.Callable``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None
