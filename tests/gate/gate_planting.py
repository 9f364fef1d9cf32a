"""Planted projects for the gate tests: a small package in a temporary root, maybe under git."""

from __future__ import annotations

import ast
import json
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

from harness.gate.types import AreaModule
from harness.snapshot import DEFAULT_ENTRY, Manifest, file_digests, render_manifest

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)
    return str(value)


def padded(text: str, lines: int = 60) -> str:
    """``text`` (dedented) with comment lines appended up to ``lines`` lines."""
    body = textwrap.dedent(text).strip("\n").splitlines()
    body += [f"# padding {index}" for index in range(len(body), lines)]
    return "\n".join(body) + "\n"


class PlantedProject:
    """A project root holding one uniquely named package with an area ``<package>/core``."""

    def __init__(self, root: Path, package: str) -> None:
        self.root = root
        self.package = package
        self.area = f"{package}/core"
        self.write(f"{package}/__init__.py", '"""The planted package."""\n')
        self.write(f"{self.area}/__init__.py", '"""The planted area."""\n')

    @staticmethod
    def command(code: str) -> str:
        """A shell command running Python ``code`` with this interpreter."""
        return f"{shlex.quote(sys.executable)} -c {shlex.quote(code)}"

    @staticmethod
    def padded(text: str, lines: int = 60) -> str:
        """``text`` (dedented) with comment lines appended up to ``lines`` lines."""
        return padded(text, lines)

    def __repr__(self) -> str:
        return f"PlantedProject({str(self.root)!r}, {self.package!r})"

    def write(self, relative: str, text: str) -> str:
        """Write ``text`` (dedented) to ``relative`` under the root; return ``relative``."""
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return relative

    def module(self, name: str, text: str, *, lines: int = 60) -> str:
        """Write ``<area>/<name>.py``, padded to ``lines`` lines; return its path."""
        return self.write(f"{self.area}/{name}.py", padded(text, lines))

    def configure(self, **gate: object) -> None:
        """Write ``pyproject.toml`` with ``[tool.harness.gate]``; ``area`` defaults to the area."""
        gate.setdefault("area", self.area)
        lines = ["[project]", 'name = "planted"', "", "[tool.harness.gate]"]
        lines += [f"{key} = {toml_value(value)}" for key, value in gate.items()]
        self.write("pyproject.toml", "\n".join(lines) + "\n")

    def snapshot(self, modules: dict[str, str], *, name: str = "frozen", source_revision: str = "HEAD") -> str:
        """Write a frozen snapshot package ``<package>/<name>`` with ``modules`` and its manifest; return its path.

        ``source_revision`` is where the phase started, the gate's default base
        (``HEAD``: the last commit before the gate runs).
        """
        directory = f"{self.package}/{name}"
        files = {"__init__.py": '"""The frozen snapshot."""\n'}
        files.update((path, textwrap.dedent(text)) for path, text in modules.items())
        for path, text in files.items():
            self.write(f"{directory}/{path}", text)
        manifest = Manifest(
            area=self.area,
            source_revision=source_revision,
            executor=DEFAULT_ENTRY,
            files=file_digests({path: text.encode("utf-8") for path, text in files.items()}),
        )
        (self.root / directory / "MANIFEST.json").write_bytes(render_manifest(manifest))
        return directory

    def git(self, *arguments: str) -> str:
        completed = subprocess.run(
            [*GIT, *arguments], cwd=self.root, check=True, capture_output=True, text=True
        )
        return completed.stdout

    def commit(self, message: str = "planted") -> str:
        """Commit everything (initialising the repository once); return the commit hash."""
        if not (self.root / ".git").exists():
            self.git("init", "-q")
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()


def area_module(path: str, text: str) -> AreaModule:
    """An area module parsed from ``text`` (dedented), named after ``path``."""
    source = textwrap.dedent(text)
    name = path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
    return AreaModule(
        path=path,
        name=name,
        text=source,
        lines=len(source.splitlines()),
        tree=ast.parse(source),
    )
