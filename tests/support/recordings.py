"""Real recordings of scripted streams, made fast: for the tests and benchmarks of listings."""

from __future__ import annotations

from pathlib import Path

from dgtui.recordings.player import PlayedSession
from dgtui.recordings.writer import record
from dgtui.state.events import AudioProgress, Closed, Connected, HandshakeTimings

TIMINGS = HandshakeTimings(0.001, 0.001, 0.0, 0.001)


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
