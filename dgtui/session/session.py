"""One live stream: source -> connection -> messages -> state (transcript, metrics) and events.

The sender paces file audio to the wall clock (live sources pace themselves), sends a KeepAlive whenever
audio is not flowing (paused, source stalled), a Finalize on request, and CloseStream at the end; then it
waits, bounded, for the last results, the Metadata and the close. The receiver decodes each message once and
applies it to the session's state, which hands a typed event to every listener.

A reconnect closes the connection the same way and opens a new one on the same source, from where it was:
the new connection's timestamps are shifted by the audio already sent, so the stream keeps one timeline.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import msgspec
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from dgtui.audio.chunks import AudioChunk
from dgtui.audio.sources import AudioSource, SourceError
from dgtui.protocol import CLOSE_STREAM, KEEP_ALIVE, finalize
from dgtui.protocol.errors import CloseCode, explain_close
from dgtui.protocol.options import encode_query
from dgtui.secrets import redact_url
from dgtui.session.connection import HandshakeError, open_connection
from dgtui.session.events import State
from dgtui.session.state import Clock, Listener, SessionState


@dataclass
class SessionConfig:
    name: str
    url: str  # the listen endpoint, without query
    options: dict[str, Any] = field(default_factory=dict)
    api_key: str | None = None
    auth_scheme: str = "Token"  # "Bearer" for a temporary token
    keepalive_interval: float = 4.0
    close_timeout: float = 10.0
    connect_timeout: float = 10.0
    duration: float | None = None  # stop after this many seconds of audio

    def full_url(self, audio_query: dict[str, Any]) -> str:
        query = encode_query({**self.options, **audio_query})
        if not query:
            return self.url
        return f"{self.url}{'&' if '?' in self.url else '?'}{query}"  # --url may carry a query of its own


class LiveSession(SessionState):
    def __init__(
        self,
        config: SessionConfig,
        source: AudioSource,
        listeners: list[Listener] | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        super().__init__(
            config.name,
            source=redact_url(source.description),
            options=config.options,
            listeners=listeners,
            clock=clock,
        )
        self.config = config
        self.source = source
        self.set_endpoint(config.url)
        self._resume = asyncio.Event()
        self._resume.set()
        self._stop = asyncio.Event()
        self._reconnect = asyncio.Event()
        self._finalize_requests: asyncio.Queue[int | None] = asyncio.Queue()
        self._closestream_sent = False
        self._chunks: AsyncIterator[AudioChunk] | None = None
        self._pending: asyncio.Future[AudioChunk] | None = None
        self._paused_total = 0.0

    def set_endpoint(self, url: str) -> None:
        """Where to connect (the local engine's URL is known only once it runs)."""
        self.config.url = url
        self.url = redact_url(self.config.full_url(self.source.format.query())) if url else ""

    # -- control -----------------------------------------------------------------------------------------

    def pause(self) -> None:
        if self.state is State.STREAMING:
            self._resume.clear()
            self.set_state(State.PAUSED)

    def resume(self) -> None:
        if self.state is State.PAUSED:
            self._resume.set()
            self.set_state(State.STREAMING)

    def request_finalize(self, channel: int | None = None) -> None:
        self._finalize_requests.put_nowait(channel)

    def reconnect(self) -> None:
        """Close this connection (flushing its results) and go on from the same audio on a new one."""
        if self.state in (State.STREAMING, State.PAUSED):
            self._reconnect.set()
            self._resume.set()

    def stop(self) -> None:
        """End the stream gracefully: CloseStream, then wait for the flush."""
        self._stop.set()
        self._resume.set()

    # -- run ---------------------------------------------------------------------------------------------

    async def run(self) -> bool:
        """Stream until the source ends (or ``stop``); True when the stream ended cleanly."""
        self._chunks = aiter(self.source.chunks())
        try:
            while await self._connection():
                self.control("reconnect", self.cursor)
        finally:
            if self._pending is not None:
                self._pending.cancel()
            with contextlib.suppress(Exception):
                await self._chunks.aclose()  # type: ignore[attr-defined]
        return self.clean

    async def _connection(self) -> bool:
        """One connection, start to close; True when a reconnect was asked for."""
        self.set_state(State.CONNECTING)
        self._reconnect.clear()
        self._closestream_sent = False
        headers = {}
        if self.config.api_key:
            headers["Authorization"] = f"{self.config.auth_scheme} {self.config.api_key}"
        try:
            ws, timings = await open_connection(
                self.config.full_url(self.source.format.query()), headers, timeout=self.config.connect_timeout
            )
        except HandshakeError as exc:
            self.request_id = exc.request_id
            self.fail(str(exc))
            self.set_state(State.ERROR)
            self.closed(None, "", str(exc))
            return False
        self.connected(self.url, ws.response.headers.get("dg-request-id") if ws.response else None, timings)
        self.set_state(State.STREAMING)
        sender = asyncio.create_task(self._send(ws), name=f"send:{self.name}")
        try:
            await self._receive(ws)
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender
            await ws.close()
        self.transcript.finish()  # what is still open at the end becomes an utterance
        code, reason = ws.close_code, ws.close_reason or ""
        explanation = explain_close(code, reason)
        reconnecting = self._reconnect.is_set() and code == CloseCode.NORMAL and self.error is None
        if code != CloseCode.NORMAL and self.error is None:
            self.fail(explanation, reason)
        elif code == CloseCode.NORMAL and not self._closestream_sent and self.error is None:
            self.fail("the server closed the stream before dgtui finished sending", explanation)
        if not reconnecting:
            self.set_state(State.ERROR if self.error else State.CLOSED)
        self.closed(code, reason, explanation)
        return reconnecting

    async def _receive(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                if isinstance(raw, bytes):
                    continue  # the live API never sends binary frames
                try:
                    self.receive(raw, time.monotonic(), self.cursor)
                except msgspec.DecodeError:
                    self.fail("the server sent a message that is not JSON (ignored)", raw[:200], fatal=False)
        except ConnectionClosed:
            pass

    async def _send(self, ws: ClientConnection) -> None:
        assert self._chunks is not None
        started = time.monotonic() - self.offset
        self._paused_total = 0.0
        stopped = asyncio.ensure_future(self._stop.wait())
        reconnect = asyncio.ensure_future(self._reconnect.wait())
        try:
            while not self._stop.is_set() and not self._reconnect.is_set():
                await self._send_finalizes(ws)
                if not self._resume.is_set():
                    self._paused_total += await self._hold_while_paused(ws)
                    continue
                if self._pending is None:
                    self._pending = asyncio.ensure_future(anext(self._chunks))
                done, _ = await asyncio.wait(
                    {self._pending, stopped, reconnect},
                    timeout=self.config.keepalive_interval,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if self._pending not in done:
                    if not self._stop.is_set() and not self._reconnect.is_set():
                        await ws.send(KEEP_ALIVE)  # the source is stalled: hold the connection
                    continue
                try:
                    chunk = self._pending.result()
                except StopAsyncIteration:
                    break
                finally:
                    self._pending = None
                if self.source.realtime:
                    delay = started + self._paused_total + self.cursor - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                if not self._resume.is_set():  # paused while this chunk waited for its time
                    self._paused_total += await self._hold_while_paused(ws)
                if chunk.data:
                    await ws.send(chunk.data)
                self.on_audio(len(chunk.data), chunk.end, chunk.level_db, time.monotonic())
                if self.config.duration is not None and self.cursor >= self.config.duration:
                    break
            await self._send_finalizes(ws)
            self.audio_progress()
            await ws.send(CLOSE_STREAM)
            self._closestream_sent = True
            if not self._reconnect.is_set():
                self.set_state(State.CLOSING)
        except SourceError as exc:
            self.fail(str(exc))
            with contextlib.suppress(ConnectionClosed):
                await ws.send(CLOSE_STREAM)
                self._closestream_sent = True
        except ConnectionClosed:
            return
        finally:
            stopped.cancel()
            reconnect.cancel()
        # Bounded wait for the flush, the Metadata and the close.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.config.close_timeout):
                await ws.wait_closed()
                return
        self.fail(f"the server did not close the stream within {self.config.close_timeout:g} s of CloseStream")
        await ws.close()

    async def _hold_while_paused(self, ws: ClientConnection) -> float:
        """KeepAlive until resumed; returns the seconds paused (real-time pacing skips them)."""
        paused_at = time.monotonic()
        await self._keepalive_until(ws, self._resume)
        return time.monotonic() - paused_at

    async def _keepalive_until(self, ws: ClientConnection, event: asyncio.Event) -> None:
        while not event.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.config.keepalive_interval):
                    await event.wait()
                    return
            await ws.send(KEEP_ALIVE)
            await self._send_finalizes(ws)

    async def _send_finalizes(self, ws: ClientConnection) -> None:
        while not self._finalize_requests.empty():
            channel = self._finalize_requests.get_nowait()
            await ws.send(finalize(channel))
            self.control("finalize")
