"""A tapped connection as a stream: the frames the tap saw, turned into the events every dgtui stream is made of,
applied to a :class:`~dgtui.state.stream.StreamState` (so the wall, the tabs, ``--json`` and recordings treat it
as one of dgtui's own). No I/O: the relay calls it from its analysis task.

The app's credentials are registered as secrets the moment the handshake is seen, so they are redacted from
everything the stream shows or records.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

from websockets.frames import Close, Frame, Opcode

from dgtui.process.secrets import redact_url, register_secret
from dgtui.protocol.errors import explain_close
from dgtui.state.events import (
    AudioProgress,
    Closed,
    Connected,
    Control,
    HandshakeTimings,
    MessageReceived,
    SessionError,
    State,
    StateChanged,
)
from dgtui.state.setup import Setup
from dgtui.state.stream import StreamState
from dgtui.tap.diagnosis import HEAD_BYTES, Diagnosis, Diagnostician
from dgtui.tap.http import Head

BYTES_PER_SAMPLE = {"linear16": 2, "linear32": 4, "mulaw": 1, "alaw": 1}
CONTROLS = {
    "KeepAlive": "KeepAlive",
    "Finalize": "finalize",
    "CloseStream": "CloseStream",
    "ForceEndTurn": "force_end_turn",
}


def stream_name(target: str, peer: str, request_id: str | None) -> str:
    """The client's ``tag`` when it sets one, else its address and the request id's start."""
    query = dict(parse_qsl(urlsplit(target).query))
    if query.get("tag"):
        return query["tag"]
    return f"{peer}·{(request_id or '?')[:8]}"


def audio_rate(query: dict[str, str]) -> float | None:
    """Bytes per second of the raw audio the query declares; None for a container (no ``encoding``)."""
    width = BYTES_PER_SAMPLE.get(query.get("encoding", ""))
    try:
        rate = int(query.get("sample_rate", "0"))
        channels = int(query.get("channels", "1"))
    except ValueError:
        return None
    return float(width * rate * channels) if width and rate > 0 and channels > 0 else None


def _credentials(request: Head) -> None:
    authorization = request.header("authorization") or ""
    scheme, _, token = authorization.partition(" ")
    register_secret(token.strip() if scheme.lower() in ("token", "bearer") else authorization or None)
    offered = [p.strip() for p in (request.header("sec-websocket-protocol") or "").split(",")]
    if len(offered) >= 2 and offered[0].lower() in ("token", "bearer"):
        register_secret(offered[1])
    query = dict(parse_qsl(urlsplit(request.target).query))
    register_secret(query.get("token"))


class TappedStream:
    """The tap's observer for one connection: builds its stream state (created at the handshake)."""

    def __init__(self, peer: str, upstream: str, on_state: Callable[[StreamState], None] = lambda state: None) -> None:
        self.peer = peer
        self.upstream = upstream.rstrip("/")
        self.on_state = on_state  # told once the stream exists (the app adds a card, the printer subscribes)
        self.state: StreamState | None = None
        self._rate: float | None = None
        self._bytes = 0
        self._closed = False
        self._app_closed = False
        self.doctor = Diagnostician(raw=False)

    def handshake(self, request: Head, response: Head, at: float) -> None:
        _credentials(request)
        target = request.target
        path = urlsplit(target).path.rstrip("/")
        query = dict(parse_qsl(urlsplit(target).query))
        request_id = response.header("dg-request-id")
        name = stream_name(target, self.peer, request_id)
        url = redact_url(f"{self.upstream}{target}")
        api = "v2" if path.endswith("/v2/listen") else "v1"
        self._rate = audio_rate(query)
        self.doctor = Diagnostician(raw="encoding" in query, flux=api == "v2")
        state = StreamState(Setup(name, api=api, source=f"tapped from {self.peer}", options=dict(query)))
        self.state = state
        self.on_state(state)
        state.apply(StateChanged(name, State.CONNECTING), at)
        state.apply(Connected(name, url, request_id, HandshakeTimings()), at)
        state.apply(StateChanged(name, State.STREAMING), at)

    def frame(self, from_app: bool, frame: Frame, at: float) -> None:
        state = self.state
        if state is None or self._closed:
            return
        name = state.name
        if from_app and frame.opcode is Opcode.BINARY:
            self._bytes += len(frame.data)
            cursor = self._cursor() or 0.0
            state.apply(AudioProgress(name, cursor, math.nan, at, self._bytes), at)
            self._tell(self.doctor.audio(at, bytes(frame.data[:HEAD_BYTES]), cursor), at)
        elif from_app and frame.opcode is Opcode.TEXT:
            kind = _message_type(frame.data)
            if kind in CONTROLS:
                state.apply(Control(name, CONTROLS[kind]), at)
            self._tell(self.doctor.control(at, kind), at)
        elif from_app and frame.opcode is Opcode.CLOSE:
            self._app_closing(at)
        elif not from_app and frame.opcode is Opcode.TEXT:
            state.apply(MessageReceived(name, frame.data.decode("utf-8", "replace"), None, at, self._cursor()), at)
        elif frame.opcode is Opcode.CLOSE and not from_app:
            close = Close.parse(frame.data) if frame.data else None
            code, reason = (close.code, close.reason) if close else (None, "")
            self._tell(self.doctor.no_audio(code), at)
            self._close(code, reason, at)

    def ended(self, at: float, note: str) -> None:
        if self.state is not None and not self._closed:
            self._app_closing(at)
            self._close(None, note, at)  # the TCP connection ended without the upstream's close frame: 1006

    def _app_closing(self, at: float) -> None:
        assert self.state is not None
        if not self._app_closed:
            self._app_closed = True
            self._tell(self.doctor.app_closed(self._cursor() or 0.0, self.state.transcript.committed_until()), at)

    def _cursor(self) -> float | None:
        """Seconds of audio the app sent, from the encoding its query declares (None: a container)."""
        return self._bytes / self._rate if self._rate else None

    def _tell(self, diagnoses: list[Diagnosis], at: float) -> None:
        assert self.state is not None
        for diagnosis in diagnoses:
            self.state.apply(SessionError(self.state.name, diagnosis.message, diagnosis.code, fatal=False), at)

    def _close(self, code: int | None, reason: str, at: float) -> None:
        assert self.state is not None
        self._closed = True
        self.state.apply(Closed(self.state.name, code, reason, explain_close(code, reason), clean=code == 1000), at)
        self.state.apply(StateChanged(self.state.name, State.CLOSED), at)


def _message_type(data: bytes) -> str:
    try:
        message = json.loads(data)
    except ValueError:
        return ""
    return message.get("type", "") if isinstance(message, dict) else ""
