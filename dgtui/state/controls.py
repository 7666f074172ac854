"""What a view holds of a stream and may do to it, declared: its state, the controls of a live one, a replay's
playback.

The app holds each tab's :class:`Stream`, renders its ``state`` and calls the controls directly, after an
``isinstance`` check against these protocols; it never looks methods up by name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from dgtui.state.stream import SessionState


class Stream(Protocol):
    """A stream as the app holds it: a live session, a replay or a scripted one. It *has* a state, which views
    read; it runs to its end, and can be stopped."""

    state: SessionState

    @property
    def name(self) -> str: ...
    async def run(self) -> bool: ...
    def stop(self) -> None: ...


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
