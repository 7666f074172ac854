"""Real recordings of scripted streams, made fast: for the tests and benchmarks of listings."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from dgtui.audio.local import FileSource
from dgtui.live.backend import Backend
from dgtui.live.runner import StreamRunner
from dgtui.live.session import LiveSession
from dgtui.recordings.player import PlayedSession
from dgtui.recordings.writer import record
from dgtui.state.events import AudioProgress, Closed, Connected, HandshakeTimings

TIMINGS = HandshakeTimings(0.001, 0.001, 0.0, 0.001)
OPTIONS = {"interim_results": True, "vad_events": True, "utterance_end_ms": 1000, "punctuate": True}


def recording(folder: Path, name: str, request_ids: list[str], seconds: float, wall: float) -> Path:
    """A real recording of a scripted stream: its connections, its audio, its close."""
    stream = PlayedSession(name, url="ws://127.0.0.1:9/v1/listen", options={"model": "nova-3"})
    recorder = record(stream, folder, backend="url", wall=lambda: wall)
    state = stream.state
    for request_id in request_ids:
        state.apply(Connected(name, "ws://127.0.0.1:9/v1/listen", request_id, TIMINGS))
        state.apply(AudioProgress(name, seconds, -20.0, 1.0, 3200), 1.0)  # what a live stream tells
        state.apply(Closed(name, 1000, "", "closed normally"))
    recorder.close()
    assert recorder.path is not None
    return recorder.path


async def record_live(
    wav: Path, server_url: str, folder: Path, seconds: float, *, reconnect_after: float | None = None
) -> LiveSession:
    """A live stream of ``wav`` against a server, recorded into ``folder`` (reconnected once, if asked)."""
    runner = StreamRunner(Backend("url", server_url), OPTIONS, duration=seconds, record_dir=folder)
    session = runner.add(FileSource(wav))
    task = asyncio.create_task(runner.run(session))
    if reconnect_after is not None:
        while session.state.audio.cursor < reconnect_after and not task.done():
            await asyncio.sleep(0.05)
        session.reconnect()
    await task
    return session


def aged_file(folder: Path, relative: str, age_s: float, size: int = 1000) -> Path:
    """A file of ``size`` bytes last written ``age_s`` ago: what retention sweeps."""
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    stamp = time.time() - age_s
    os.utime(path, (stamp, stamp))
    return path
