"""Fixtures of the fuzz tests: a real Redis server per module, emptied before each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from redis_server import RedisServer, start_redis


@pytest.fixture(scope="module")
def redis_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    yield from start_redis(tmp_path_factory.mktemp("redis"))


@pytest.fixture
def redis_server(redis_module: RedisServer) -> RedisServer:
    """A running Redis with an empty database 0."""
    redis_module.client.flushdb()  # type: ignore[attr-defined]
    return redis_module
