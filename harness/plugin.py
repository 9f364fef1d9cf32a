"""The harness's pytest plugin: options, fixtures and a marker, and hypothesis profiles on request.

Installed as a ``pytest11`` entry point, so any suite in an environment where
``harness`` is installed can use it without copying code:

- ``--candidate MODULE:ATTR`` points every fixture, baseline test and property
  at another executor (default: the extracted executor);
- ``--reference REV[:MODULE:CLASS]`` compares with the area's executor as of a
  git revision of the test run's root instead of the frozen snapshot;
- fixtures ``harness`` (a :class:`~harness.testing.ScenarioHarness`),
  ``harness_candidate`` and ``harness_reference`` (implementations), and
  ``baseline_snapshot`` (syrupy's ``snapshot`` on the baseline beside a
  scenario, the file ``harness record`` and ``harness check`` use);
- the ``characterization`` marker;
- ``--harness-html FILE`` writes every ``harness.assert_agree`` of the run as
  the HTML report ``harness check --html`` writes (pytest-xdist workers hand
  their comparisons to the controller, which writes the page).

Nothing global changes unless asked for. The hypothesis profiles
``harness-dev``, ``harness-ci``, ``harness-nightly`` and ``harness-drawn`` are registered under
names of their own (hypothesis's ``ci`` stays hypothesis's) and one is
loaded only when a suite chooses it: ``--harness-profile NAME``, else
``HARNESS_PROFILE``, else the ``harness_profile`` ini option. The name
``auto`` means ``ci`` under ``CI``, else ``dev``; an explicit
``--hypothesis-profile`` always wins.

:class:`LooptimeGuard` is a plugin of its own (entry point
``harness_looptime``), so that ``-p no:harness`` leaves it in place: see
its docstring.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Generator, Mapping
from pathlib import Path
from typing import Any, Final, final

import pytest
from hypothesis import HealthCheck, Phase, settings

from harness.baselines import BaselineExtension, baseline_path, baseline_writing_refused
from harness.candidates import BUILTIN_IMPLEMENTATIONS, DEFAULT_CANDIDATE, Implementation, resolve_implementation
from harness.compare import diff_observations, format_differences
from harness.errors import CandidateError, HarnessError
from harness.fuzz.counting import STATS_ENV, ExampleCounter
from harness.fuzz.database import DEFAULT_DIRECTORY, EXAMPLE_DB_ENV, SelectedDatabase, select_database
from harness.gate.config import load_reference_settings, read_tool_table
from harness.observation import Observation, observe
from harness.scenario.loader import load_scenario
from harness.scenario.model import Scenario
from harness.phase import reference_for_phase_id
from harness.snapshot import reference_at
from harness.report.html import CheckRun, write_html_report
from harness.testing import AgreementLog, ScenarioHarness

__all__ = [
    "AUTO",
    "PROFILES",
    "PROFILE_ENV",
    "BaselineSnapshot",
    "LooptimeGuard",
    "choose_profile",
    "hypothesis_profile_name",
    "register_profiles",
]

PROFILE_ENV: Final = "HARNESS_PROFILE"
AUTO: Final = "auto"
# Every phase but two. Explain traces each shrunk example's lines and takes
# longer than finding and shrinking the failure did. Target, under 1,000
# examples, gives the second half of the budget to one optimisation pass
# toward the scores of ``target()``: over 50 seeds of every planted fault at
# 200 examples, the pass found none the generation it replaced did not, and
# lost two that generation found after example 100; at 30 examples it
# missed twice as many runs (benchmarks/RESULTS.md). The nightly run keeps
# both: at 5,000 examples hypothesis interleaves targeting with generation.
_FAST_PHASES: Final = tuple(phase for phase in Phase if phase not in (Phase.explain, Phase.target))
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
    # The ci budget on drawn scenarios alone, generation and shrinking only: no
    # explicit examples, no saved ones, so that what the strategies find in a
    # gate's run is measured on its own and reproduced by seed.
    "drawn": {
        "max_examples": 200,
        "deadline": None,
        "print_blob": True,
        "database": None,
        "phases": (Phase.generate, Phase.shrink),
        "suppress_health_check": [HealthCheck.too_slow],
    },
    # Fresh seeds, a round at a time, for `harness fuzz` (its workers loop
    # until the time budget is spent).
    "fuzz": {
        "max_examples": 500,
        "derandomize": False,
        "phases": _FAST_PHASES,
        "deadline": None,
        "print_blob": True,
        "suppress_health_check": [HealthCheck.too_slow],
    },
    # Only what the example database holds: every stored example of every
    # property (the reuse phase replays at most max_examples of them).
    "replay": {
        "max_examples": 100_000,
        "phases": (Phase.reuse,),
        "derandomize": False,
        "deadline": None,
        "print_blob": True,
        "suppress_health_check": list(HealthCheck),
    },
}


def hypothesis_profile_name(profile: str) -> str:
    """The name hypothesis knows a harness profile by: ``harness-ci`` for ``ci``."""
    return f"harness-{profile}"


def register_profiles() -> None:
    """Register the harness profiles with hypothesis under their own names; no profile is loaded."""
    for name, options in PROFILES.items():
        settings.register_profile(hypothesis_profile_name(name), **options)


def choose_profile(
    explicit: str | None, environ: Mapping[str, str], configured: str | None = None
) -> str | None:
    """The harness profile to load, or ``None`` to leave hypothesis's settings alone.

    The command line first, then ``HARNESS_PROFILE``, then the ini option;
    ``auto`` is ``ci`` under ``CI``, else ``dev``. Raises ``pytest.UsageError``
    for a name that is no profile.
    """
    for source, chosen in (("--harness-profile", explicit), (PROFILE_ENV, environ.get(PROFILE_ENV)),
                           ("harness_profile", configured)):  # fmt: skip
        if not chosen:
            continue
        if chosen == AUTO:
            return "ci" if environ.get("CI") else "dev"
        if chosen not in PROFILES:
            raise pytest.UsageError(f"{source}={chosen}: expected one of {', '.join([*PROFILES, AUTO])}")
        return chosen
    return None


register_profiles()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "pipeline executor characterization harness")
    group.addoption(
        "--candidate",
        default=DEFAULT_CANDIDATE,
        metavar="MODULE:ATTR",
        help="executor class under test for harness fixtures, baselines and properties (default: extracted)",
    )
    group.addoption(
        "--reference",
        default=None,
        metavar="REV[:MODULE:CLASS]",
        help="compare with the area's executor as of this git revision, or a phase's before by its id (default: the frozen snapshot)",
    )
    group.addoption(
        "--harness-profile",
        metavar="NAME",
        help=f"load a harness hypothesis profile: {', '.join(PROFILES)} or {AUTO} (ci under CI, else dev)",
    )
    group.addoption(
        "--harness-html",
        type=Path,
        metavar="FILE",
        help="write every harness.assert_agree of the run as an HTML report",
    )
    parser.addini("harness_profile", "harness hypothesis profile to load (dev, ci, nightly or auto); default none")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # syrupy warns when a snapshot's name does not contain the test's name;
    # baselines are named after their scenario on purpose, so that harness
    # record and --snapshot-update write the same files.
    config.addinivalue_line("filterwarnings", r"ignore:\s*Can not relate snapshot (name|location):UserWarning")
    config.addinivalue_line(
        "markers", "characterization: a test that pins observable behaviour of the pipeline executor"
    )
    if not config.getoption("hypothesis_profile", default=None):
        chosen = choose_profile(config.getoption("harness_profile"), os.environ, config.getini("harness_profile"))
        if chosen is not None:
            settings.load_profile(hypothesis_profile_name(chosen))
            config.stash[_PROFILE] = chosen
    _use_example_database(config)
    if os.environ.get(STATS_ENV):
        config.pluginmanager.register(ExampleCounter(Path(os.environ[STATS_ENV])), "harness-example-counter")
    try:
        config.stash[_CANDIDATE] = resolve_implementation(config.getoption("candidate"))
    except CandidateError as exc:
        raise pytest.UsageError(f"--candidate {exc}") from None
    config.stash[_REFERENCE] = _reference(config)
    if config.getoption("harness_html") is not None:
        config.stash[_LOG] = AgreementLog()


_WORKER_OUTPUT: Final = "harness_agreements"


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write the ``--harness-html`` page; an xdist worker hands its comparisons to the controller instead."""
    config = session.config
    log = config.stash.get(_LOG, None)
    if log is None:
        return
    worker_output = getattr(config, "workeroutput", None)
    if worker_output is not None:
        worker_output[_WORKER_OUTPUT] = log.dumps()
        return
    results = log.results()
    reference = config.stash[_REFERENCE]
    spec = config.getoption("candidate")
    options = ("--candidate", spec) if spec != DEFAULT_CANDIDATE else ()
    run = CheckRun(
        config.stash[_CANDIDATE].name,
        reference.name if reference is not None else "reference",
        None,
        sum(timed.seconds for timed in results),
        options,
    )
    write_html_report(config.getoption("harness_html"), results, run)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """pytest-xdist: collect a finished worker's comparisons for the page."""
    log = node.config.stash.get(_LOG, None)
    text = getattr(node, "workeroutput", {}).get(_WORKER_OUTPUT)
    if log is not None and text:
        log.extend_from(text)


def _use_example_database(config: pytest.Config) -> None:
    """Load the current profile again with the configured example database (``HARNESS_EXAMPLE_DB``, ``[tool.harness]``)."""
    try:
        table = read_tool_table(config.rootpath / "pyproject.toml", "tool.harness")
        selected = select_database(os.environ, table)  # type: ignore[arg-type]
    except HarnessError as exc:
        raise pytest.UsageError(str(exc)) from None
    if selected is None and config.stash.get(_PROFILE, None) == "fuzz":
        # `harness fuzz` runs its workers at once on hypothesis's default
        # directory: their writes are held until each test ends, as for a
        # configured database.
        selected = select_database({EXAMPLE_DB_ENV: str(DEFAULT_DIRECTORY)}, {})
    if selected is None:
        return
    current = settings.get_current_profile_name()
    with_database = f"{current}+example-db"
    settings.register_profile(with_database, parent=settings.get_profile(current), database=selected.database)
    settings.load_profile(with_database)
    config.stash[_DATABASE] = selected
    # One line, from the controlling process only (xdist workers open the same database).
    if selected.notice and not hasattr(config, "workerinput"):
        sys.stderr.write(selected.notice + "\n")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Once a test has run, hand its example database writes to the shared database (:mod:`harness.fuzz.publishing`)."""
    try:
        return (yield)
    finally:
        selected = item.config.stash.get(_DATABASE, None)
        if selected is not None:
            selected.database.publish()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under the replay and fuzz profiles, skip every test that neither replays nor draws anything new."""
    profile = config.stash.get(_PROFILE, None)
    if profile not in ("replay", "fuzz"):
        return
    for item in items:
        reason = _nothing_to_fuzz(getattr(item, "obj", None), replaying=profile == "replay")
        if reason:
            item.add_marker(pytest.mark.skip(reason=f"{profile} profile: {reason}"))


def _nothing_to_fuzz(test: object, *, replaying: bool) -> str | None:
    if not getattr(test, "is_hypothesis_test", False):
        return "not a property test"
    # The settings a property runs under, its own @settings over the profile;
    # hypothesis's own pytest plugin reads the same attribute.
    chosen = getattr(test, "_hypothesis_internal_use_settings", None)
    if chosen is None:
        return None
    if replaying and (chosen.database is None or Phase.reuse not in chosen.phases):
        return "the property runs without the example database"
    if not replaying and chosen.derandomize:
        return "the property runs on a fixed seed"
    return None


def _reference(config: pytest.Config) -> Implementation | None:
    """The implementation ``--reference REV`` (or a phase id) names, or ``None`` for the frozen snapshot (imported when first used)."""
    spec = config.getoption("reference")
    if spec is None:
        return None
    try:
        before = reference_for_phase_id(config.rootpath, spec)
        if before is not None:
            return before
        area, package, snapshot = load_reference_settings(config.rootpath)
        return reference_at(config.rootpath, spec, area=area, package=package, snapshot=snapshot)
    except HarnessError as exc:
        raise pytest.UsageError(f"--reference {exc}") from None


def pytest_report_header(config: pytest.Config) -> str:
    candidate = config.stash.get(_CANDIDATE, None)
    name = candidate.name if candidate is not None else "?"
    header = f"harness: candidate {name}, hypothesis profile {settings.get_current_profile_name()}"
    selected = config.stash.get(_DATABASE, None)
    return header + (f", example database {selected.description}" if selected is not None else "")


_CANDIDATE = pytest.StashKey[Implementation]()
_REFERENCE = pytest.StashKey[Implementation | None]()
_LOG = pytest.StashKey[AgreementLog]()
_PROFILE = pytest.StashKey[str]()
_DATABASE = pytest.StashKey[SelectedDatabase]()


@final
class LooptimeGuard:
    """Sets looptime's pytest plugin aside where it can only fail.

    looptime (the harness's virtual clock, a dependency) ships a pytest
    plugin that, in a project without pytest-asyncio, fails every fixture
    setup: looptime 0.9's ``_should_patch`` reads the asyncio plugin's
    ``__name__`` without checking that the plugin exists. That plugin only
    patches pytest-asyncio's loops, so without pytest-asyncio it has nothing
    to do, and unregistering it changes nothing else. This guard is its own
    entry point so that a suite run with ``-p no:harness`` keeps working;
    ``-p no:harness_looptime`` turns the guard off too.
    """

    __slots__ = ()

    @staticmethod
    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(config: pytest.Config) -> None:
        if config.pluginmanager.getplugin("asyncio") is None:
            looptime_plugin = config.pluginmanager.getplugin("looptime_plugin")
            if looptime_plugin is not None:
                config.pluginmanager.unregister(looptime_plugin)


@final
class BaselineSnapshot:
    """Compares an observation with the baseline beside its scenario: ``== baseline_snapshot(SCENARIO)``.

    ``SCENARIO`` is a scenario file (relative to the test file, as the
    ``harness`` fixture reads it) or a loaded :class:`Scenario`; the baseline
    is ``NAME.baseline.json`` in the scenario's folder, the file ``harness
    record`` writes and ``harness check`` reads.

    A baseline is the frozen reference's observation and nothing else's:
    under ``--snapshot-update`` the comparison writes the reference's
    observation of the scenario, and fails, writing nothing, when the
    observation compared differs from it (a candidate that disagrees) or
    while ``CI`` is set, as ``harness record`` refuses.
    """

    __slots__ = ("_root", "_snapshot", "_updating")

    def __init__(self, snapshot: Any, *, root: Path, updating: bool = False) -> None:
        self._snapshot = snapshot
        self._root = root
        self._updating = updating

    def __repr__(self) -> str:
        return f"BaselineSnapshot(root={str(self._root)!r}, updating={self._updating})"

    def __call__(self, scenario: Scenario | Path | str) -> Any:
        __tracebackhide__ = True
        if isinstance(scenario, Scenario):
            if not scenario.path:
                raise TypeError(f"scenario {scenario.name!r} was not read from a file; pass its path")
            located = Path(scenario.path)
        else:
            located = Path(scenario)
        if not located.is_absolute():
            located = self._root / located
        pinned = baseline_path(located)
        extension = BaselineExtension.for_directory(pinned.parent)
        assertion = self._snapshot.use_extension(extension)(name=located.stem)
        if not self._updating:
            return assertion
        refused = baseline_writing_refused()
        if refused is not None:
            pytest.fail(f"{pinned}: {refused} (pytest --snapshot-update)", pytrace=False)
        loaded = scenario if isinstance(scenario, Scenario) else load_scenario(located)
        return _ReferenceBaseline(assertion, observe(loaded, BUILTIN_IMPLEMENTATIONS["reference"]), pinned)


@final
class _ReferenceBaseline:
    """The right side of ``observation == baseline_snapshot(...)`` under ``--snapshot-update``.

    Hands syrupy the reference's observation to write, and only when the
    observation compared agrees with it.
    """

    __slots__ = ("_assertion", "_pinned", "_reference")

    def __init__(self, assertion: Any, reference: Observation, pinned: Path) -> None:
        self._assertion = assertion
        self._reference = reference
        self._pinned = pinned

    def __repr__(self) -> str:
        return f"_ReferenceBaseline({str(self._pinned)!r})"

    def __eq__(self, other: object) -> bool:
        __tracebackhide__ = True
        if not isinstance(other, dict):
            return NotImplemented
        differences = diff_observations(self._reference, other)
        if differences:
            pytest.fail(
                f"{self._pinned}: not written: a baseline is the reference's observation, and "
                f"{other.get('implementation', 'the observation compared')} differs from it "
                f"(path: reference != candidate):\n{format_differences(differences)}",
                pytrace=False,
            )
        return bool(self._assertion == self._reference)

    __hash__ = None  # type: ignore[assignment]


@pytest.fixture(scope="session")
def harness_candidate(pytestconfig: pytest.Config) -> Implementation:
    """The implementation under test (``--candidate``)."""
    return pytestconfig.stash[_CANDIDATE]


@pytest.fixture(scope="session")
def harness_reference(pytestconfig: pytest.Config) -> Implementation:
    """The oracle: the frozen reference snapshot, or the executor at ``--reference REV``."""
    chosen = pytestconfig.stash[_REFERENCE]
    if chosen is not None:
        return chosen
    try:
        return BUILTIN_IMPLEMENTATIONS["reference"]
    except CandidateError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def harness(
    request: pytest.FixtureRequest, harness_candidate: Implementation, harness_reference: Implementation
) -> ScenarioHarness:
    """Load and run scenarios (paths relative to the test file) and assert candidate and reference agree."""
    return ScenarioHarness(
        candidate=harness_candidate,
        reference=harness_reference,
        root=Path(request.path).parent,
        log=request.config.stash.get(_LOG, None),
    )


@pytest.fixture
def baseline_snapshot(snapshot: Any, request: pytest.FixtureRequest) -> BaselineSnapshot:
    """syrupy's snapshot on the baseline beside a scenario: ``observation == baseline_snapshot("x.toml")``."""
    updating = bool(request.config.getoption("update_snapshots", default=False))
    return BaselineSnapshot(snapshot, root=Path(request.path).parent, updating=updating)
