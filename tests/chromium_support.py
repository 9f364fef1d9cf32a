"""Headless Chromium for the suite and the benchmarks: a page's DOM after its scripts ran, or a screenshot.

Chromium's own command line is the simplest robust route here: ``--dump-dom``
prints the DOM once the page has loaded and its scripts have run, and
``--screenshot`` writes a PNG. The report's filter reads the URL fragment, so
a filtered view is just a URL and no DevTools client is needed; Playwright
would want a browser download of its own. Each call starts a fresh browser
with a fresh profile in a temporary folder and nothing that talks to the
network by itself.

Without Chromium the browser tests skip with a one-line reason; ``.ci/run``
installs it and sets ``HARNESS_REQUIRE_CHROMIUM=1``, which turns that skip
into a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Final

import pytest

__all__ = ["REQUIRE_ENV", "chromium_or_skip", "chromium_path", "dump_dom", "screenshot"]

REQUIRE_ENV: Final = "HARNESS_REQUIRE_CHROMIUM"
FLAGS: Final = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars",
)  # fmt: skip
TIMEOUT_S: Final = 120


def chromium_path() -> str | None:
    """Debian's ``chromium`` (or ``chromium-browser``) on ``PATH``, else ``None``."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def chromium_or_skip() -> str:
    """The browser, or a skip with a one-line reason (a failure when ``HARNESS_REQUIRE_CHROMIUM`` is set)."""
    found = chromium_path()
    if found is None:
        reason = "chromium not installed (apt-get install chromium)"
        if os.environ.get(REQUIRE_ENV):
            pytest.fail(f"{reason}, but {REQUIRE_ENV} is set", pytrace=False)
        pytest.skip(reason)
    return found


def _run(browser: str, *arguments: str) -> str:
    with tempfile.TemporaryDirectory(prefix="harness-chromium-") as profile:
        done = subprocess.run(
            [browser, *FLAGS, f"--user-data-dir={profile}", *arguments],
            capture_output=True, text=True, timeout=TIMEOUT_S, check=False,
        )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"chromium exited {done.returncode}: {done.stderr.strip()[-2000:]}")
    return done.stdout


def dump_dom(browser: str, url: str) -> str:
    """The serialized DOM of ``url`` after it loaded and its scripts ran."""
    return _run(browser, "--dump-dom", url)


def screenshot(browser: str, url: str, out: Path, *, width: int = 1280, height: int = 1800) -> Path:
    """A PNG of the top ``width`` x ``height`` pixels of ``url``, written to ``out``."""
    _run(browser, f"--window-size={width},{height}", f"--screenshot={out}", url)
    return out
