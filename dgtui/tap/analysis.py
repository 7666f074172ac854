"""A tapped live transcription connection as a stream: what the tap saw, turned into the events every dgtui
stream is made of, applied to a :class:`~dgtui.state.stream.StreamState` (so the wall, the tabs, ``--json`` and
recordings treat it as one of dgtui's own). No I/O but the optional copy of the app's audio; the relay calls it
from its analysis task, in the order things happened.

The app's credentials are registered as secrets the moment its request is seen, so they are redacted from
everything the stream shows or records. Latency is measured as the app experiences it: each audio frame is
timed as the tap forwards it, each result as it arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Protocol
from urllib.parse import parse_qsl, urlsplit

from websockets.frames import Close, Frame, Opcode

from dgtui.process.secrets import is_credential, redact, redact_url, register_secret
from dgtui.protocol.errors import CloseCode, explain_close
from dgtui.state.events import (
    AudioProgress,
    AudioSent,
    Closed,
    Connected,
    Control,
    Diagnosis,
    FaultFired,
    Handshake,
    HandshakeTimings,
    MessageReceived,
    Refused,
    Sent,
    SessionError,
    State,
    StateChanged,
)
from dgtui.state.setup import Setup
from dgtui.state.stream import StreamState
from dgtui.tap.audio import AppAudio
from dgtui.tap.diagnosis import HEAD_BYTES, Diagnostician
from dgtui.tap.diagnosis import Diagnosis as Found
from dgtui.tap.http import TAP_HEADER, Head

CONTROLS = {
    "KeepAlive": "KeepAlive",
    "Finalize": "finalize",
    "CloseStream": "CloseStream",
    "ForceEndTurn": "force_end_turn",
}
PROGRESS_EVERY_S = 1.0  # audio seconds between the AudioProgress lines a recording and --json get


class AudioSink(Protocol):
    """Where the app's audio is kept as sent (``--keep-audio``)."""

    def write(self, data: bytes) -> None: ...
    def close(self) -> None: ...


def stream_name(target: str, peer: str, request_id: str | None) -> str:
    """The client's ``tag`` when it sets one, else its address and the request id's start."""
    query = dict(parse_qsl(urlsplit(target).query))
    if query.get("tag"):
        return query["tag"]
    return f"{peer}·{(request_id or '?')[:8]}"


def auth_of(request: Head) -> str:
    """How the client authenticated: ``token`` or ``bearer`` (Authorization), ``subprotocol``, ``query``, ``none``."""
    scheme = (request.header("authorization") or "").partition(" ")[0].lower()
    if scheme in ("token", "bearer"):
        return scheme
    offered = (request.header("sec-websocket-protocol") or "").split(",")[0].strip().lower()
    if offered in ("token", "bearer"):
        return "subprotocol"
    query = dict(parse_qsl(urlsplit(request.target).query))
    return "query" if query.get("token") or query.get("access_token") else "none"


def register_credentials(request: Head) -> None:
    """The app's key or token, wherever it put it (header, subprotocol, query): a secret from now on."""
    authorization = request.header("authorization") or ""
    scheme, _, token = authorization.partition(" ")
    register_secret(token.strip() if scheme.lower() in ("token", "bearer") else authorization or None)
    offered = [p.strip() for p in (request.header("sec-websocket-protocol") or "").split(",")]
    if len(offered) >= 2 and offered[0].lower() in ("token", "bearer"):
        register_secret(offered[1])
    query = dict(parse_qsl(urlsplit(request.target).query))
    register_secret(query.get("token"))
    register_secret(query.get("access_token"))


class TappedStream:
    """One tapped ``/v1/listen`` or ``/v2/listen`` connection: builds its stream state once the upstream answers
    (``on_state`` is told then: the runner adds a card, the printer subscribes, the recorder starts)."""

    def __init__(self, peer: str, upstream: str, request: Head, at: float,
                 on_state: Callable[[StreamState], None] = lambda state: None,
                 keep: Callable[[StreamState], AudioSink | None] = lambda state: None) -> None:  # fmt: skip
        register_credentials(request)
        self.peer = peer
        self.upstream = upstream.rstrip("/")
        self.request = request
        self.opened_at = at
        self.on_state = on_state
        self.keep = keep
        self.state: StreamState | None = None
        self.sink: AudioSink | None = None
        self.closed = False
        self._app_closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._told_cursor = -PROGRESS_EVERY_S
        self._early_faults: list[tuple[str, float]] = []  # fired before the answer made the stream
        self._closed_by = ""  # who sent the first close frame: "client" or "server" ("neither": cut)
        split = urlsplit(request.target)
        self.api = "v2" if split.path.rstrip("/").endswith("/v2/listen") else "v1"
        self.audio = AppAudio(split.query, self._decoded_elsewhere)
        query = self.audio.query
        rate = query.get("sample_rate", "")
        self.doctor = Diagnostician(raw=self.audio.raw, flux=self.api == "v2", opened_at=at,
                                    sample_rate=int(rate) if rate.isdigit() else None)  # fmt: skip

    # -- what the relay tells --------------------------------------------------------------------------------

    def answered(self, response: Head, at: float) -> None:
        with contextlib.suppress(RuntimeError):
            self._loop = asyncio.get_running_loop()
        request_id = response.header("dg-request-id")
        target = self.request.target
        name = stream_name(target, self.peer, request_id)
        options = {key: value for key, value in self.audio.query.items() if not is_credential(key)}
        setup = Setup(name, api=self.api, source=f"tapped from {self.peer}", options=options, tapped=True)
        state = StreamState(setup, url=redact_url(f"{self.upstream}{target}"))
        self.state = state
        self.on_state(state)
        state.apply(StateChanged(name, State.CONNECTING), self.opened_at)
        split = urlsplit(target)
        state.apply(Handshake(name, split.path, redact_url(target).partition("?")[2], auth_of(self.request)),
                    self.opened_at)  # fmt: skip
        for text, fired_at in self._early_faults:
            state.apply(FaultFired(name, text), fired_at)
        if response.status != 101:
            self.closed = True
            dg_error = response.header("dg-error") or ""
            state.apply(Refused(name, response.status, dg_error, request_id), at)
            reason = f"HTTP {response.status}" + (f": {redact(dg_error)}" if dg_error else "")
            message = (f"the tap could not reach the upstream {self.upstream}: the app got HTTP 502"
                       if response.header(TAP_HEADER) else
                       f"the upstream refused the app's handshake ({reason}); the app got the same answer")  # fmt: skip
            state.apply(SessionError(name, message, fatal=True), at)
            state.apply(StateChanged(name, State.ERROR), at)
            return
        handshake = HandshakeTimings(upgrade=max(0.0, at - self.opened_at))  # connect and upgrade, as the app waited
        state.apply(Connected(name, state.connection.url, request_id, handshake), at)
        state.apply(StateChanged(name, State.STREAMING), at)
        with contextlib.suppress(Exception):
            self.sink = self.keep(state)

    def frame(self, from_app: bool, frame: Frame, at: float) -> None:
        state = self.state
        if state is None or self.closed:
            return
        data = bytes(frame.data)  # the parser's bytes (the same object: no copy)
        if from_app and frame.opcode is Opcode.BINARY:
            self._audio(data, at)
        elif from_app and frame.opcode is Opcode.TEXT:
            kind = _message_type(data)
            if kind in CONTROLS:
                state.apply(Control(state.name, CONTROLS[kind]), at)
            self._tell(self.doctor.control(at, kind), at)
        elif from_app and frame.opcode is Opcode.CLOSE:
            self._closed_by = self._closed_by or "client"
            self._app_closing(at)
        elif not from_app and frame.opcode is Opcode.TEXT:
            raw = data.decode("utf-8", "replace")
            state.apply(MessageReceived(state.name, raw, None, at, self.audio.cursor), at)
        elif not from_app and frame.opcode is Opcode.CLOSE:
            self._closed_by = self._closed_by or "server"
            close = Close.parse(data) if data else None
            code, reason = (close.code, close.reason) if close else (CloseCode.NO_STATUS, "")  # Flux's close
            self._tell(self.doctor.no_audio(code), at)
            self._close(code, reason, at)

    def fault(self, text: str, at: float) -> None:
        """A fault the relay injected fired on this stream (``--fault``)."""
        if self.state is not None:
            self.state.apply(FaultFired(self.state.name, text), at)
        else:
            self._early_faults.append((text, at))

    def tick(self, at: float) -> None:
        """About once a second: what the passing time says (no audio yet, a pause without KeepAlive)."""
        if self.state is not None and not self.closed:
            self._tell(self.doctor.tick(at), at)

    def ended(self, at: float, note: str) -> None:
        self.audio.close()
        if self.sink is not None:
            with contextlib.suppress(Exception):
                self.sink.close()
        if self.state is not None and not self.closed:
            self._closed_by = self._closed_by or "neither"
            self._app_closing(at)
            self._close(None, note, at)  # the TCP connection ended without the upstream's close frame: 1006

    # -- audio -----------------------------------------------------------------------------------------------

    def _audio(self, data: bytes, at: float) -> None:
        assert self.state is not None
        audio, name = self.audio, self.state.name
        audio.feed(data)
        if self.sink is not None:
            self.sink.write(data)
        cursor = audio.cursor
        self.state.apply(AudioSent(name, len(data), cursor, audio.level_db, bytes(data)), at)
        self._progress(at)
        self._tell(self.doctor.audio(at, bytes(data[:HEAD_BYTES]), cursor, audio.header_rate), at)

    def _progress(self, at: float) -> None:
        """An AudioProgress line for recordings and ``--json`` at the first audio and every second of it."""
        assert self.state is not None
        cursor = self.audio.cursor
        if cursor - self._told_cursor >= PROGRESS_EVERY_S or self._told_cursor < 0:
            self._told_cursor = cursor
            level = self.audio.level_db
            self.state.apply(AudioProgress(self.state.name, cursor, level, at, self.state.metrics.bytes_sent), at)

    def _decoded_elsewhere(self) -> None:
        """A container's decoder moved the cursor (on its thread): the state learns it on the loop."""
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop is gone: nothing to tell
                self._loop.call_soon_threadsafe(self._decoded)

    def _decoded(self) -> None:
        state = self.state
        if state is None or self.closed:
            return
        at = state.clock()
        state.apply(AudioSent(state.name, 0, self.audio.cursor, self.audio.level_db), at)
        self._progress(at)

    # -- the end ---------------------------------------------------------------------------------------------

    def _app_closing(self, at: float) -> None:
        assert self.state is not None
        if not self._app_closed:
            self._app_closed = True
            final_end = self.state.committed_until()
            self._tell(self.doctor.app_closed(self.audio.cursor, final_end), at)

    def _tell(self, found: list[Found], at: float) -> None:
        assert self.state is not None
        for diagnosis in found:
            self.state.apply(Diagnosis(self.state.name, diagnosis.code, diagnosis.summary, diagnosis.message), at)

    def _close(self, code: int | None, reason: str, at: float) -> None:
        assert self.state is not None
        self.closed = True
        self._progress_final(at)
        self._summary(at)
        clean = code == CloseCode.NORMAL or (self.api == "v2" and code == CloseCode.NO_STATUS)
        self.state.apply(Closed(self.state.name, code, reason, explain_close(code, reason), clean=clean), at)
        self.state.apply(StateChanged(self.state.name, State.CLOSED), at)

    def _summary(self, at: float) -> None:
        """What the app sent in all (``dgtui serve --json`` and the tap's lines end each stream with it)."""
        assert self.state is not None
        sending = self.state.sending
        first = self.state.audio.sent_at(0.0)
        span = (sending.last_at - first) if first is not None and sending.last_at is not None else 0.0
        cursor = self.audio.cursor
        pace = round(cursor / span, 3) if span >= 1.0 else None
        self.state.apply(Sent(self.state.name, round(cursor, 6), pace, sending.gaps, round(sending.longest_gap, 3),
                              dict(sending.controls), self._closed_by), at)  # fmt: skip

    def _progress_final(self, at: float) -> None:
        assert self.state is not None
        if self.audio.cursor > self._told_cursor:
            self._told_cursor = self.audio.cursor
            self.state.apply(AudioProgress(self.state.name, self.audio.cursor, self.audio.level_db, at,
                                           self.state.metrics.bytes_sent), at)  # fmt: skip


def _message_type(data: bytes) -> str:
    try:
        message = json.loads(data)
    except ValueError:
        return ""
    return message.get("type", "") if isinstance(message, dict) else ""
