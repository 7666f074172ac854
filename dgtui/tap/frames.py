"""WebSocket frames read from a copy of one direction's bytes, no I/O: what the tap analyses, never what it
forwards (the bytes go on as they came, whatever this makes of them)."""

from __future__ import annotations

from collections.abc import Generator

from websockets.frames import Frame
from websockets.streams import StreamReader


class FrameReader:
    """Frames of one direction; ``mask`` is True for the app's frames (clients mask), False for the upstream's."""

    def __init__(self, mask: bool) -> None:
        self._mask = mask
        self._reader = StreamReader()
        self._frames: list[Frame] = []
        self.error: str | None = None  # set when the bytes stop being frames; analysis of this side stops
        self._parser = self._parse()
        next(self._parser)

    def _parse(self) -> Generator[None, None, None]:
        while True:
            frame = yield from Frame.parse(self._reader.read_exact, mask=self._mask, max_size=None)
            self._frames.append(frame)

    def feed(self, data: bytes) -> list[Frame]:
        """The frames completed by ``data`` (none after an error)."""
        if self.error is not None:
            return []
        self._reader.feed_data(data)
        try:
            self._parser.send(None)
        except Exception as exc:  # a protocol error in the copy: say it, never touch the traffic
            self.error = f"{type(exc).__name__}: {exc}"
        frames, self._frames = self._frames, []
        return frames
