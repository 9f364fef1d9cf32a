"""small-module: which modules may be short is read from the syntax tree."""

from __future__ import annotations

import ast
import textwrap

import pytest

from harness.gate.small_modules import BARREL, PURE_TYPES, check_small_modules, classify_module
from harness.gate.types import AllowedSmallModule, Finding

from gate_planting import area_module


def kind(source: str) -> str | None:
    return classify_module(ast.parse(textwrap.dedent(source)))


@pytest.mark.parametrize(
    "source",
    [
        "",
        '"""Only a docstring."""\n',
        '''\
        """The public surface."""

        from __future__ import annotations

        import pkg.a
        from pkg.b import B as B
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from pkg.c import C

        __all__ = ["B"]
        __all__ += ["C"]
        __version__ = "1.0"
        ''',
    ],
    ids=["empty", "docstring", "imports"],
)
def test_barrels_hold_only_imports_and_all(source: str) -> None:
    assert kind(source) == BARREL


def test_pure_type_definitions_are_recognised() -> None:
    source = '''\
        """Shared types."""

        import enum
        from dataclasses import dataclass, field
        from typing import Literal, Protocol, TypeAlias, TypeVar, Union

        T = TypeVar("T", bound="Base")
        Mode = Literal["fast", "slow"]
        Key = Union[int, str]
        Maybe = int | None
        Pair: TypeAlias = tuple[int, int]
        Table = dict[str, list["Base"]]


        class Base:
            """A base."""


        class Clock(Protocol):
            """Tells the time."""

            def now(self) -> float: ...

            async def sleep(self, seconds: float) -> None:
                """Waits."""


        @dataclass(frozen=True, slots=True)
        class Reading:
            at: float
            tags: list[str] = field(default_factory=list)
            unit: str = "ms"
            limit: int = -1


        class Colour(enum.Enum):
            RED = enum.auto()
            BLUE = "blue"


        class GateError(Exception):
            pass


        class Outer:
            class Inner:
                value: int
        '''
    assert kind(source) == PURE_TYPES


@pytest.mark.parametrize(
    "source",
    [
        "def helper() -> int:\n    return 1\n",
        "class Reading:\n    def total(self) -> int:\n        return 1\n",
        "class Reading:\n    @property\n    def total(self) -> int:\n        return self.x\n",
        "LIMIT = 3\n",
        "VALUES = [x for x in range(3)]\n",
        "class Reading:\n    total = compute()\n",
        "print('side effect')\n",
        "if TYPE_CHECKING:\n    x = 1\n",
        "T = make_type()\n",
        "class Reading:\n    items: list[int] = sorted([3, 1])\n",
        "__version__ = read_version()\n",
        "_cache = None\n",
        "class Failure(Exception):\n    def __init__(self, path):\n        self.path = path\n        log(path)\n",
        "class Failure(Exception):\n    def __init__(self, path):\n        registry[path] = self\n",
        "class Failure(Exception):\n    def describe(self):\n        self.text = str(self)\n",
    ],
    ids=[
        "function",
        "method",
        "property",
        "constant",
        "comprehension",
        "computed-class-attribute",
        "statement",
        "type-checking-assignment",
        "call-alias",
        "computed-field",
        "computed-metadata",
        "private-constant",
        "init-with-side-effect",
        "init-writing-elsewhere",
        "recording-method-not-init",
    ],
)
def test_modules_with_behaviour_are_runtime_modules(source: str) -> None:
    assert kind(source) is None


def test_exception_types_whose_constructor_only_records_fields_are_type_definitions() -> None:
    source = '''\
        """Errors."""

        class InvalidFile(ValueError):
            """A file is malformed."""

            def __init__(self, path: str, key: str) -> None:
                self.path = str(path)
                self.key = key
                where = f"{path}: {key}" if key else path
                super().__init__(where)
        '''
    assert kind(source) == PURE_TYPES


def test_small_runtime_modules_are_findings_and_small_type_modules_are_allowed() -> None:
    modules = [
        area_module("pkg/__init__.py", '"""Barrel."""\nfrom pkg.types import T\n'),
        area_module("pkg/types.py", '"""Types."""\nclass T:\n    x: int\n'),
        area_module("pkg/tiny.py", '"""Tiny."""\n\ndef f() -> int:\n    return 1\n'),
        area_module("pkg/big.py", '"""Big."""\n' + "x = 1\n" * 10),
    ]

    findings, allowed = check_small_modules(modules, minimum=5)

    assert findings == [
        Finding(
            "small-module",
            "pkg/tiny.py",
            1,
            "runtime module has 4 lines, under the minimum of 5; fold it into the module whose "
            "concept it serves, or keep only type definitions or re-exports in it",
        )
    ]
    assert allowed == [
        AllowedSmallModule("pkg/__init__.py", 2, BARREL),
        AllowedSmallModule("pkg/types.py", 3, PURE_TYPES),
    ]


def test_a_module_at_the_minimum_is_not_small() -> None:
    module = area_module("pkg/edge.py", "x = 1\n" * 5)

    assert check_small_modules([module], minimum=5) == ([], [])
    assert check_small_modules([module], minimum=6)[0][0].path == "pkg/edge.py"
