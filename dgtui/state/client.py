"""What the client did, as a tap sees an application: how it sent a stream's audio (its pace against real time
now, the gaps where it stopped sending while connected, the controls it sent, the mistakes diagnosed in it: the
``sending`` part of a stream's state, which only :class:`~dgtui.state.stream.StreamState` writes), and its other
traffic, every HTTP request and WebSocket that is not a live transcription stream (pre-recorded ``POST
/v1/listen``, ``/v1/speak``, the voice agent, management calls) as flows. Data only.

dgtui's own streams have a ``sending`` part too (their pace is the source's, ``--fast`` or real time), so every
view reads one shape whoever sent the audio.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

PACE_WINDOW_S = 5.0  # the pace is measured over the last seconds of sending
GAP_S = 1.0  # a pause in the audio this long, while connected, is a gap


@dataclass(frozen=True, slots=True)
class Finding:
    """A mistake seen in how the client streams: ``summary`` for a card, ``message`` says what to do."""

    code: str
    summary: str
    message: str
    at: float


@dataclass
class Sending:
    window: deque[tuple[float, float]] = field(default_factory=lambda: deque(maxlen=4096))  # (clock, cursor)
    last_at: float | None = None  # when audio last went
    gaps: int = 0
    gap_seconds: float = 0.0
    longest_gap: float = 0.0
    controls: Counter[str] = field(default_factory=Counter)  # KeepAlive, Finalize, CloseStream, ForceEndTurn ...
    findings: list[Finding] = field(default_factory=list)
    closed_by: str = ""  # who closed first, told as the stream ends: "client", "server" or "neither" (cut)

    def sent(self, cursor: float, at: float) -> None:
        if self.last_at is not None and at - self.last_at >= GAP_S:
            gap = at - self.last_at
            self.gaps += 1
            self.gap_seconds += gap
            self.longest_gap = max(self.longest_gap, gap)
        self.last_at = at
        self.window.append((at, cursor))
        while len(self.window) > 2 and at - self.window[1][0] >= PACE_WINDOW_S:
            self.window.popleft()

    def pace(self) -> float | None:
        """Seconds of audio sent per second of clock over the last :data:`PACE_WINDOW_S` (None: too early)."""
        if len(self.window) < 2:
            return None
        (start, first), (end, last) = self.window[0], self.window[-1]
        return (last - first) / (end - start) if end - start >= 1.0 else None

    def latest(self) -> Finding | None:
        return self.findings[-1] if self.findings else None


@dataclass
class Flow:
    number: int
    peer: str  # the app's address
    method: str
    target: str  # path and query, without secrets
    started: float  # clock time of the request's head
    status: int | None = None  # None: no answer (yet)
    sent: int = 0  # body bytes from the app (a WebSocket's: frame bytes)
    received: int = 0  # body bytes from the upstream
    ended: float | None = None
    note: str = ""  # how it ended, when not with an answer

    def duration(self, now: float) -> float:
        return (self.ended if self.ended is not None else now) - self.started

    @property
    def websocket(self) -> bool:
        return self.status == 101


class FlowLog:
    """The latest flows (bounded: a tap runs for days), in the order they started; ``version`` moves on every
    change so a view repaints only then."""

    def __init__(self, keep: int = 1000) -> None:
        self.flows: deque[Flow] = deque(maxlen=keep)
        self.count = 0
        self.version = 0

    def start(self, peer: str, method: str, target: str, at: float) -> Flow:
        self.count += 1
        self.version += 1
        flow = Flow(self.count, peer, method, target, at)
        self.flows.append(flow)
        return flow

    def changed(self) -> None:
        self.version += 1
