"""What a view may do to a stream, declared: the controls of a live one, and a replay's playback.

The app holds each stream's :class:`~dgtui.session.state.SessionState` and calls these directly, after an
``isinstance`` check against these protocols; it never looks methods up by name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable


@runtime_checkable
class StreamControls(Protocol):
    """A stream that can be paused, finalized, reconnected and stopped (a live session, or a scripted one)."""

    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def request_finalize(self, channel: int | None = None) -> None: ...
    def reconnect(self) -> None: ...
    def stop(self) -> None: ...


@runtime_checkable
class Replayable(Protocol):
    """A recorded stream played back: no connection to finalize or reconnect, a speed and a jump to the end."""

    path: Path  # the recording it plays
    speed: float

    def set_speed(self, speed: float) -> None: ...
    def jump_to_end(self) -> None: ...
