"""The tap's forwarding loop: the app's bytes to the upstream and back, unchanged and in order, with a copy of
each chunk handed to analysis that forwarding never waits for.

Only the request head is read before forwarding (to reach the upstream with the right ``Host``); the upstream's
answer goes back byte for byte, a refusal's status, headers and body included. After a 101 the connection is
two byte pumps: WebSocket frames, pings and closes pass as the peers wrote them (the tap answers nothing itself).
If analysis falls behind, analysis drops and says so; forwarding never does.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from websockets.frames import Frame

from dgtui.tap.frames import FrameReader
from dgtui.tap.http import END, HEAD_LIMIT, Head, HeadError, bad_gateway, parse_head, upstream_request

CHUNK = 64 * 1024
ANALYSIS_BACKLOG = 4096  # chunks waiting for analysis before analysis gives up on the connection


@dataclass(frozen=True)
class Upstream:
    """Where the tap forwards: host, port and TLS (verified) from a ws(s):// or http(s):// URL."""

    host: str
    port: int
    tls: ssl.SSLContext | None
    url: str

    @classmethod
    def from_url(cls, url: str, ca: str | None = None) -> Upstream:
        parts = urlsplit(url)
        secure = parts.scheme in ("wss", "https")
        if parts.scheme not in ("ws", "wss", "http", "https") or not parts.hostname:
            raise ValueError(f"not an upstream URL: {url!r} (expected ws://, wss://, http:// or https://HOST[:PORT])")
        tls = ssl.create_default_context(cafile=ca) if secure else None
        return cls(parts.hostname, parts.port or (443 if secure else 80), tls, url)

    @property
    def authority(self) -> str:
        default = 443 if self.tls is not None else 80
        return self.host if self.port == default else f"{self.host}:{self.port}"


class Observer(Protocol):
    """What analysis is told about one tapped connection (each call may fail: forwarding is not affected)."""

    def handshake(self, request: Head, response: Head, at: float) -> None: ...
    def frame(self, from_app: bool, frame: Frame, at: float) -> None: ...
    def ended(self, at: float, note: str) -> None: ...


class _Analysis:
    """Chunks of both directions in arrival order, parsed into frames for the observer on a task of its own."""

    def __init__(self, observer: Observer, clock: Callable[[], float]) -> None:
        self.observer = observer
        self.clock = clock
        self.queue: asyncio.Queue[tuple[bool, bytes, float] | None] = asyncio.Queue(ANALYSIS_BACKLOG)
        self.readers = {True: FrameReader(mask=True), False: FrameReader(mask=False)}
        self.dropped = False
        self.task = asyncio.create_task(self._run())

    def offer(self, from_app: bool, data: bytes) -> None:
        if self.dropped:
            return
        try:
            self.queue.put_nowait((from_app, data, self.clock()))
        except asyncio.QueueFull:
            self.dropped = True  # frames cannot be followed past a gap: this connection's analysis stops

    async def _run(self) -> None:
        while (item := await self.queue.get()) is not None:
            from_app, data, at = item
            for frame in self.readers[from_app].feed(data):
                with contextlib.suppress(Exception):
                    self.observer.frame(from_app, frame, at)

    async def finish(self, note: str) -> None:
        if not self.dropped:
            try:
                self.queue.put_nowait(None)
            except asyncio.QueueFull:
                self.dropped = True  # a full backlog at the end: what is left is not analysed
            else:
                await self.task
        self.task.cancel()
        if self.dropped:
            note = f"{note}; analysis fell behind and stopped (the traffic was forwarded whole)"
        with contextlib.suppress(Exception):
            self.observer.ended(self.clock(), note)


async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter, copy: Callable[[bytes], None]) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while data := await source.read(CHUNK):
            sink.write(data)
            copy(data)
            await sink.drain()
    with contextlib.suppress(ConnectionError, OSError, RuntimeError):
        if sink.can_write_eof():
            sink.write_eof()


async def relay(
    app_reader: asyncio.StreamReader,
    app_writer: asyncio.StreamWriter,
    upstream: Upstream,
    observer: Observer | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Serve one connection from the app until both sides are done."""
    up_writer: asyncio.StreamWriter | None = None
    try:
        try:
            request = parse_head(await app_reader.readuntil(END))
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, HeadError, ConnectionError):
            return  # not HTTP, or gone before its head: nothing to forward
        try:
            up_reader, up_writer = await asyncio.open_connection(
                upstream.host, upstream.port, ssl=upstream.tls, limit=HEAD_LIMIT
            )
            up_writer.write(upstream_request(request, upstream.authority))
            await up_writer.drain()
            response = parse_head(await up_reader.readuntil(END))
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, HeadError) as exc:
            app_writer.write(bad_gateway(upstream.url, str(exc) or type(exc).__name__))
            with contextlib.suppress(ConnectionError):
                await app_writer.drain()
            return
        app_writer.write(response.raw)
        analysis = _Analysis(observer, clock) if observer is not None and response.status == 101 else None
        if analysis is not None:
            with contextlib.suppress(Exception):
                analysis.observer.handshake(request, response, clock())

        def copy(from_app: bool) -> Callable[[bytes], None]:
            if analysis is None:
                return lambda _: None
            return lambda data: analysis.offer(from_app, data)

        await asyncio.gather(_pump(app_reader, up_writer, copy(True)), _pump(up_reader, app_writer, copy(False)))
        if analysis is not None:
            await analysis.finish("connection closed")
    finally:
        for writer in (app_writer, up_writer):
            if writer is not None:
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()


async def start_tap(
    host: str, port: int, upstream: Upstream, observers: Callable[[str], Observer | None] = lambda peer: None
) -> asyncio.Server:
    """A listening tap: each connection relayed to ``upstream``, with an observer of its own (given the app's
    address, ``host:port``)."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername") or ("?", 0)
        await relay(reader, writer, upstream, observers(f"{peer[0]}:{peer[1]}"))

    return await asyncio.start_server(serve, host, port, limit=HEAD_LIMIT)
