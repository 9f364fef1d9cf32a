"""A real Redis server for the suite: started on a free loopback port in a temporary folder, stopped after.

Uses Debian's ``redis-server``. Without it the tests that need it are skipped
with one line, unless ``HARNESS_REQUIRE_REDIS`` is set (``.ci/run`` sets it),
which turns the skip into a failure so that CI cannot pass without them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest

REQUIRE_ENV: Final = "HARNESS_REQUIRE_REDIS"
START_TIMEOUT_S: Final = 10.0


@dataclass(frozen=True, slots=True)
class RedisServer:
    """A running server: its URL and a client on it."""

    url: str
    port: int
    client: object


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_redis(folder: Path) -> Iterator[RedisServer]:
    """Start ``redis-server`` in ``folder``, wait for PING, yield it, shut it down."""
    binary = shutil.which("redis-server")
    if binary is None:
        reason = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get(REQUIRE_ENV):
            pytest.fail(f"{reason}, and {REQUIRE_ENV} is set", pytrace=False)
        pytest.skip(reason)
    import redis

    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
               "--save", "", "--appendonly", "no", "--protected-mode", "yes"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"redis-server on port {port} did not start", pytrace=False)
                time.sleep(0.02)  # waiting for a real process to listen; no virtual clock applies
        yield RedisServer(f"redis://127.0.0.1:{port}/0", port, client)
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)
