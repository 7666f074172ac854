"""The framing between the server and an engine worker: kind, length, payload; a cut frame is the end."""

from __future__ import annotations

import asyncio
import io

from dgtui.server.engine import ipc


def test_frames_read_back_whole_and_a_cut_one_is_the_end():
    stream = io.BytesIO(ipc.pack(ipc.OPEN, b'{"options":{}}') + ipc.pack(ipc.CLOSE) + ipc.pack(ipc.AUDIO, b"abc")[:-1])
    assert ipc.read_frame(stream) == (ipc.OPEN, b'{"options":{}}')
    assert ipc.read_frame(stream) == (ipc.CLOSE, b"")
    assert ipc.read_frame(stream) is None  # the worker died mid-frame
    assert ipc.read_frame(io.BytesIO(b"")) is None


async def test_the_async_reader_reads_the_same_frames():
    reader = asyncio.StreamReader()
    reader.feed_data(ipc.pack(ipc.MESSAGE, b'{"type":"Results"}') + ipc.pack(ipc.DONE))
    reader.feed_eof()
    assert await ipc.read_frame_async(reader) == (ipc.MESSAGE, b'{"type":"Results"}')
    assert await ipc.read_frame_async(reader) == (ipc.DONE, b"")
    assert await ipc.read_frame_async(reader) is None
