"""Automatic reconnects through a fault proxy between the client and the real local server."""

from __future__ import annotations

import asyncio
from itertools import pairwise

from dgtui.audio.sources import FileSource
from dgtui.session.events import State
from dgtui.session.session import LiveSession, SessionConfig
from tests.support.proxy import FaultProxy

OPTIONS = {"interim_results": True, "punctuate": True, "vad_events": True, "utterance_end_ms": 1000}


async def wait_for(condition, timeout: float, what: str) -> None:
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def test_a_dropped_connection_reconnects_and_loses_no_audio(server, clip_file):
    proxy = FaultProxy(server.url).start()
    try:
        config = SessionConfig("r", proxy.url, OPTIONS, reconnect_backoff=0.3)
        session = LiveSession(config, FileSource(clip_file("weather", seconds=14.0)))
        task = asyncio.create_task(session.run())
        await wait_for(lambda: session.transcript.finals >= 1, 20, "a first final")
        dropped_at = session.cursor
        proxy.drop()  # the network dies under the stream
        await wait_for(lambda: session.reconnects == 1 and session.state is State.STREAMING, 20, "a reconnect")
        clean = await asyncio.wait_for(task, 60)
    finally:
        proxy.stop()
    assert clean, session.error
    assert session.reconnects == 1 and len(session.request_ids) == 2 and proxy.connections == 2
    assert session.audio_lost == 0.0 and session.cursor >= 13.9  # every second of the file was sent
    assert session.offset >= dropped_at - 0.2
    finals = [line for line in session.transcript.lines if line.kind == "final"]
    assert all(b.start >= a.start for a, b in pairwise(finals)) and finals[-1].start > session.offset
    warnings = [e.text for e in session.log if e.level == "warning"]
    assert any(w.startswith("connection lost (") and "reconnecting in" in w for w in warnings), warnings


async def test_it_gives_up_after_the_attempts_with_a_clear_error(server, clip_file):
    proxy = FaultProxy(server.url).start()
    try:
        config = SessionConfig("g", proxy.url, OPTIONS, reconnect_attempts=2, reconnect_backoff=0.1,
                               connect_timeout=2.0)  # fmt: skip
        session = LiveSession(config, FileSource(clip_file(seconds=20.0)))
        task = asyncio.create_task(session.run())
        await wait_for(lambda: session.state is State.STREAMING and session.cursor > 1.0, 20, "streaming")
        proxy.refuse()
        proxy.drop()
        clean = await asyncio.wait_for(task, 30)
    finally:
        proxy.stop()
    assert not clean and session.state is State.ERROR
    assert session.error.startswith("gave up after 2 reconnect attempts: ") and "Check the network" in session.error
