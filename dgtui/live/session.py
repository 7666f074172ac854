"""One live stream: source -> connection -> messages -> state (transcript, metrics) and events.

The sender paces file audio to the wall clock (live sources pace themselves), sends a KeepAlive whenever
audio is not flowing (paused, source stalled), a Finalize on request, and CloseStream at the end; then it
waits, bounded, for the last results, the Metadata and the close. The receiver decodes each message once and
applies it to the session's state, which hands a typed event to every listener.

A reconnect closes the connection the same way and opens a new one on the same source, from where it was:
the new connection's timestamps are shifted by the audio before it, so the stream keeps one timeline. After a
drop, the results of the audio in flight are lost with the connection, so the audio since the last final is
sent again first (raw PCM is cut at the exact sample), then what was read from the source meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import msgspec
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from dgtui import __version__
from dgtui.audio.base import AudioSource, SourceError, SourceHooks, SourceKind
from dgtui.audio.chunks import SAMPLE_WIDTHS, AudioChunk
from dgtui.audio.conditions import NO_CONDITIONS, Conditions
from dgtui.judge.accuracy import NORMALISER_VERSION
from dgtui.live.handshake import HandshakeError, open_connection
from dgtui.live.ledger import AudioLedger
from dgtui.live.lifecycle import Ending, GiveUp, Lifecycle, Next
from dgtui.process.secrets import redact_url
from dgtui.protocol import CLOSE_STREAM, configure
from dgtui.protocol.errors import CloseCode, explain_close
from dgtui.protocol.flux import FORCE_END_TURN, decode_flux, flux_configure, flux_url, is_flux_model, is_flux_url
from dgtui.protocol.messages import decode_message
from dgtui.protocol.options import encode_query
from dgtui.state.connection import clean_close
from dgtui.state.events import (
    AudioAccounted,
    AudioProgress,
    AudioSent,
    Closed,
    Connected,
    Control,
    Endpoint,
    Event,
    HandshakeTimings,
    InvalidFrame,
    Manifest,
    MessageReceived,
    Note,
    Reconnected,
    Reconnecting,
    Refused,
    SessionError,
    SourceOpened,
    SourceReopening,
    SourceTitle,
    State,
    StateChanged,
)
from dgtui.state.setup import Setup
from dgtui.state.stream import Clock, Listener, StreamState
from dgtui.state.usage import DEFAULT_PRICES, Prices

FAST_AHEAD_S = 5.0  # a file sent fast stays this far ahead of the server's results (with interim results)
FAST_STALL_S = 10.0  # ... unless the server reports nothing for this long


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
    reconnect_attempts: int = 5  # consecutive failed attempts after a drop before giving up (0: never)
    reconnect_backoff: float = 0.5  # the first wait; it doubles, with jitter, up to reconnect_backoff_max
    reconnect_backoff_max: float = 8.0
    buffer_seconds: float = 30.0  # audio kept while disconnected; older audio is dropped (and counted)
    resend: bool = True  # after a drop, send the audio since the last final again (raw PCM only)
    conditions: Conditions = NO_CONDITIONS  # what --condition did to the audio (the source) and does to sending
    prices: Prices = DEFAULT_PRICES  # what its usage costs
    local_engine: bool = False  # the embedded engine serves it (not billed, not Deepgram's model)

    @property
    def flux(self) -> bool:
        """Deepgram's Flux API (``/v2/listen``): a Flux model, or a ``/v2/listen`` URL, selects it."""
        return is_flux_model(self.options.get("model")) or is_flux_url(self.url)

    def full_url(self, audio_query: dict[str, Any]) -> str:
        url = flux_url(self.url) if self.flux else self.url
        query = encode_query({**self.options, **audio_query})
        if not query:
            return url
        return f"{url}{'&' if '?' in url else '?'}{query}"  # the URL may carry a query of its own


class LiveSession:
    """One stream's connection loop. It *has* a state (what views, printers and recorders read, which it alone
    changes, by applying events), an audio ledger (every question about audio), a lifecycle (every decision
    about the connection) and a source; it does their I/O."""

    def __init__(
        self,
        config: SessionConfig,
        source: AudioSource,
        listeners: list[Listener] | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        setup = Setup(config.name, "v2" if config.flux else "v1", redact_url(source.description), config.options,
                      config.prices, config.local_engine)  # fmt: skip
        self.state = StreamState(setup, conditions=list(config.conditions.specs), listeners=listeners, clock=clock)
        self.config = config
        self.source = source
        self.recording_path: Path | None = None  # the session's recording, once the runner's recorder opens it
        self.lifecycle = self._lifecycle()
        self.set_endpoint(config.url)
        self._resume = asyncio.Event()
        self._resume.set()
        self._stop = asyncio.Event()
        self._reconnect = asyncio.Event()
        self._finalize_requests: asyncio.Queue[int | None] = asyncio.Queue()
        self._configures: asyncio.Queue[str] = asyncio.Queue()  # Configure messages to send
        self._chunks: AsyncIterator[AudioChunk] | None = None
        self._pending: asyncio.Future[AudioChunk] | None = None
        conditions = config.conditions
        self.audio = AudioLedger(source.format, config.buffer_seconds, config.resend, jitter=conditions.jitter,
                                 burst=conditions.burst, jitter_seed=zlib.crc32(config.name.encode()))  # fmt: skip
        self._source_done = False
        self._chunk_ms: int | None = None  # the first chunk's length (the manifest says it)
        self._progress_at: float | None = None  # the audio cursor last told in an AudioProgress event

    @property
    def name(self) -> str:
        return self.state.name

    def _lifecycle(self) -> Lifecycle:
        config = self.config
        return Lifecycle(flux=config.flux, attempts=config.reconnect_attempts, backoff=config.reconnect_backoff,
                         backoff_max=config.reconnect_backoff_max)  # fmt: skip

    def _apply(self, event: Event) -> None:
        self.state.apply(event)

    def set_endpoint(self, url: str) -> None:
        """Where to connect (the local engine's URL is known only once it runs)."""
        self.config.url = url
        self._apply(Endpoint(self.name, redact_url(self.config.full_url(self.source.format.query())) if url else ""))

    def note(self, text: str, level: str = "info") -> None:
        """A line in the stream's event log (its runner's: the local engine starting)."""
        self._apply(Note(self.name, text, level))

    def warn(self, text: str) -> None:
        """A failure beside the stream that does not stop it (a damaged file, a recording that cannot go on)."""
        self._apply(SessionError(self.name, text, fatal=False))

    def fail(self, text: str) -> None:
        """The stream fails with ``text``, what happened and what to do."""
        self._apply(SessionError(self.name, text))
        self._apply(StateChanged(self.name, State.ERROR))

    def source_hooks(self) -> SourceHooks:
        """What the source tells the stream: a title, a warning, what it was taken for."""
        return SourceHooks(
            title=lambda title: self._apply(SourceTitle(self.name, title)),
            warning=self.warn,
            kind=lambda kind, reason: self._apply(SourceOpened(self.name, str(kind), reason)),
        )

    def _control(self, action: str, offset: float | None = None) -> None:
        self._apply(Control(self.name, action, self.state.audio.cursor if offset is None else offset))

    # -- control -----------------------------------------------------------------------------------------

    def pause(self) -> None:
        if self.state.connection.phase is State.STREAMING:
            self._resume.clear()
            self._control("pause")
            self._apply(StateChanged(self.name, State.PAUSED))

    def resume(self) -> None:
        if self.state.connection.phase is State.PAUSED:
            self._resume.set()
            self._control("resume")
            self._apply(StateChanged(self.name, State.STREAMING))

    def request_finalize(self, channel: int | None = None) -> None:
        """Finalize on Nova; ForceEndTurn on Flux (its Finalize)."""
        self._finalize_requests.put_nowait(channel)

    def configure(self, settings: dict[str, Any]) -> None:
        """Send a Configure: on Flux the turn thresholds and keyterms; on Nova the keyterms."""
        keyterms = settings.get("keyterms")
        if self.state.flux:
            thresholds = {k: settings.get(k) for k in ("eot_threshold", "eager_eot_threshold", "eot_timeout_ms")}
            self._configures.put_nowait(flux_configure(**thresholds, keyterms=keyterms))
        elif keyterms is not None:
            self._configures.put_nowait(configure(keyterms=keyterms))

    def reconnect(self) -> None:
        """Close this connection (flushing its results) and go on from the same audio on a new one."""
        if self.state.connection.phase in (State.STREAMING, State.PAUSED):
            self._reconnect.set()
            self._resume.set()

    def stop(self) -> None:
        """End the stream gracefully: CloseStream, then wait for the flush."""
        self._stop.set()
        self._resume.set()

    # -- run ---------------------------------------------------------------------------------------------

    async def run(self) -> bool:
        """Stream until the source ends (or ``stop``); True when the stream ended cleanly."""
        if error := self.source.error:  # a source that could not be opened
            self.fail(error)
            return False
        self._chunks = aiter(self.source.chunks())
        self.lifecycle = self._lifecycle()  # the config as it is when the stream starts
        try:
            while True:
                outcome = await self._connection()
                if outcome is Next.AGAIN:  # CloseStream flushed every result: go on from where the audio is
                    self.audio.flushed()
                    self._control("reconnect", self.audio.position)
                    continue
                if outcome is not Next.DROPPED:
                    break
                self._rewind()
                if not await self._wait_to_reconnect():
                    break
                self._control("reconnect", self.audio.position)
        finally:
            if self._pending is not None:
                self._pending.cancel()
            with contextlib.suppress(Exception):
                await self._chunks.aclose()  # type: ignore[attr-defined]
            self._apply(self._manifest())
        return self.state.clean

    async def _hold(self, ws: ClientConnection, chunk: AudioChunk) -> None:
        """Paused with a chunk in hand: KeepAlive until resumed; a connection that dies meanwhile keeps it."""
        try:
            self.audio.paused(await self._hold_while_paused(ws))
        except BaseException:
            self.audio.unsent(chunk)  # not sent: first on the next connection
            raise

    def _sent(self, chunk: AudioChunk) -> None:
        """A chunk went out: the ledger, the state (and its digest) and the chunk size learn it; about once a
        second of audio (and at the first chunk) an AudioProgress tells the listeners."""
        self.audio.on_sent(chunk, self.state.committed_until())
        if self._chunk_ms is None and chunk.end > self.state.audio.cursor:  # the first chunk: from the start
            self._chunk_ms = round((chunk.end - self.state.audio.cursor) * 1000)
        now = time.monotonic()
        self.state.apply(AudioSent(self.name, len(chunk.data), chunk.end, chunk.level_db, self._fresh(chunk)), now)
        if self._progress_at is None or self.state.audio.cursor - self._progress_at >= 1.0:
            self._progress(now)

    def _progress(self, now: float | None = None) -> None:
        """Tell listeners how much audio is sent (the recorder keeps it: replays compute metrics from it)."""
        audio = self.state.audio
        now = time.monotonic() if now is None else now
        self._progress_at = audio.cursor
        sent = self.state.metrics.bytes_sent
        self.state.apply(AudioProgress(self.name, audio.cursor, audio.level_db, now, sent), now)

    def _fresh(self, chunk: AudioChunk) -> bytes:
        """The part of a chunk never sent before (audio sent again after a drop, to the sample, is not): what
        the manifest's digest takes. A container's bytes cannot be cut: its chunk counts whole or not at all."""
        new = chunk.end - self.state.audio.cursor
        if new <= 0:
            return b""
        audio = self.source.format
        width = SAMPLE_WIDTHS.get(audio.encoding or "")
        if width is None or not audio.sample_rate:
            return chunk.data
        size = min(len(chunk.data), round(new * audio.sample_rate) * width * audio.channels)
        return chunk.data[len(chunk.data) - size :]

    def _manifest(self) -> Manifest:
        state, audio, connection = self.state, self.source.format, self.state.connection
        sent = state.audio
        return Manifest(
            state.name, __version__, sent.digest.hexdigest() if sent.cursor else None, round(sent.cursor, 3),
            audio.encoding, audio.sample_rate, audio.channels, self._chunk_ms,
            "real time" if self.source.realtime else "unpaced", connection.url, dict(self.config.options),
            connection.model(), list(connection.request_ids), NORMALISER_VERSION, list(self.config.conditions.specs),
        )  # fmt: skip

    async def _wait_to_reconnect(self) -> bool:
        """Back off (reading the source meanwhile) before the next attempt; False when giving up."""
        retry = self.lifecycle.reconnect(stopping=self._stop.is_set(),
                                         nothing_to_send=self._source_done and not self.audio.backlog)  # fmt: skip
        if isinstance(retry, GiveUp):
            self.fail(retry.error)
            return False
        wait = retry.after
        self._apply(StateChanged(self.name, State.CONNECTING))
        self._apply(Reconnecting(self.name, retry.attempt, retry.of, wait, retry.reason))
        # A live source goes on while disconnected, so it is read (and buffered); a file sent fast just waits.
        waits = self.state.audio.source_kind == SourceKind.FILE and not self.source.realtime
        buffering = asyncio.create_task(asyncio.sleep(0) if waits else self._buffer_source())
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._stop.wait()
        finally:
            buffering.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await buffering
        return True

    async def _buffer_source(self) -> None:
        """Keep reading the source while disconnected, so no audio is lost (up to ``buffer_seconds``)."""
        assert self._chunks is not None
        while not self._source_done:
            if self._pending is None:
                self._pending = asyncio.ensure_future(anext(self._chunks))
            await asyncio.wait({self._pending})  # a cancelled wait leaves the read to the sender
            try:
                chunk = self._take()
            except (StopAsyncIteration, SourceError):
                self._source_done = True  # the sender reports it (or reopens it) once connected
                return
            lost = self.audio.buffer(chunk)
            if lost:
                if not self.state.audio.lost:
                    self.note(
                        f"the {self.config.buffer_seconds:g} s audio buffer is full: the oldest audio is dropped "
                        "until the connection is back (counted as audio lost)",
                        "warning",
                    )
                self._apply(AudioAccounted(self.name, lost=lost))
            if self.source.realtime and (delay := self.audio.due_in(chunk.end, time.monotonic())):
                await asyncio.sleep(delay)

    def _rewind(self) -> None:
        """After a drop: the audio sent since the last final goes back in front of the backlog, to send again."""
        rewind = self.audio.rewind(max(self.state.committed_until(), self.state.connection.offset))
        if rewind is None:
            return
        self._apply(AudioAccounted(self.name, rewind.resent, rewind.lost))
        self.note(
            f"the results of {rewind.uncommitted:.2f} s of audio since the last final were lost with the "
            f"connection; sending it again from {rewind.start:.2f} s"
            + (f" ({rewind.lost:.2f} s older than the {self.config.buffer_seconds:g} s buffer is lost)"
               if rewind.lost else ""),
            "warning" if rewind.lost else "info",
        )  # fmt: skip

    def _take(self) -> AudioChunk:
        """The pending read's chunk, on the stream's timeline (raises StopAsyncIteration / SourceError)."""
        assert self._pending is not None
        try:
            chunk = self._pending.result()
        finally:
            self._pending = None
        self.lifecycle.source_read()
        return self.audio.from_source(chunk)

    def _reopenable(self) -> bool:
        return self.source.reopenable and self.lifecycle.source_worked and not self._stop.is_set()

    async def _reopen_source(self, ws: ClientConnection, reason: str) -> None:
        """Open a live source again after it ended or failed, KeepAlive holding the connection meanwhile."""
        retry = self.lifecycle.reopen_source(reason)
        if isinstance(retry, GiveUp):
            raise SourceError(retry.error)
        self._apply(SourceReopening(self.name, retry.attempt, retry.of, retry.after, reason))
        await self._keep_alive(ws)
        timer = asyncio.Event()
        asyncio.get_running_loop().call_later(retry.after, timer.set)
        await self._keepalive_until(ws, timer)
        self._chunks = aiter(self.source.chunks())
        self.audio.reopened(self.state.audio.cursor, time.monotonic())

    async def _connection(self) -> Next:
        """One connection, start to close, and what comes after it."""
        self._apply(StateChanged(self.name, State.CONNECTING))
        self._reconnect.clear()
        self.lifecycle.opening()
        headers = {}
        if self.config.api_key:
            headers["Authorization"] = f"{self.config.auth_scheme} {self.config.api_key}"
        try:
            ws, timings = await open_connection(
                self.config.full_url(self.source.format.query()), headers, timeout=self.config.connect_timeout
            )
        except HandshakeError as exc:
            self._apply(Refused(self.name, exc.status, exc.dg_error, exc.request_id))
            ending = self.lifecycle.refused(exc.status, str(exc), reconnected=bool(self.state.connection.reconnects))
            if ending.next is Next.DROPPED:  # still the outage that began with the last close
                return ending.next
            return self._ended(ending, None, "", str(exc))
        self._opened(ws.response.headers.get("dg-request-id") if ws.response else None, timings)
        sender = asyncio.create_task(self._send(ws), name=f"send:{self.name}")
        try:
            await self._receive(ws)
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender
            await ws.close()
        code, reason = ws.close_code, ws.close_reason or ""
        sent = ws.protocol.close_sent
        ending = self.lifecycle.closed(
            code, reason, failed=self.state.connection.error is not None,
            refused_too_big=sent is not None and sent.code == CloseCode.TOO_BIG,
            again=self._reconnect.is_set(), stopping=self._stop.is_set(),
        )  # fmt: skip
        return self._ended(ending, code, reason, explain_close(code, reason))

    def _opened(self, request_id: str | None, timings: HandshakeTimings) -> None:
        """A connection is open: said, and after a reconnect, the gap and the audio it cost."""
        now = time.monotonic()
        connection = self.state.connection
        closed_at = connection.closed_at
        self.state.apply(Connected(self.name, connection.url, request_id, timings), now)
        if connection.reconnects and closed_at is not None:
            resent, lost = self.state.audio.untold()
            self.state.apply(Reconnected(self.name, request_id, connection.offset, max(0.0, now - closed_at), resent,
                                         lost), now)  # fmt: skip
        self._apply(StateChanged(self.name, State.STREAMING))

    def _ended(self, ending: Ending, code: int | None, reason: str, explanation: str) -> Next:
        """A connection's end, as decided: its error, the stream's phase, and the close, told in that order."""
        if ending.error is not None:
            self._apply(SessionError(self.name, ending.error, ending.detail))
        if ending.phase is not None:
            self._apply(StateChanged(self.name, ending.phase))
        clean = clean_close(self.state.connection.error, code, self.state.flux)
        self._apply(Closed(self.name, code, reason, explanation, clean))
        return ending.next

    async def _receive(self, ws: ClientConnection) -> None:
        decode = decode_flux if self.state.flux else decode_message
        try:
            async for raw in ws:
                if isinstance(raw, bytes):
                    continue  # the live API never sends binary frames
                now = time.monotonic()
                try:
                    message = decode(raw)
                except msgspec.DecodeError:
                    self.state.apply(InvalidFrame(self.name, raw), now)
                    continue
                self.lifecycle.received(message)
                self.state.apply(MessageReceived(self.name, raw, message, now, self.audio.position), now)
        except ConnectionClosed:
            pass

    async def _send(self, ws: ClientConnection) -> None:
        assert self._chunks is not None
        self.audio.start_clock(time.monotonic())
        stopped = asyncio.ensure_future(self._stop.wait())
        reconnect = asyncio.ensure_future(self._reconnect.wait())
        paced_by_server = True  # until the server fails to report progress
        sent_until = self.state.connection.offset  # the end of the audio this connection sent (resent included)
        try:
            while not self._stop.is_set() and not self._reconnect.is_set():
                await self._send_controls(ws)
                if not self._resume.is_set():
                    self.audio.paused(await self._hold_while_paused(ws))
                    continue
                if paced_by_server and (ahead := self._fast_window()):  # known once the source has opened
                    paced_by_server = await self._wait_for_server(ahead, sent_until)
                read = await self._next_chunk(ws, {stopped, reconnect})
                if read == "done":
                    break
                if read == "again":
                    continue
                chunk = read
                if not self._resume.is_set():  # paused while this chunk waited for its time
                    await self._hold(ws, chunk)
                if chunk.data:
                    try:
                        await ws.send(chunk.data)
                    except ConnectionClosed:
                        self.audio.unsent(chunk)  # not sent: it goes on the next connection
                        raise
                self._sent(chunk)
                sent_until = chunk.end
                if self.config.duration is not None and self.state.audio.cursor >= self.config.duration:
                    break
            await self._send_controls(ws)
            self._progress()
            for message in self.lifecycle.closing():
                await self._send_message(ws, message)
            if not self._reconnect.is_set():
                self._apply(StateChanged(self.name, State.CLOSING))
        except ConnectionClosed:
            return
        except Exception as exc:  # the source failed; or a bug, said as one (not left to the server's idle timeout)
            said = (
                str(exc)
                if isinstance(exc, SourceError)
                else (
                    f"internal error while sending audio: {type(exc).__name__}: {exc}. This is a dgtui bug: please "
                    "report it, with the session's recording if there is one"
                )
            )
            self._apply(SessionError(self.name, said))
            with contextlib.suppress(ConnectionClosed):
                await self._send_message(ws, CLOSE_STREAM)
        finally:
            stopped.cancel()
            reconnect.cancel()
        # Bounded wait for the flush, the Metadata and the close.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.config.close_timeout):
                await ws.wait_closed()
                return
        self._apply(SessionError(self.name, f"the server did not close the stream within {self.config.close_timeout:g} "
                                            "s of CloseStream"))  # fmt: skip
        await ws.close()

    async def _next_chunk(
        self, ws: ClientConnection, wakeups: set[asyncio.Future[Any]]
    ) -> AudioChunk | Literal["again", "done"]:
        """The backlog read while disconnected first (as fast as taken), then the source."""
        chunk = self.audio.next_from_backlog()
        if chunk is not None:
            return chunk
        if self._source_done:
            return "done"
        return await self._read_source(ws, wakeups)

    def _fast_window(self) -> float:
        """How far ahead of the server's results a file sent fast may go (0: no limit). Within it, a drop loses
        nothing: everything not yet final fits the resend buffer. With interim results (and on Flux) the server
        reports often, so 5 s; with finals only, room for a whole result window (20 s) under the buffer."""
        if self.source.realtime or self.state.audio.source_kind != SourceKind.FILE or not self.config.resend:
            return 0.0
        if self.config.flux or self.config.options.get("interim_results"):
            return FAST_AHEAD_S
        return max(FAST_AHEAD_S, self.config.buffer_seconds - FAST_AHEAD_S)

    async def _wait_for_server(self, ahead: float, sent_until: float) -> bool:
        """Hold the next chunk until the server's results are within ``ahead`` seconds of ``sent_until`` (what this
        connection has sent). A server that reports nothing for :data:`FAST_STALL_S` gets the rest unpaced (False
        returned: no more waiting)."""
        state, started = self.state, time.monotonic()
        while sent_until - max(state.audio.server_reach, state.connection.offset) > ahead:
            if self._stop.is_set() or self._reconnect.is_set():
                break
            if time.monotonic() - started > FAST_STALL_S:
                self.note(f"the server reported no progress for {FAST_STALL_S:g} s: the rest goes unpaced", "warning")
                return False
            await asyncio.sleep(0.005)
        return True

    async def _read_source(
        self, ws: ClientConnection, wakeups: set[asyncio.Future[Any]]
    ) -> AudioChunk | Literal["again", "done"]:
        """The source's next chunk, when it is due; "again" when a KeepAlive held a stalled source or the source was
        opened again, "done" when it ended. A source that fails and cannot be reopened raises SourceError."""
        assert self._chunks is not None
        if self._pending is None:
            self._pending = asyncio.ensure_future(anext(self._chunks))
        done, _ = await asyncio.wait(
            {self._pending, *wakeups}, timeout=self.config.keepalive_interval, return_when=asyncio.FIRST_COMPLETED
        )
        if self._pending not in done:
            if not self._stop.is_set() and not self._reconnect.is_set():
                await self._keep_alive(ws)  # the source is stalled: hold the connection
            return "again"
        try:
            chunk = self._take()
        except StopAsyncIteration:
            if not self._reopenable():
                self._source_done = True
                return "done"
            await self._reopen_source(ws, "the stream ended")
            return "again"
        except SourceError as exc:
            if not self._reopenable():
                raise
            await self._reopen_source(ws, str(exc).rstrip("."))
            return "again"
        if delay := self.audio.send_delay(self.state.audio.cursor, chunk.end, time.monotonic(), self.source.realtime):
            try:
                await asyncio.sleep(delay)
            except asyncio.CancelledError:  # the connection died while the chunk waited for its time
                self.audio.unsent(chunk)  # taken from the source, not sent: first on the next connection
                raise
        return chunk

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
            await self._keep_alive(ws)
            await self._send_controls(ws)

    async def _send_controls(self, ws: ClientConnection) -> None:
        """The control messages asked for since the last chunk: Configure, then Finalize or ForceEndTurn."""
        while not self._configures.empty():
            await ws.send(self._configures.get_nowait())
            self._control("configure")
        while not self._finalize_requests.empty():
            message, action = self.lifecycle.finalize(self._finalize_requests.get_nowait())
            await ws.send(message)
            self._control(action)

    async def _send_message(self, ws: ClientConnection, message: str) -> None:
        """A control message that ends audio (ForceEndTurn, CloseStream), told to the lifecycle and the state."""
        await ws.send(message)
        self.lifecycle.sent(message)
        if message == FORCE_END_TURN:
            self._control("force_end_turn")

    async def _keep_alive(self, ws: ClientConnection) -> None:
        """Hold an idle connection (what holds it is the lifecycle's to say: on Flux, nothing)."""
        message = self.lifecycle.keep_alive()
        if message is not None:
            await ws.send(message)
