"""A stream whose connection the network drops once, mid-stream: a fault proxy between it and the real server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from dgtui.audio.local import FileSource
from dgtui.live.session import LiveSession, SessionConfig
from tests.support.proxy import FaultProxy

OPTIONS = {"interim_results": True, "punctuate": True, "vad_events": True, "utterance_end_ms": 1000}


async def wait_for(condition, timeout: float, what: str) -> None:
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Drop:
    session: LiveSession
    clean: bool
    connections: int  # through the proxy
    cursor: float  # at the drop: audio sent
    committed: float  # at the drop: audio with finals
    in_flight: list[str]  # at the drop: the words of the interim


async def drop_once(
    server, clip_file, ready: Callable[[LiveSession], object], what: str,
    on_start: Callable[[LiveSession], object] = lambda session: None,
) -> Drop:  # fmt: skip
    """A 14 s clip streamed through a fault proxy that resets the connection once ``ready`` holds."""
    proxy = FaultProxy(server.url).start()
    try:
        config = SessionConfig("r", proxy.url, OPTIONS, reconnect_backoff=0.3)
        session = LiveSession(config, FileSource(clip_file("weather", seconds=14.0)))
        on_start(session)
        task = asyncio.create_task(session.run())
        await wait_for(lambda: ready(session), 20, what)
        interims = session.state.transcript.interims()
        cursor, committed = session.state.audio.cursor, session.state.committed_until()
        proxy.drop()  # the network dies under the stream
        clean = await asyncio.wait_for(task, 60)
    finally:
        proxy.stop()
    in_flight = interims[0][2].lower().split() if interims else []
    return Drop(session, clean, proxy.connections, cursor, committed, in_flight)
