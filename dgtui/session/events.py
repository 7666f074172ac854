"""Typed events a session emits, for any consumer (the TUI, the headless printer, a recorder)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from dgtui.protocol.messages import ServerMessage


class State(StrEnum):
    CONNECTING = "connecting"
    STREAMING = "streaming"
    PAUSED = "paused"
    CLOSING = "closing"
    CLOSED = "closed"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class HandshakeTimings:
    """Seconds spent in each step of opening the connection."""

    dns: float = 0.0
    tcp: float = 0.0
    tls: float = 0.0
    upgrade: float = 0.0

    @property
    def total(self) -> float:
        return self.dns + self.tcp + self.tls + self.upgrade


@dataclass(frozen=True, slots=True)
class Connected:
    name: str
    url: str  # with any secret removed
    request_id: str | None
    timings: HandshakeTimings


@dataclass(frozen=True, slots=True)
class MessageReceived:
    name: str
    raw: str  # exactly as received
    message: ServerMessage
    received_at: float  # monotonic
    cursor: float  # seconds of audio sent when it arrived


@dataclass(frozen=True, slots=True)
class StateChanged:
    name: str
    state: State


@dataclass(frozen=True, slots=True)
class SessionError:
    name: str
    message: str  # what happened and what to do
    detail: str = ""
    fatal: bool = True  # False: reported, but the stream goes on


@dataclass(frozen=True, slots=True)
class SourceTitle:
    name: str
    title: str


@dataclass(frozen=True, slots=True)
class SourceOpened:
    """What the source was taken for (``file``, ``live``, ``hls``) and why: it decides pacing and reopening."""

    name: str
    kind: str
    reason: str


@dataclass(frozen=True, slots=True)
class SourceReopening:
    """A live source ended or failed; it is opened again after ``backoff`` seconds (KeepAlive meanwhile)."""

    name: str
    attempt: int
    max_attempts: int
    backoff: float
    reason: str


@dataclass(frozen=True, slots=True)
class Reconnecting:
    """The connection dropped; attempt ``attempt`` of ``max_attempts`` comes after ``backoff`` seconds."""

    name: str
    attempt: int
    max_attempts: int
    backoff: float
    reason: str


@dataclass(frozen=True, slots=True)
class Reconnected:
    """A new connection after a drop or a manual reconnect.

    Its messages' timestamps plus ``offset`` are on the stream's one timeline; ``audio_resent`` and ``audio_lost``
    are this reconnect's seconds sent again (their results died with the old connection) and lost.
    """

    name: str
    request_id: str | None
    offset: float
    gap: float  # seconds without a connection
    audio_resent: float
    audio_lost: float


@dataclass(frozen=True, slots=True)
class Closed:
    name: str
    code: int | None
    reason: str
    explanation: str
    clean: bool = field(default=False)


@dataclass(frozen=True, slots=True)
class Control:
    """Something dgtui did to the stream: ``finalize`` sent, ``pause`` / ``resume`` (``offset``: the audio cursor), or
    ``reconnect`` begun (``offset``: where the next connection's audio starts)."""

    name: str
    action: str
    offset: float = 0.0


@dataclass(frozen=True, slots=True)
class AudioProgress:
    """Audio sent so far; emitted at the first chunk and then about once a second of audio."""

    name: str
    cursor: float
    level_db: float
    at: float  # monotonic
    bytes_sent: int = 0


Event = (
    Connected
    | MessageReceived
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
)
