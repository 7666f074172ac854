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
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple, Protocol
from urllib.parse import urlsplit

from websockets.frames import Frame

from dgtui.protocol.faults import ConnectionFaults, FaultPlan
from dgtui.tap.faulty import FaultedConnection, end_of, refusal_answer, without_compression
from dgtui.tap.frames import FrameReader, compression
from dgtui.tap.http import (
    END,
    HEAD_LIMIT,
    Head,
    HeadError,
    bad_gateway,
    is_listen,
    parse_head,
    upstream_request,
)

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
    def root(self) -> str:
        """Scheme and authority, no path: what a path the app asked for is appended to."""
        return f"{'wss' if self.tls is not None else 'ws'}://{self.authority}"

    @property
    def authority(self) -> str:
        default = 443 if self.tls is not None else 80
        return self.host if self.port == default else f"{self.host}:{self.port}"


class Observer(Protocol):
    """What analysis is told about one connection, in the order it happened (each call may fail: forwarding is
    not affected): the app's request head, then its bytes and the upstream's, the upstream's answer head among
    them; after a 101, frames instead of bytes; at last the end."""

    def opened(self, request: Head, at: float) -> None: ...
    def answered(self, response: Head, at: float) -> None: ...
    def data(self, from_app: bool, data: bytes, at: float) -> None: ...
    def frame(self, from_app: bool, frame: Frame, at: float) -> None: ...
    def fault(self, text: str, at: float) -> None: ...
    def ended(self, at: float, note: str) -> None: ...


class Tee(Protocol):
    """Where the relay hands its copies of one connection, in order: its answer head, the chunks of both sides, the
    end. Never blocks and never raises: the relay does not wait on it."""

    def offer(self, from_app: bool, data: bytes | Head, at: float | None = None) -> None: ...
    def fault(self, text: str, at: float | None = None) -> None: ...
    def finish(self, note: str, at: float | None = None) -> None: ...


Tees = Callable[[str, Head], Tee | None]  # the app's address and its request head -> the connection's tee

_END = object()  # the last item of a connection's analysis


class _Fault(NamedTuple):
    text: str


class Analysis:
    """What the relay saw, in arrival order, handed to the observer on the analysis loop (the app's, which may be
    another thread's: forwarding never waits on it), frames parsed once the connection is a WebSocket.

    The relay only appends to a deque and, when the analysis side is idle, schedules one drain there; the drain
    takes what is pending in batches, so the analysis loop stays responsive too.
    """

    BATCH = 256  # items analysed per turn of the analysis loop

    def __init__(self, observer: Observer, request: Head, clock: Callable[[], float] = time.monotonic,
                 loop: asyncio.AbstractEventLoop | None = None, at: float | None = None) -> None:  # fmt: skip
        self.observer = observer
        self.clock = clock
        self.loop = loop or asyncio.get_running_loop()
        self.items: deque[tuple[bool, bytes | Head | object, float]] = deque()
        self.readers = {True: FrameReader(mask=True), False: FrameReader(mask=False)}
        self.upgraded = False
        self.dropped = False
        self.note = ""
        self._scheduled = False
        self._offer(True, request, at)

    def offer(self, from_app: bool, data: bytes | Head, at: float | None = None) -> None:
        """From the relay (possibly on another thread): never blocks, never raises."""
        if self.dropped:
            return
        if len(self.items) >= ANALYSIS_BACKLOG:
            self.dropped = True  # frames cannot be followed past a gap: this connection's analysis stops
            return
        self._offer(from_app, data, at)

    def fault(self, text: str, at: float | None = None) -> None:
        """A fault fired on this connection (told in order with its traffic)."""
        self._offer(False, _Fault(text), at)

    def finish(self, note: str, at: float | None = None) -> None:
        """The connection is over (analysis says so once it has caught up)."""
        self.note = note
        self._offer(False, _END, at)

    def _offer(self, from_app: bool, data: bytes | Head | object, at: float | None) -> None:
        self.items.append((from_app, data, self.clock() if at is None else at))
        if not self._scheduled:
            self._scheduled = True
            with contextlib.suppress(RuntimeError):  # the analysis loop is gone (the app quit): nothing to tell
                self.loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:
        """On the analysis loop."""
        self._scheduled = False
        for _ in range(self.BATCH):
            if not self.items:
                return
            from_app, data, at = self.items.popleft()
            if data is _END:
                note = self.note
                if self.dropped:
                    note = f"{note}; analysis fell behind and stopped (the traffic was forwarded whole)"
                self._call(self.observer.ended, at, note)
                self.items.clear()
                return
            self._analyse(from_app, data, at)
        if self.items and not self._scheduled:
            self._scheduled = True
            self.loop.call_soon(self._drain)

    def _analyse(self, from_app: bool, data: bytes | Head | object, at: float) -> None:
        if isinstance(data, _Fault):
            self._call(self.observer.fault, data.text, at)
        elif isinstance(data, Head) and from_app:
            self._call(self.observer.opened, data, at)
        elif isinstance(data, Head):
            self.upgraded = data.status == 101
            if self.upgraded:
                agreed = compression(data.header("sec-websocket-extensions"))
                self.readers = {side: FrameReader(side, agreed[side]) for side in (True, False)}
            self._call(self.observer.answered, data, at)
        elif isinstance(data, bytes | bytearray) and self.upgraded:
            for frame in self.readers[from_app].feed(bytes(data)):
                self._call(self.observer.frame, from_app, frame, at)
        elif isinstance(data, bytes | bytearray):
            self._call(self.observer.data, from_app, data, at)

    @staticmethod
    def _call(method: Callable[..., None], *args: object) -> None:
        with contextlib.suppress(Exception):  # one stream's analysis failing leaves its traffic flowing
            method(*args)


async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter, copy: Callable[[bytes], None]) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while data := await source.read(CHUNK):
            sink.write(data)
            copy(data)
            await sink.drain()
    end_of(sink)


async def relay(
    app_reader: asyncio.StreamReader,
    app_writer: asyncio.StreamWriter,
    upstream: Upstream,
    tee: Callable[[Head], Tee | None] = lambda request: None,
    faults: FaultPlan | None = None,
) -> None:
    """Serve one connection from the app until both sides are done, a copy of everything to its tee; a live
    stream's faults, if any, done to it (:mod:`dgtui.tap.faulty`).

    The app's bytes go upstream from the moment its request head has (a POST's body does not wait for an
    answer); the upstream's answer head is read, handed back as is, then both directions are byte pumps.
    """
    up_writer: asyncio.StreamWriter | None = None
    sending: asyncio.Task[None] | None = None
    try:
        try:
            request = parse_head(await app_reader.readuntil(END))
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, HeadError, ConnectionError):
            return  # not HTTP, or gone before its head: nothing to forward
        analysis = tee(request)
        chosen = _faults_of(request, faults)
        if chosen:
            refusal = refusal_answer(chosen)
            if refusal is not None:
                await _answer_for_upstream(app_writer, refusal, chosen, analysis)
                return
            if delay := chosen.handshake_delay():
                await asyncio.sleep(delay)
            _tell(chosen, analysis)
            request = without_compression(request)
        try:
            up_reader, up_writer = await asyncio.open_connection(
                upstream.host, upstream.port, ssl=upstream.tls, limit=HEAD_LIMIT
            )
        except OSError as exc:
            await _bad_gateway(app_writer, upstream, exc, analysis)
            return
        up_writer.write(upstream_request(request, upstream.authority))
        copy = _copier(analysis)
        sending = asyncio.create_task(_pump(app_reader, up_writer, copy(True)))
        try:
            response = parse_head(await up_reader.readuntil(END))
        except asyncio.IncompleteReadError:
            await _bad_gateway(app_writer, upstream, "it closed the connection without an answer", analysis)
            return
        except (OSError, asyncio.LimitOverrunError, HeadError) as exc:
            await _bad_gateway(app_writer, upstream, exc, analysis)
            return
        app_writer.write(response.raw)
        if analysis is not None:
            analysis.offer(False, response)
        if chosen and response.status == 101:
            sending.cancel()  # the faulted pumps read the app's side themselves
            with contextlib.suppress(asyncio.CancelledError):
                await sending
            told = (lambda text: analysis.fault(text)) if analysis is not None else (lambda text: None)
            await FaultedConnection(chosen, request, app_reader, app_writer, up_reader, up_writer, copy, told).run()
        else:
            await asyncio.gather(sending, _pump(up_reader, app_writer, copy(False)))
        if analysis is not None:
            analysis.finish("connection closed")
    finally:
        if sending is not None and not sending.done():
            sending.cancel()
        for writer in (app_writer, up_writer):
            if writer is not None:
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()


def _faults_of(request: Head, faults: FaultPlan | None) -> ConnectionFaults | None:
    """A live stream's faults (other requests pass untouched)."""
    if not faults or not is_listen(request):
        return None
    return faults.connection(flux=urlsplit(request.target).path.rstrip("/") == "/v2/listen") or None


def _tell(faults: ConnectionFaults, analysis: Tee | None) -> None:
    """What fired at the handshake, told to the connection's tee."""
    for text in faults.fired:
        if analysis is not None:
            analysis.fault(text)
    faults.fired.clear()


async def _answer_for_upstream(app_writer: asyncio.StreamWriter, answer: bytes, faults: ConnectionFaults,
                               analysis: Tee | None) -> None:  # fmt: skip
    """A refusal the fault words as Deepgram would: the upstream is never asked."""
    app_writer.write(answer)
    with contextlib.suppress(ConnectionError):
        await app_writer.drain()
    _tell(faults, analysis)
    if analysis is not None:
        head, body = answer.split(END, 1)
        analysis.offer(False, parse_head(head + END))
        analysis.offer(False, body)
        analysis.finish("refused by a fault")


def _copier(analysis: Tee | None) -> Callable[[bool], Callable[[bytes], None]]:
    def copy(from_app: bool) -> Callable[[bytes], None]:
        if analysis is None:
            return lambda _: None
        tee = analysis
        return lambda data: tee.offer(from_app, data)

    return copy


async def _bad_gateway(
    app_writer: asyncio.StreamWriter, upstream: Upstream, exc: BaseException | str, analysis: Tee | None
) -> None:
    """The app gets a 502 that names the upstream; analysis sees it as the answer (what the app got)."""
    answer = bad_gateway(upstream.url, str(exc) or type(exc).__name__)
    app_writer.write(answer)
    with contextlib.suppress(ConnectionError):
        await app_writer.drain()
    if analysis is not None:
        head, body = answer.split(END, 1)
        analysis.offer(False, parse_head(head + END))
        analysis.offer(False, body)
        analysis.finish("the upstream could not be reached")


class Tap:
    """A listening tap: each connection relayed to ``upstream`` on a task of its own, with an observer of its own
    (given the app's address, ``host:port``); ``close`` stops listening and cuts what is still open."""

    def __init__(self, server: asyncio.Server, connections: dict[asyncio.Task[None], asyncio.StreamWriter]) -> None:
        self.server = server
        self.connections = connections  # each connection's task and the app's side of it

    @property
    def port(self) -> int:
        return self.server.sockets[0].getsockname()[1]

    async def close(self, grace: float = 2.0) -> None:
        """Stop listening and cut every connection from the app (as a crash would: its analysis says so); what
        has not ended within ``grace`` seconds is cancelled."""
        self.server.close()
        tasks = list(self.connections)
        for writer in self.connections.values():
            writer.transport.abort()
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await self.server.wait_closed()


async def start_tap(
    host: str,
    port: int,
    upstream: Upstream,
    observers: Callable[[str], Observer | None] = lambda peer: None,
    tls: ssl.SSLContext | None = None,
    tees: Tees | None = None,
    faults: FaultPlan | None = None,
) -> Tap:
    """Listen on ``host:port`` (``wss``/``https`` with ``tls``) and relay every connection to ``upstream``; a copy
    of each goes to its observer (analysed on this loop) or, with ``tees``, wherever they send it."""
    connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    def analysed(peer: str, request: Head) -> Tee | None:
        observer = observers(peer)
        return Analysis(observer, request) if observer is not None else None

    tee_for = tees or analysed

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        connections[task] = writer
        try:
            host_port = writer.get_extra_info("peername") or ("?", 0)
            peer = f"{host_port[0]}:{host_port[1]}"
            await relay(reader, writer, upstream, lambda request: tee_for(peer, request), faults)
        except asyncio.CancelledError:
            pass  # the tap is closing: nothing is left to forward
        finally:
            connections.pop(task, None)

    server = await asyncio.start_server(serve, host, port, limit=HEAD_LIMIT, ssl=tls)
    return Tap(server, connections)
