"""Framing between the server and an engine worker: a 1-byte kind, a 4-byte stream id, a 4-byte length, the
payload. One worker serves many streams; every frame names the stream it belongs to (0: the worker itself).

Worker -> server: READY (stream 0: the worker is loaded; its measured real-time factor), MESSAGE (a Deepgram
JSON message, forwarded as is), ERROR, DONE (the stream's report; its id is free again).
Server -> worker: OPEN (the stream's settings), AUDIO, FINALIZE, CLOSE (flush, report), ABORT (report without
flushing); on Flux streams also FORCE_END (ForceEndTurn) and CONFIGURE (thresholds).
"""

from __future__ import annotations

import asyncio
import struct
from typing import BinaryIO, NamedTuple

HEADER = struct.Struct("!cII")

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

WORKER = 0  # the stream id of frames about the worker itself


class Frame(NamedTuple):
    kind: bytes
    stream: int
    payload: bytes


def pack(kind: bytes, stream: int, payload: bytes = b"") -> bytes:
    return HEADER.pack(kind, stream, len(payload)) + payload


def read_frame(stream: BinaryIO) -> Frame | None:
    """Blocking read of one frame; ``None`` at end of stream."""
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    kind, stream_id, length = HEADER.unpack(header)
    payload = stream.read(length) if length else b""
    if len(payload) < length:
        return None
    return Frame(kind, stream_id, payload)


async def read_frame_async(reader: asyncio.StreamReader) -> Frame | None:
    try:
        header = await reader.readexactly(HEADER.size)
        kind, stream_id, length = HEADER.unpack(header)
        payload = await reader.readexactly(length) if length else b""
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    return Frame(kind, stream_id, payload)
