"""Typed events: what happens to a stream. A stream's state changes only by applying one
(:meth:`dgtui.state.stream.StreamState.apply`), live, replayed or scripted alike, and hands each to its listeners
(the app, the headless printer, a recorder).

Events are tagged msgspec structs, as the protocol's messages are: one encoding, ``{"type": "dgtui.<Event>",
...}``, serves ``dgtui stream --json``, the recordings and their replay (:mod:`dgtui.state.encoding`). Times
on the wire carry their unit (``offset_s``); in memory they are plain seconds.

A few events are the live owner's alone (:data:`LocalEvent`): they change the state as they happen but no
recording keeps them, because a recorded event tells what they add up to (``AudioSent`` chunk by chunk, told
by ``AudioProgress`` once a second) or because they belong to this run only (a note in the event log, where
the stream will connect). The state applies them and does not hand them on.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import msgspec

from dgtui.protocol.flux import FluxMessage
from dgtui.protocol.messages import ServerMessage


class State(StrEnum):
    CONNECTING = "connecting"
    STREAMING = "streaming"
    PAUSED = "paused"
    CLOSING = "closing"
    CLOSED = "closed"
    ERROR = "error"


class HandshakeTimings(msgspec.Struct, frozen=True):
    """Seconds spent in each step of opening the connection."""

    dns: float = 0.0
    tcp: float = 0.0
    tls: float = 0.0
    upgrade: float = 0.0

    @property
    def total(self) -> float:
        return self.dns + self.tcp + self.tls + self.upgrade


class Event(msgspec.Struct, frozen=True, tag_field="type"):
    """The base of every event: each names its stream."""

    name: str


class Connected(Event, frozen=True, tag="dgtui.Connected"):
    url: str  # with any secret removed
    request_id: str | None
    timings: HandshakeTimings = msgspec.field(name="handshake")


class MessageReceived(Event, frozen=True, tag="message"):
    """A server message; on the wire it is its raw text (``--json`` prints only that)."""

    raw: str  # exactly as received
    message: ServerMessage | FluxMessage | None = None  # decoded; not on the wire (a replay decodes the raw text again)
    received_at: float = msgspec.field(default=0.0, name="mono")  # monotonic
    cursor: float | None = 0.0  # seconds of audio sent when it arrived (None, in a script: whatever was sent)


class StateChanged(Event, frozen=True, tag="dgtui.State"):
    state: State


class SessionError(Event, frozen=True, tag="dgtui.Error"):
    message: str  # what happened and what to do
    detail: str = ""
    fatal: bool = True  # False: reported, but the stream goes on


class SourceTitle(Event, frozen=True, tag="dgtui.SourceTitle"):
    title: str


class SourceOpened(Event, frozen=True, tag="dgtui.Source"):
    """What the source was taken for (``file``, ``live``, ``hls``) and why: it decides pacing and reopening."""

    kind: str
    reason: str


class SourceReopening(Event, frozen=True, tag="dgtui.SourceReopening"):
    """A live source ended or failed; it is opened again after ``backoff`` seconds (KeepAlive meanwhile)."""

    attempt: int
    max_attempts: int
    backoff: float = msgspec.field(name="backoff_s")
    reason: str = ""


class Reconnecting(Event, frozen=True, tag="dgtui.Reconnecting"):
    """The connection dropped; attempt ``attempt`` of ``max_attempts`` comes after ``backoff`` seconds."""

    attempt: int
    max_attempts: int
    backoff: float = msgspec.field(name="backoff_s")
    reason: str = ""


class Reconnected(Event, frozen=True, tag="dgtui.Reconnected"):
    """A new connection after a drop or a manual reconnect.

    Its messages' timestamps plus ``offset`` are on the stream's one timeline; ``audio_resent`` and ``audio_lost``
    are this reconnect's seconds sent again (their results died with the old connection) and lost.
    """

    request_id: str | None
    offset: float = msgspec.field(name="offset_s")
    gap: float = msgspec.field(default=0.0, name="gap_s")  # seconds without a connection
    audio_resent: float = msgspec.field(default=0.0, name="audio_resent_s")
    audio_lost: float = msgspec.field(default=0.0, name="audio_lost_s")


class Closed(Event, frozen=True, tag="dgtui.Closed"):
    code: int | None
    reason: str
    explanation: str
    clean: bool = False


class Control(Event, frozen=True, tag="dgtui.Control"):
    """Something dgtui did to the stream: ``finalize`` (Nova) or ``force_end_turn`` (Flux) sent, ``pause`` or
    ``resume`` (``offset``: the audio cursor), or ``reconnect`` begun (``offset``: where the next connection's
    audio starts)."""

    action: str
    offset: float = msgspec.field(default=0.0, name="offset_s")


class AudioProgress(Event, frozen=True, tag="dgtui.Audio"):
    """Audio sent so far; emitted at the first chunk and then about once a second of audio."""

    cursor: float = msgspec.field(name="cursor_s")
    level_db: float | None  # NaN (null on the wire) when not known
    at: float = msgspec.field(name="mono")  # monotonic
    bytes_sent: int = msgspec.field(default=0, name="bytes")


class Diagnosis(Event, frozen=True, tag="dgtui.Diagnosis"):
    """A mistake seen in how the client streams (a tap watching an application): ``code`` names it, ``summary``
    fits a card, ``message`` says what happened and what to do."""

    code: str
    summary: str
    message: str


class Handshake(Event, frozen=True, tag="dgtui.Handshake"):
    """How a watched client opened its stream (a tap, or ``dgtui serve --json``): its path and query (without
    secrets), and how it authenticated (``token``, ``bearer``, ``subprotocol``, ``query`` or ``none``)."""

    path: str
    query: str
    auth: str


class Sent(Event, frozen=True, tag="dgtui.Sent"):
    """What a watched client sent in all, told as its stream ends: its audio, its pace against real time over the
    whole stream, the gaps where it stopped sending while connected, and its controls."""

    audio_s: float
    pace: float | None  # audio seconds per second of sending (None: too short to say)
    gaps: int
    longest_gap_s: float
    controls: dict[str, int] = msgspec.field(default_factory=dict)
    closed_by: str = ""  # who closed first: "client", "server", or "neither" (the connection was cut)


class FaultFired(Event, frozen=True, tag="dgtui.Fault"):
    """A fault injected on purpose (``--fault``) did something to the stream: ``fault`` says which and what."""

    fault: str


class Manifest(Event, frozen=True, tag="dgtui.Manifest"):
    """What a run must share with another for their figures to compare: emitted once, when the stream ends."""

    dgtui: str  # the version
    audio_sha256: str | None  # of the audio sent (each byte once: audio sent again after a drop is not hashed)
    audio_seconds: float = msgspec.field(name="audio_s")
    encoding: str | None = None  # None: a container sent as is
    sample_rate: int | None = None
    channels: int = 1
    chunk_ms: int | None = None
    pacing: str = ""  # "real time", or "unpaced" (a live source, or --fast)
    url: str = ""  # the last connection's, with any secret removed
    options: dict[str, Any] = msgspec.field(default_factory=dict)
    model: dict[str, Any] = msgspec.field(default_factory=dict)  # as the server told it
    request_ids: list[str] = msgspec.field(default_factory=list)
    normaliser: int = 0  # the version of the words' normaliser word error rates use
    conditions: list[str] = msgspec.field(default_factory=list)  # audio conditions applied before sending


# -- the live owner's own events: applied, never handed on, never recorded ------------------------------------


class AudioSent(Event, frozen=True, tag="dgtui.local.AudioSent"):
    """A chunk went out: ``size`` bytes up to ``cursor`` seconds of audio, at ``level_db`` (NaN: not known);
    ``fresh``: the bytes of it never sent before (audio sent again after a drop is not), for the digest."""

    size: int
    cursor: float
    level_db: float
    fresh: bytes = b""


class AudioAccounted(Event, frozen=True, tag="dgtui.local.AudioAccounted"):
    """Seconds of audio sent again after a drop, or lost to a full buffer, as they happen (the next
    ``Reconnected`` tells the sum)."""

    resent: float = 0.0
    lost: float = 0.0


class Note(Event, frozen=True, tag="dgtui.local.Note"):
    """A line for the stream's event log that no other event says."""

    text: str
    level: str = "info"  # "info", "warning" or "error"


class Endpoint(Event, frozen=True, tag="dgtui.local.Endpoint"):
    """Where the stream will connect (the local engine's URL is known once it runs), without secrets."""

    url: str


class InvalidFrame(Event, frozen=True, tag="dgtui.local.InvalidFrame"):
    """A server frame that is not JSON: kept for the inspector, and told as a warning (a ``SessionError``)."""

    raw: str


class Refused(Event, frozen=True, tag="dgtui.local.Refused"):
    """The handshake was refused: its HTTP status (None: no HTTP answer), ``dg-error`` and request id."""

    status: int | None
    dg_error: str = ""
    request_id: str | None = None


class Started(Event, frozen=True, tag="dgtui.local.Started"):
    """The stream's clock starts before any connection (a played script's origin)."""


LocalEvent = AudioSent | AudioAccounted | Note | Endpoint | InvalidFrame | Refused | Started


# dgtui's own events, as read back from their lines (a server message's line is its raw text, decoded by the
# protocol's own decoder).
DgtuiEvent = (
    Connected
    | StateChanged
    | SessionError
    | SourceTitle
    | SourceOpened
    | SourceReopening
    | Reconnecting
    | Reconnected
    | Closed
    | Control
    | AudioProgress
    | Diagnosis
    | Handshake
    | Sent
    | FaultFired
    | Manifest
)
