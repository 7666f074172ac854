"""The forwarding process on its own: it says where it listens, relays, writes a record of everything it forwards,
drops copies (never traffic) when its reader falls behind, says why it cannot listen, and ends with its input."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys

import websockets

from dgtui.tap.copies import (
    ANSWERED,
    DROPPED,
    ENDED,
    FAILED,
    FROM_APP,
    FROM_UPSTREAM,
    OPENED,
    READY,
    RecordReader,
)
from dgtui.tap.forwarder import CopyTee
from dgtui.tap.http import parse_head


async def records_of(process: asyncio.subprocess.Process, reader: RecordReader, until: int) -> list:  # type: ignore[type-arg]
    found: list = []  # type: ignore[type-arg]
    assert process.stdout is not None
    while not any(r.kind == until for r in found):
        data = await asyncio.wait_for(process.stdout.read(1 << 16), 20)
        assert data, found
        found += reader.feed(data)
    return found


async def test_it_relays_and_records_everything_it_forwards_then_ends_with_its_input(make_server):
    upstream = make_server(engine="synthetic")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "dgtui.tap.forwarder", "--upstream", upstream.url, "--port", "0",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    reader = RecordReader()
    (ready,) = await records_of(process, reader, READY)
    audio = b"\1\0" * 16000
    async with websockets.connect(f"ws://127.0.0.1:{int(ready.payload)}/v1/listen?encoding=linear16&sample_rate=16000") as ws:  # fmt: skip  # noqa: E501
        await ws.send(audio)
        await ws.send('{"type":"CloseStream"}')
        messages = [m async for m in ws]
    records = await records_of(process, reader, ENDED)
    assert [r.kind for r in records[:2]] == [OPENED, ANSWERED] and parse_head(records[1].payload).status == 101
    assert all(r.connection == 1 for r in records) and records[-1].payload == b"connection closed"
    from_app = b"".join(r.payload for r in records if r.kind == FROM_APP)
    from_upstream = b"".join(r.payload for r in records if r.kind == FROM_UPSTREAM)
    assert len(from_app) > len(audio) and from_upstream.count(b'"type":') >= len(messages) > 0
    assert [r.at for r in records] == sorted(r.at for r in records)
    assert process.stdin is not None
    process.stdin.close()
    assert await asyncio.wait_for(process.wait(), 20) == 0


def test_it_says_why_it_cannot_listen():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "dgtui.tap.forwarder", "--upstream", "ws://127.0.0.1:9",
                                 "--port", str(port)], capture_output=True, timeout=30)  # fmt: skip
    (record,) = RecordReader().feed(result.stdout)
    assert result.returncode == 1 and record.kind == FAILED and b"in use" in record.payload


class SlowPipe:
    """A pipe whose reader has fallen behind by ``waiting`` bytes."""

    def __init__(self, waiting: int) -> None:
        self.waiting = waiting
        self.written: list[bytes] = []

    def get_write_buffer_size(self) -> int:
        return self.waiting

    def is_closing(self) -> bool:
        return False

    def write(self, data: bytes) -> None:
        self.written.append(data)


def test_copies_are_dropped_when_the_reader_falls_behind_and_it_is_told_once():
    from dgtui.tap.forwarder import Copies

    pipe = SlowPipe(waiting=10**9)
    tee = CopyTee(Copies(pipe), 1, "app", parse_head(b"GET /v1/listen HTTP/1.1\r\nHost: x\r\n\r\n"))  # type: ignore[arg-type]
    for _ in range(3):
        tee.offer(True, b"audio")
    tee.finish("connection closed")
    kinds = [record.kind for record in RecordReader().feed(b"".join(pipe.written))]
    assert kinds == [OPENED, DROPPED, ENDED]
