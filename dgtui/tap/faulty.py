"""The relay with faults: what :mod:`dgtui.protocol.faults` decides for a connection, done to its traffic.

A faulted connection is followed frame by frame both ways (permessage-deflate is not offered upstream, so every
frame can be read and written whole): the app's audio frames move its audio cursor (the ``at=`` of timed faults),
the server's messages are counted (``after=``), held (``delay``, ``stall``), limited (``bandwidth``), and the
relay speaks for the server when a fault says so (a close, an ``Error``, a malformed message) or cuts the
connection (``drop``). Every fault that fires is told to the connection's tee, so the tapped stream, ``dgtui serve
--json`` and the pytest plugin see it. A connection without faults never comes here.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from websockets.frames import Close, Frame, Opcode

from dgtui.audio.chunks import declared_rate
from dgtui.protocol.faults import Action, ConnectionFaults
from dgtui.tap.frames import FrameReader
from dgtui.tap.http import Head

CHUNK = 64 * 1024


def refusal_answer(faults: ConnectionFaults) -> bytes | None:
    """A ``refuse`` fault's answer to the handshake, as Deepgram words one, or None."""
    refusal = faults.refusal()
    if refusal is None:
        return None
    request_id = str(uuid.uuid4())
    body = refusal.body(request_id)
    head = (f"HTTP/1.1 {refusal.status} {refusal.phrase}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\ndg-error: {refusal.message}\r\ndg-request-id: {request_id}\r\n"
            "Connection: close\r\n\r\n")  # fmt: skip
    return head.encode() + body


def without_compression(head: Head) -> Head:
    """The upgrade request without ``Sec-WebSocket-Extensions``: a faulted stream's frames are read and written
    whole, so none is compressed."""
    headers = tuple((k, v) for k, v in head.headers if k.lower() != "sec-websocket-extensions")
    raw = ("\r\n".join([head.start, *(f"{k}: {v}" for k, v in headers)]) + "\r\n\r\n").encode("latin-1")
    return Head(head.start, headers, raw)


def end_of(sink: asyncio.StreamWriter) -> None:
    """One side said all it will: the other is told (a half-close; over TLS, which has none, the close)."""
    with contextlib.suppress(ConnectionError, OSError, RuntimeError):
        if sink.can_write_eof():
            sink.write_eof()
        else:
            sink.close()


class Bucket:
    """Bandwidth: the time by which ``size`` more bytes may have passed at ``rate`` bytes a second."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self._free_at = 0.0

    async def take(self, size: int) -> None:
        if self.rate is None:
            return
        now = time.monotonic()
        self._free_at = max(self._free_at, now) + size / self.rate
        if self._free_at > now:
            await asyncio.sleep(self._free_at - now)


class FaultedConnection:
    """One upgraded connection with faults: the two pumps, and the fault actions between them."""

    def __init__(self, faults: ConnectionFaults, request: Head, app_reader: asyncio.StreamReader,
                 app_writer: asyncio.StreamWriter, up_reader: asyncio.StreamReader, up_writer: asyncio.StreamWriter,
                 copy: Callable[[bool], Callable[[bytes], None]], told: Callable[[str], None]) -> None:  # fmt: skip
        self.faults = faults
        self.app_reader, self.app_writer = app_reader, app_writer
        self.up_reader, self.up_writer = up_reader, up_writer
        self.copy_from_app, self.copy_to_app = copy(True), copy(False)
        self.told = told
        rate = faults.bandwidth()
        self.up_bucket, self.down_bucket = Bucket(rate), Bucket(rate)
        self.bytes_per_second = declared_rate(dict(parse_qsl(urlsplit(request.target).query)))
        self.audio_bytes = 0
        self.outbox: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
        self.stalled_until = 0.0
        self.later: list[asyncio.Task[None]] = []  # closes on tasks of their own
        self.closing = False
        self.ended = asyncio.Event()  # a fault ends the connection: nothing more is forwarded
        self.done = asyncio.Event()  # ... and it has ended it
        self.app_closed = asyncio.Event()  # the app's close frame came

    async def run(self) -> None:
        tasks = [asyncio.create_task(self._from_app()), asyncio.create_task(self._from_upstream()),
                 asyncio.create_task(self._to_app())]  # fmt: skip
        ended = asyncio.create_task(self.done.wait())
        everything = asyncio.gather(*tasks)  # each side ends on its own, as the plain relay's pumps do
        await asyncio.wait([ended, everything], return_when=asyncio.FIRST_COMPLETED)
        for task in [*tasks, ended, *self.later]:
            task.cancel()
        everything.cancel()
        pending: list[asyncio.Future[Any]] = [*tasks, ended, everything, *self.later]
        await asyncio.gather(*pending, return_exceptions=True)

    # -- the app's side: forwarded as it came, its audio counted ----------------------------------------

    async def _from_app(self) -> None:
        reader = FrameReader(mask=True)
        with contextlib.suppress(ConnectionError, OSError):
            while data := await self.app_reader.read(CHUNK):
                if self.ended.is_set():  # what the app sends after a fault's close goes nowhere; its close ends it
                    if any(frame.opcode is Opcode.CLOSE for frame in reader.feed(data)):
                        self.app_closed.set()
                    continue
                await self.up_bucket.take(len(data))
                self.up_writer.write(data)
                self.copy_from_app(data)
                for frame in reader.feed(data):
                    if frame.opcode is Opcode.BINARY:
                        self.audio_bytes += len(frame.data)
                        await self._act(self.faults.on_audio(self._cursor()))
                await self.up_writer.drain()
        end_of(self.up_writer)

    def _cursor(self) -> float:
        """Seconds of audio the app sent (a container's bytes count as 16 kHz linear16: a rough clock)."""
        return self.audio_bytes / (self.bytes_per_second or 32000)

    # -- the server's side: message by message, held, limited, spoken for -------------------------------

    async def _from_upstream(self) -> None:
        reader = FrameReader(mask=False)
        with contextlib.suppress(ConnectionError, OSError):
            while data := await self.up_reader.read(CHUNK):
                for frame in reader.feed(data):
                    if frame.opcode in (Opcode.TEXT, Opcode.BINARY):
                        await self._act(self.faults.on_message())
                    if self.ended.is_set():
                        return
                    delay = self.faults.message_delay() if frame.opcode is Opcode.TEXT else 0.0
                    await self.outbox.put((time.monotonic() + delay, frame.serialize(mask=False)))
        await self.outbox.put(None)  # the upstream said all it will: the app's side ends after the last of it

    async def _to_app(self) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while (item := await self.outbox.get()) is not None:
                release, data = item
                while (hold := max(release, self.stalled_until) - time.monotonic()) > 0:
                    await asyncio.sleep(min(hold, 0.05))  # a stall begun meanwhile holds this one too
                await self.down_bucket.take(len(data))
                await self._send(data)
        end_of(self.app_writer)

    async def _send(self, data: bytes) -> None:
        self.app_writer.write(data)
        self.copy_to_app(data)
        await self.app_writer.drain()

    # -- the faults' actions ------------------------------------------------------------------------------

    async def _act(self, actions: list[Action]) -> None:
        for action in actions:
            self.told(action.describe)
            kind = action.kind
            if kind == "drop":
                await self._end(close=None)
            elif kind in ("close", "error"):
                if kind == "error":
                    await self._send_text(self.faults.error_message(action.fault))
                self.ended.set()  # from now on nothing is forwarded; the close goes on a task of its own
                self.later.append(asyncio.create_task(self._end(close=self.faults.close_of(action.fault))))
            elif kind == "malformed":
                await self._send_text(self.faults.malformed(action.fault))
            elif kind == "stall":
                closes = action.fault.then == "close"  # then nothing more is said: held until the close
                self.stalled_until = float("inf") if closes else time.monotonic() + action.fault.duration
                if closes:
                    self.later.append(asyncio.create_task(self._close_after_stall(action)))

    async def _close_after_stall(self, action: Action) -> None:
        await asyncio.sleep(action.fault.duration)
        await self._end(close=self.faults.close_of(action.fault))

    async def _send_text(self, text: str) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            await self._send(Frame(Opcode.TEXT, text.encode()).serialize(mask=False))

    async def _end(self, close: tuple[int, str] | None) -> None:
        """As the server would: a close frame (then the connection closed), or the connection cut (``None``)."""
        if self.done.is_set() or self.closing:
            return
        self.closing = True
        self.ended.set()
        try:
            await self._close_or_cut(close)
        finally:
            self.done.set()

    async def _close_or_cut(self, close: tuple[int, str] | None) -> None:
        if close is None:  # cut: no close frame, a reset
            for writer in (self.app_writer, self.up_writer):
                writer.transport.abort()
            return
        code, reason = close
        self.up_writer.transport.abort()  # the server's side is done with; the app gets the close
        with contextlib.suppress(ConnectionError, OSError):
            await self._send(Frame(Opcode.CLOSE, Close(code, reason[:120]).serialize()).serialize(mask=False))
            with contextlib.suppress(TimeoutError):  # the app's answering close (what it still sends is dropped)
                await asyncio.wait_for(self.app_closed.wait(), 2)
        self.app_writer.close()  # a clean end of the connection, as a server closes after the handshake
