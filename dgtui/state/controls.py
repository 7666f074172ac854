"""What a view holds of a stream and may do to it, declared: its state, the controls of a live one, a replay's
playback, and what runs streams.

The app holds each tab's :class:`Stream`, renders its ``state`` and calls the controls directly, after an
``isinstance`` check against these protocols; it never looks methods up by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from dgtui.state.client import FlowLog
from dgtui.state.stream import StreamState


class Stream(Protocol):
    """A stream as the app holds it: a live session, a replay or a scripted one. It *has* a state, which views
    read and only the stream changes; it runs to its end, and can be stopped. Its recording, once there is one,
    holds the whole session; what others tell it (its recorder, its runner) goes on its event log."""

    state: StreamState
    recording_path: Path | None

    @property
    def name(self) -> str: ...
    async def run(self) -> bool: ...
    def stop(self) -> None: ...
    def note(self, text: str, level: str = "info") -> None: ...
    def warn(self, text: str) -> None: ...


@runtime_checkable
class StreamControls(Protocol):
    """A stream that can be paused, finalized, reconnected and stopped (a live session, or a scripted one)."""

    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def request_finalize(self, channel: int | None = None) -> None: ...
    def configure(self, settings: dict[str, Any]) -> None: ...
    def reconnect(self) -> None: ...
    def stop(self) -> None: ...


@runtime_checkable
class Replayable(Protocol):
    """A recorded stream played back: no connection to finalize or reconnect, a speed and a jump to the end."""

    path: Path  # the recording it plays
    speed: float

    def set_speed(self, speed: float) -> None: ...
    def jump_to_end(self) -> None: ...


class Runner(Protocol):
    """Runs the streams: live ones (``StreamRunner``) or played ones (replays, and scripted streams in tests,
    benchmarks and screenshots)."""

    @property
    def sessions(self) -> Sequence[Stream]: ...
    async def run(self, session: Stream) -> bool: ...
    def remove(self, session: Stream) -> None: ...
    async def close(self) -> None: ...


@runtime_checkable
class Arrivals(Protocol):
    """A runner whose streams arrive on their own (``dgtui tap``: each live connection of the watched app): the
    view starts it, adds each new stream as ``sessions`` grows, and lists the other traffic from ``flows``."""

    flows: FlowLog

    async def start(self) -> None: ...
    def greeting(self) -> str: ...
