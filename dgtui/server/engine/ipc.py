"""Framing between the server and an engine worker: a 1-byte kind, a 4-byte length, the payload.

Worker -> server: READY, MESSAGE (a Deepgram JSON message, forwarded as is), ERROR, DONE.
Server -> worker: OPEN (the stream's settings), AUDIO, FINALIZE, CLOSE (flush, report, exit),
ABORT (report without flushing, exit); on Flux streams also FORCE_END (ForceEndTurn) and CONFIGURE (thresholds).
"""

from __future__ import annotations

import asyncio
import struct
from typing import BinaryIO

HEADER = struct.Struct("!cI")

READY = b"R"
MESSAGE = b"M"
ERROR = b"E"
DONE = b"D"

OPEN = b"O"
AUDIO = b"A"
FINALIZE = b"F"
CLOSE = b"C"
ABORT = b"X"
FORCE_END = b"T"
CONFIGURE = b"G"

Frame = tuple[bytes, bytes]


def pack(kind: bytes, payload: bytes = b"") -> bytes:
    return HEADER.pack(kind, len(payload)) + payload


def read_frame(stream: BinaryIO) -> Frame | None:
    """Blocking read of one frame; ``None`` at end of stream."""
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    kind, length = HEADER.unpack(header)
    payload = stream.read(length) if length else b""
    if len(payload) < length:
        return None
    return kind, payload


async def read_frame_async(reader: asyncio.StreamReader) -> Frame | None:
    try:
        header = await reader.readexactly(HEADER.size)
        kind, length = HEADER.unpack(header)
        payload = await reader.readexactly(length) if length else b""
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    return kind, payload
