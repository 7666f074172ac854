"""The framing between the server and an engine worker: kind, stream id, length, payload; a cut frame is the end."""

from __future__ import annotations

import asyncio
import io

from dgtui.server.engine import ipc


def test_frames_read_back_whole_with_their_stream_and_a_cut_one_is_the_end():
    data = ipc.pack(ipc.OPEN, 7, b'{"options":{}}') + ipc.pack(ipc.CLOSE, 2**32 - 1) + ipc.pack(ipc.AUDIO, 7, b"abc")
    stream = io.BytesIO(data[:-1])
    assert ipc.read_frame(stream) == (ipc.OPEN, 7, b'{"options":{}}')
    assert ipc.read_frame(stream) == ipc.Frame(ipc.CLOSE, 2**32 - 1, b"")
    assert ipc.read_frame(stream) is None  # the worker died mid-frame
    assert ipc.read_frame(io.BytesIO(b"")) is None


async def test_the_async_reader_reads_the_same_frames():
    reader = asyncio.StreamReader()
    reader.feed_data(ipc.pack(ipc.MESSAGE, 3, b'{"type":"Results"}') + ipc.pack(ipc.READY, ipc.WORKER))
    reader.feed_eof()
    assert await ipc.read_frame_async(reader) == (ipc.MESSAGE, 3, b'{"type":"Results"}')
    assert await ipc.read_frame_async(reader) == (ipc.READY, 0, b"")
    assert await ipc.read_frame_async(reader) is None
