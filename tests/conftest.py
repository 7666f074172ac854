"""Shared fixtures: real local servers on loopback ports, and real audio."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from dgtui.server.app import ServerConfig
from tests.support.server import ServerThread

TEST_KEY = "dgtui-test-key-0123456789abcdef"


@pytest.fixture(scope="session")
def server() -> Iterator[ServerThread]:
    """The local server with default settings (no key)."""
    thread = ServerThread(ServerConfig(warm_workers=8)).start()
    yield thread
    thread.stop()


@pytest.fixture(scope="session")
def keyed_server() -> Iterator[ServerThread]:
    thread = ServerThread(ServerConfig(api_key=TEST_KEY, warm_workers=1)).start()
    yield thread
    thread.stop()


@pytest.fixture
def make_server() -> Iterator[Callable[..., ServerThread]]:
    """Start a server with custom settings (short idle timeout, small limits); stopped after the test."""
    started: list[ServerThread] = []

    def start(**settings: object) -> ServerThread:
        settings.setdefault("warm_workers", 1)
        thread = ServerThread(ServerConfig(**settings)).start()  # type: ignore[arg-type]
        started.append(thread)
        return thread

    yield start
    for thread in started:
        thread.stop()
