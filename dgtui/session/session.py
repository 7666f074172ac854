"""One live stream: source -> connection -> messages -> transcript, metrics and events.

The sender paces file audio to the wall clock (live sources pace themselves), sends a KeepAlive whenever
audio is not flowing (paused, source stalled), a Finalize on request, and CloseStream at the end; then it
waits, bounded, for the last results, the Metadata and the close. The receiver decodes each message once,
updates the transcript and metrics, and hands a typed event to every listener.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from dgtui.audio.chunks import AudioChunk
from dgtui.audio.sources import AudioSource, SourceError
from dgtui.protocol import CLOSE_STREAM, KEEP_ALIVE, finalize
from dgtui.protocol.errors import CloseCode, explain_close
from dgtui.protocol.messages import Metadata, Results, decode_message
from dgtui.protocol.options import encode_query
from dgtui.secrets import redact, redact_url
from dgtui.session.connection import HandshakeError, open_connection
from dgtui.session.events import (
    Closed,
    Connected,
    Event,
    HandshakeTimings,
    MessageReceived,
    SessionError,
    State,
    StateChanged,
)
from dgtui.session.metrics import SessionMetrics
from dgtui.session.transcript import Transcript

Listener = Callable[[Event], None]


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
        return f"{self.url}?{query}" if query else self.url


class LiveSession:
    def __init__(self, config: SessionConfig, source: AudioSource, listeners: list[Listener] | None = None) -> None:
        self.config = config
        self.source = source
        self.listeners: list[Listener] = list(listeners or [])
        self.transcript = Transcript()
        self.metrics = SessionMetrics()
        self.state = State.CONNECTING
        self.request_id: str | None = None
        self.timings: HandshakeTimings | None = None
        self.metadata: Metadata | None = None
        self.model_info: dict[str, str] = {}
        self.cursor = 0.0
        self.level_db = float("nan")
        self.error: str | None = None
        self.close_code: int | None = None
        self.close_reason = ""
        self.url = redact_url(config.full_url(source.format.query()))
        self._resume = asyncio.Event()
        self._resume.set()
        self._stop = asyncio.Event()
        self._finalize_requests: asyncio.Queue[int | None] = asyncio.Queue()
        self._closestream_sent = False

    # -- control -----------------------------------------------------------------------------------------

    def pause(self) -> None:
        if self.state is State.STREAMING:
            self._resume.clear()
            self._set_state(State.PAUSED)

    def resume(self) -> None:
        if self.state is State.PAUSED:
            self._resume.set()
            self._set_state(State.STREAMING)

    def request_finalize(self, channel: int | None = None) -> None:
        self._finalize_requests.put_nowait(channel)

    def stop(self) -> None:
        """End the stream gracefully: CloseStream, then wait for the flush."""
        self._stop.set()
        self._resume.set()

    @property
    def clean(self) -> bool:
        return self.error is None and self.close_code == CloseCode.NORMAL

    # -- run ---------------------------------------------------------------------------------------------

    async def run(self) -> bool:
        """Stream until the source ends (or ``stop``); True when the stream ended cleanly."""
        self._set_state(State.CONNECTING)
        headers = {}
        if self.config.api_key:
            headers["Authorization"] = f"{self.config.auth_scheme} {self.config.api_key}"
        try:
            ws, self.timings = await open_connection(
                self.config.full_url(self.source.format.query()), headers, timeout=self.config.connect_timeout
            )
        except HandshakeError as exc:
            self.request_id = exc.request_id
            self._fail(str(exc))
            self._emit(Closed(self.config.name, None, "", str(exc)))
            return False
        self.request_id = ws.response.headers.get("dg-request-id") if ws.response else None
        self._emit(Connected(self.config.name, self.url, self.request_id, self.timings))
        self._set_state(State.STREAMING)
        sender = asyncio.create_task(self._send(ws), name=f"send:{self.config.name}")
        try:
            await self._receive(ws)
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender
            await ws.close()
        self.transcript.finish()  # what is still open at the end becomes an utterance
        self.close_code, self.close_reason = ws.close_code, ws.close_reason or ""
        explanation = explain_close(self.close_code, self.close_reason)
        if self.close_code != CloseCode.NORMAL and self.error is None:
            self._fail(explanation, self.close_reason)
        elif self.close_code == CloseCode.NORMAL and not self._closestream_sent and self.error is None:
            self._fail("the server closed the stream before dgtui finished sending", explanation)
        self._set_state(State.ERROR if self.error else State.CLOSED)
        self._emit(Closed(self.config.name, self.close_code, self.close_reason, explanation, self.clean))
        return self.clean

    async def _receive(self, ws: ClientConnection) -> None:
        name = self.config.name
        try:
            async for raw in ws:
                if isinstance(raw, bytes):
                    continue  # the live API never sends binary frames
                received_at = time.monotonic()
                try:
                    message = decode_message(raw)
                except msgspec.DecodeError:
                    self._emit(SessionError(name, "the server sent a message that is not JSON (ignored)", raw[:200]))
                    continue
                self.metrics.on_message(message, received_at, self.cursor)
                self.transcript.on_message(message)
                if isinstance(message, Results) and not self.model_info and message.metadata.model_info:
                    self.model_info = msgspec.structs.asdict(message.metadata.model_info)
                elif isinstance(message, Metadata):
                    self.metadata = message
                self._emit(MessageReceived(name, raw, message, received_at, self.cursor))
        except ConnectionClosed:
            pass

    async def _send(self, ws: ClientConnection) -> None:
        chunks = aiter(self.source.chunks())
        pending: asyncio.Task[AudioChunk] | None = None
        started = time.monotonic()
        paused_total = 0.0
        stopped = asyncio.ensure_future(self._stop.wait())
        try:
            while not self._stop.is_set():
                await self._send_finalizes(ws)
                if not self._resume.is_set():
                    paused_total += await self._hold_while_paused(ws)
                    continue
                if pending is None:
                    pending = asyncio.ensure_future(anext(chunks))
                done, _ = await asyncio.wait(
                    {pending, stopped},
                    timeout=self.config.keepalive_interval,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if pending not in done:
                    if not self._stop.is_set():
                        await ws.send(KEEP_ALIVE)  # the source is stalled: hold the connection
                    continue
                try:
                    chunk = pending.result()
                except StopAsyncIteration:
                    break
                finally:
                    pending = None
                if self.source.realtime:
                    delay = started + paused_total + self.cursor - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                if not self._resume.is_set():  # paused while this chunk waited for its time
                    paused_total += await self._hold_while_paused(ws)
                if chunk.data:
                    await ws.send(chunk.data)
                self.cursor = chunk.end
                self.level_db = chunk.level_db
                self.metrics.on_audio(len(chunk.data), chunk.end, time.monotonic())
                if self.config.duration is not None and self.cursor >= self.config.duration:
                    break
            await self._send_finalizes(ws)
            await ws.send(CLOSE_STREAM)
            self._closestream_sent = True
            self._set_state(State.CLOSING)
        except SourceError as exc:
            self._fail(str(exc))
            with contextlib.suppress(ConnectionClosed):
                await ws.send(CLOSE_STREAM)
                self._closestream_sent = True
        except ConnectionClosed:
            return
        finally:
            stopped.cancel()
            if pending is not None:
                pending.cancel()
            with contextlib.suppress(Exception):
                await chunks.aclose()  # type: ignore[attr-defined]
        # Bounded wait for the flush, the Metadata and the close.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.config.close_timeout):
                await ws.wait_closed()
                return
        self._fail(f"the server did not close the stream within {self.config.close_timeout:g} s of CloseStream")
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
            await ws.send(finalize(self._finalize_requests.get_nowait()))

    # -- events ------------------------------------------------------------------------------------------

    def _set_state(self, state: State) -> None:
        self.state = state
        self._emit(StateChanged(self.config.name, state))

    def _fail(self, message: str, detail: str = "") -> None:
        self.error = redact(message)
        self._emit(SessionError(self.config.name, self.error, redact(detail)))

    def _emit(self, event: Event) -> None:
        for listener in self.listeners:
            listener(event)
