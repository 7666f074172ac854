"""How the client sent its audio, as a tap sees an application's stream: its pace against real time now, the
gaps where it stopped sending while connected, the controls it sent, and the mistakes diagnosed in it. A part of
the stream's state; only :class:`~dgtui.state.stream.StreamState` writes it.

dgtui's own streams have it too (their pace is the source's, ``--fast`` or real time), so every view reads one
shape whoever sent the audio.
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
