"""WebSocket frames read from a copy of one direction's bytes, no I/O: what the tap analyses, never what it
forwards (the bytes go on as they came, whatever this makes of them)."""

from __future__ import annotations

from collections.abc import Generator

from websockets.exceptions import InvalidHeader
from websockets.extensions.base import Extension
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import Frame
from websockets.headers import parse_extension
from websockets.streams import StreamReader


def compression(extensions: str | None) -> dict[bool, list[Extension]]:
    """What the handshake's ``Sec-WebSocket-Extensions`` answer agreed, as a decoder for each direction (keyed by
    ``from_app``): permessage-deflate's messages are read inflated, with the window and context each side uses."""
    found: dict[bool, list[Extension]] = {True: [], False: []}
    try:
        offered = parse_extension(extensions) if extensions else []
    except InvalidHeader:  # the app accepted it or not: the frames say; analysis reads them as plain
        offered = []
    for name, params in offered:
        if name != "permessage-deflate":
            continue
        agreed = dict(params)
        client = ("client_no_context_takeover" in agreed, int(agreed.get("client_max_window_bits") or 15))
        server = ("server_no_context_takeover" in agreed, int(agreed.get("server_max_window_bits") or 15))
        found[True] = [PerMessageDeflate(client[0], server[0], client[1], server[1])]  # the app's: as the server
        found[False] = [PerMessageDeflate(server[0], client[0], server[1], client[1])]  # the upstream's: as the app
    return found


class FrameReader:
    """Frames of one direction; ``mask`` is True for the app's frames (clients mask), False for the upstream's;
    ``extensions``: how to read them (permessage-deflate, when the handshake agreed it)."""

    def __init__(self, mask: bool, extensions: list[Extension] | None = None) -> None:
        self._mask = mask
        self._extensions = extensions or []
        self._reader = StreamReader()
        self._frames: list[Frame] = []
        self.error: str | None = None  # set when the bytes stop being frames; analysis of this side stops
        self._parser = self._parse()
        next(self._parser)

    def _parse(self) -> Generator[None, None, None]:
        while True:
            frame = yield from Frame.parse(self._reader.read_exact, mask=self._mask, max_size=None,
                                           extensions=self._extensions)  # fmt: skip
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
