"""Running the ``harness`` command line in-process, for the suite's CLI tests."""

from __future__ import annotations

import io

from harness.cli import main


def run_cli(*argv: str) -> tuple[int, str, str]:
    """Run ``harness ARGV...`` through :func:`harness.cli.main`; return exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()
