"""``python -m harness``: the same command line as the ``harness`` script."""

from __future__ import annotations

from harness.cli import main

raise SystemExit(main())
