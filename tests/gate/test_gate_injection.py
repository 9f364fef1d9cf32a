"""callback-injection: lambdas and bare functions into constructors, Callable constructor types."""

from __future__ import annotations

import pytest

from harness.gate.injection import check_callback_injection
from harness.gate.types import Finding

from gate_planting import area_module

ADVICE = "pass a Protocol-typed service object instead"


def places(source: str, *others: str) -> list[tuple[int, str]]:
    modules = [area_module("pkg/wiring.py", source)]
    modules += [area_module(f"pkg/other{index}.py", text) for index, text in enumerate(others)]
    return [(finding.line, finding.message) for finding in check_callback_injection(modules)]


def test_a_lambda_passed_to_a_constructor_is_reported_at_its_line() -> None:
    source = """\
        def build():
            return Runner(
                "name",
                lambda: 0.0,
            )
        """
    findings = check_callback_injection([area_module("pkg/wiring.py", source)])

    assert findings == [
        Finding(
            "callback-injection",
            "pkg/wiring.py",
            4,
            f"lambda passed to constructor `Runner`; {ADVICE}",
        )
    ]


def test_module_level_and_nested_functions_passed_by_name_are_reported() -> None:
    source = """\
        def tick():
            return 1


        def build(config):
            def on_done(result):
                return result

            first = service.Runner(clock=tick)
            second = Pool(on_done, tick)
            return first, second
        """
    assert places(source) == [
        (9, f"function `tick` passed to constructor `Runner` as `clock`; {ADVICE}"),
        (10, f"function `on_done` passed to constructor `Pool`; {ADVICE}"),
        (10, f"function `tick` passed to constructor `Pool`; {ADVICE}"),
    ]


def test_a_lowercase_class_of_the_area_is_a_constructor_too() -> None:
    source = "def build():\n    return runner(lambda: 1)\n"

    assert places(source) == []
    assert places(source, "class runner:\n    pass\n") == [
        (2, f"lambda passed to constructor `runner`; {ADVICE}")
    ]


@pytest.mark.parametrize(
    "source",
    [
        "best = max(items, key=lambda item: item.score)\n",
        "ordered = sorted(items, key=lambda item: item.name)\n",
        "class A:\n    items: list = field(default_factory=lambda: [])\n",
        "runner = Runner(clock=make_clock())\n",
        "def make(handler):\n    return Runner(handler)\n",
        "def tick():\n    pass\n\ndef build(tick):\n    return Runner(tick)\n",
        "def tick():\n    pass\n\ntick = Clock()\nrunner = Runner(tick)\n",
        "class Clock:\n    pass\n\nrunner = Runner(Clock)\n",
        "import tick\n\nrunner = Runner(tick)\n",
        "runner = Runner(items=Items(default_factory=lambda: {}))\n",
        "THRESHOLD = 3\nrunner = Runner(THRESHOLD)\n",
    ],
    ids=[
        "max-key",
        "sorted-key",
        "field-default-factory",
        "call-result",
        "parameter",
        "parameter-shadows-function",
        "rebound-name",
        "class-name",
        "module",
        "default-factory-keyword",
        "constant",
    ],
)
def test_what_is_not_callback_injection(source: str) -> None:
    assert places(source) == []


def test_callable_typed_constructor_parameters_are_reported() -> None:
    source = """\
        import collections.abc
        import typing
        from collections.abc import Callable
        from dataclasses import dataclass


        class Runner:
            def __init__(
                self,
                clock: Callable[[], float],
                sink: typing.Optional[typing.Callable[[str], None]] = None,
                *,
                hook: "collections.abc.Callable[..., None] | None" = None,
                name: str = "",
            ) -> None:
                self.clock = clock

            def run(self, step: Callable[[], None]) -> None:
                step()


        @dataclass(frozen=True)
        class Settings:
            on_error: Callable[[Exception], None]
            retries: int = 3


        class Plain:
            on_error: Callable[[Exception], None]
        """
    assert places(source) == [
        (10, f"constructor parameter `clock` of `Runner` is typed `Callable[[], float]`; {ADVICE}"),
        (
            11,
            "constructor parameter `sink` of `Runner` is typed "
            f"`typing.Optional[typing.Callable[[str], None]]`; {ADVICE}",
        ),
        (
            13,
            "constructor parameter `hook` of `Runner` is typed "
            f"`'collections.abc.Callable[..., None] | None'`; {ADVICE}",
        ),
        (
            24,
            "dataclass field `on_error` of `Settings` is typed `Callable[[Exception], None]` "
            f"and becomes a constructor parameter; {ADVICE}",
        ),
    ]


def test_protocol_typed_services_pass() -> None:
    source = """\
        from typing import Protocol


        class Clock(Protocol):
            def now(self) -> float: ...


        class Runner:
            def __init__(self, clock: Clock) -> None:
                self.clock = clock


        def build(clock: Clock) -> Runner:
            return Runner(clock=clock)
        """
    assert places(source) == []
