"""The harness's pytest plugin: options, fixtures, a marker and the hypothesis profiles.

Installed as a ``pytest11`` entry point, so any suite in an environment where
``harness`` is installed can use it without copying code:

- ``--candidate MODULE:ATTR`` points every fixture, baseline test and property
  at another executor (default: the extracted executor);
- fixtures ``harness`` (a :class:`~harness.testing.ScenarioHarness`),
  ``harness_candidate`` and ``harness_reference`` (implementations), and
  ``baseline_snapshot`` (syrupy's ``snapshot`` using the baseline extension on
  the folder named by the ``harness_baselines`` ini option);
- the ``characterization`` marker;
- hypothesis profiles ``dev``, ``ci`` and ``nightly``, chosen with
  ``--hypothesis-profile`` or ``HARNESS_PROFILE``. The choice is always made
  explicitly, because hypothesis would otherwise switch to its own ``ci``
  settings whenever ``CI`` is set: the gate must stay reproducible and the
  nightly run must never be derandomized by accident.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Final

import pytest
from hypothesis import HealthCheck, Phase, settings

from harness.baselines import BaselineExtension
from harness.candidates import BUILTIN_IMPLEMENTATIONS, DEFAULT_CANDIDATE, Implementation, resolve_implementation
from harness.errors import CandidateError
from harness.testing import ScenarioHarness

__all__ = ["PROFILE_ENV", "PROFILES", "choose_profile", "register_profiles"]

PROFILE_ENV: Final = "HARNESS_PROFILE"
# Every phase but explain, which traces each shrunk example's lines and takes
# longer than finding and shrinking the failure did; the nightly run keeps it.
_FAST_PHASES: Final = tuple(phase for phase in Phase if phase is not Phase.explain)
PROFILES: Final[dict[str, dict[str, Any]]] = {
    "dev": {"max_examples": 30, "deadline": None, "print_blob": True, "phases": _FAST_PHASES},
    "ci": {
        "max_examples": 200,
        "derandomize": True,
        "phases": _FAST_PHASES,
        "deadline": None,
        "print_blob": True,
        "database": None,
        "suppress_health_check": [HealthCheck.too_slow],
    },
    "nightly": {
        "max_examples": 5000,
        "derandomize": False,
        "deadline": None,
        "print_blob": True,
        "suppress_health_check": [HealthCheck.too_slow],
    },
}


def register_profiles() -> None:
    """Register the ``dev``, ``ci`` and ``nightly`` hypothesis profiles (ours replace hypothesis's ``ci``)."""
    for name, options in PROFILES.items():
        settings.register_profile(name, **options)


def choose_profile(explicit: str | None, environ: dict[str, str] | os._Environ[str]) -> str:
    """The profile to load: the command-line choice, else ``HARNESS_PROFILE``, else ``ci`` under CI, else ``dev``."""
    if explicit:
        return explicit
    chosen = environ.get(PROFILE_ENV)
    if chosen:
        if chosen not in PROFILES:
            raise pytest.UsageError(f"{PROFILE_ENV}={chosen}: expected one of {', '.join(PROFILES)}")
        return chosen
    return "ci" if environ.get("CI") else "dev"


register_profiles()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "pipeline executor characterization harness")
    group.addoption(
        "--candidate",
        default=DEFAULT_CANDIDATE,
        metavar="MODULE:ATTR",
        help="executor class under test for harness fixtures, baselines and properties (default: extracted)",
    )
    parser.addini("harness_baselines", "folder of pinned baselines for baseline_snapshot", default="baselines")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # looptime (the harness's virtual clock) ships a pytest plugin that fails
    # every fixture setup when pytest-asyncio is not installed: it reads the
    # asyncio plugin's module name without checking that the plugin exists.
    # The harness drives looptime itself and needs none of that plugin, so it
    # is set aside in exactly that case.
    if config.pluginmanager.getplugin("asyncio") is None:
        looptime_plugin = config.pluginmanager.getplugin("looptime_plugin")
        if looptime_plugin is not None:
            config.pluginmanager.unregister(looptime_plugin)
    # syrupy warns when a snapshot's name does not contain the test's name;
    # baselines are named after their scenario on purpose, so that harness
    # record and --snapshot-update write the same files.
    config.addinivalue_line("filterwarnings", r"ignore:\s*Can not relate snapshot (name|location):UserWarning")
    config.addinivalue_line(
        "markers", "characterization: a test that pins observable behaviour of the pipeline executor"
    )
    explicit = config.getoption("hypothesis_profile", default=None)
    settings.load_profile(choose_profile(explicit, os.environ))
    try:
        config.stash[_CANDIDATE] = resolve_implementation(config.getoption("candidate"))
    except CandidateError as exc:
        raise pytest.UsageError(f"--candidate {exc}") from None


def pytest_report_header(config: pytest.Config) -> str:
    candidate = config.stash.get(_CANDIDATE, None)
    name = candidate.name if candidate is not None else "?"
    return f"harness: candidate {name}, hypothesis profile {settings.get_current_profile_name()}"


_CANDIDATE = pytest.StashKey[Implementation]()


@pytest.fixture(scope="session")
def harness_candidate(pytestconfig: pytest.Config) -> Implementation:
    """The implementation under test (``--candidate``)."""
    return pytestconfig.stash[_CANDIDATE]


@pytest.fixture(scope="session")
def harness_reference() -> Implementation:
    """The frozen reference executor, the oracle."""
    return BUILTIN_IMPLEMENTATIONS["reference"]


@pytest.fixture
def harness(request: pytest.FixtureRequest, harness_candidate: Implementation) -> ScenarioHarness:
    """Load and run scenarios (paths relative to the test file) and assert candidate and reference agree."""
    return ScenarioHarness(candidate=harness_candidate, root=Path(request.path).parent)


@pytest.fixture
def baseline_snapshot(snapshot: Any, pytestconfig: pytest.Config) -> Any:
    """syrupy's snapshot fixture writing baselines as ``NAME.baseline.json`` in the ``harness_baselines`` folder."""
    folder = Path(pytestconfig.rootpath, pytestconfig.getini("harness_baselines"))
    return snapshot.use_extension(BaselineExtension.for_directory(folder))
