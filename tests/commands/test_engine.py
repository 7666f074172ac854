"""The embedded engine a run starts: once, the first time a local stream needs it, on a free loopback port; any
other backend is its own URL; stopped at the end of the run."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from dgtui.commands.engine import LocalEndpoints
from dgtui.live.backend import Backend


async def test_the_local_engine_starts_once_for_every_local_stream_and_stops_at_close():
    endpoints = LocalEndpoints()
    local = Backend("local", None)
    first = await endpoints.url_for(local, 1)
    assert first == await endpoints.url_for(local, 2)  # one engine for the run
    assert await endpoints.url_for(Backend("url", "ws://h/v1/listen"), 1) == "ws://h/v1/listen"
    parts = urlsplit(first)
    assert parts.scheme == "ws" and parts.hostname == "127.0.0.1" and parts.path == "/v1/listen"
    with socket.create_connection((parts.hostname, parts.port), timeout=5):
        pass  # it listens
    await endpoints.close()
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=2).close()
        still_listening = True
    except OSError:
        still_listening = False
    assert not still_listening
