"""A stream's health for the wall of monitors: silence (a dead feed), and outages and reconnects over the
last hour and day. No I/O; read from the state, live or replayed.

A radio feed that goes quiet, or a stream whose server stops hearing words, is what an operator must notice
first. "Silent" is either no audio level (every chunk below :data:`SILENT_DB` since then: the feed is dead or
muted) or no speech (no word transcribed since then), for longer than the configured time.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from dgtui.state.connection import Connection

SILENT_DB = -50.0  # a chunk below this level carries no signal worth transcribing
DEFAULT_SILENCE_AFTER = 120.0  # seconds; [monitor] silence_after, --silence-after
HOUR, DAY = 3600.0, 86400.0


@dataclass(frozen=True, slots=True)
class Silence:
    seconds: float
    reason: str  # "no audio level" or "no speech"


@dataclass
class Health:
    """A part of the stream's state: when it last heard a signal and words, and its outages and reconnects over
    the last day (the health figures' longest window)."""

    heard_at: float | None = None  # when a chunk last carried a signal
    words_at: float | None = None  # when words were last transcribed
    outages: deque[list[float | None]] = field(default_factory=deque)  # [lost, back] per connection lost
    reconnected_at: deque[float] = field(default_factory=deque)  # when each reconnect connected

    def forget_before(self, when: float) -> None:
        """Let go of the outages and reconnects older than ``when``."""
        while self.outages and (back := self.outages[0][1]) is not None and back < when:
            self.outages.popleft()
        while self.reconnected_at and self.reconnected_at[0] < when:
            self.reconnected_at.popleft()


def silence(health: Health, connection: Connection, now: float, after: float = DEFAULT_SILENCE_AFTER) -> Silence | None:
    """Whether a streaming stream has been silent for ``after`` seconds or more (None: it has not)."""
    started = connection.started_at
    if started is None or connection.ended_at is not None or after <= 0:
        return None
    heard = health.heard_at if health.heard_at is not None else started
    if now - heard >= after:
        return Silence(now - heard, "no audio level")
    worded = health.words_at if health.words_at is not None else started
    if now - worded >= after:
        return Silence(now - worded, "no speech")
    return None


def downtime(health: Health, connection: Connection, now: float, window: float) -> float:
    """Seconds without a connection within the last ``window`` seconds (an outage still going counts to now,
    or to the stream's end)."""
    start, ended_at = now - window, connection.ended_at
    stop = now if ended_at is None else min(now, ended_at)
    total = 0.0
    for began, ended in health.outages:
        assert began is not None  # an outage always has its start; only its end can be open
        until = stop if ended is None else min(ended, stop)
        total += max(0.0, until - max(began, start))
    return total


def reconnects_within(health: Health, now: float, window: float) -> int:
    return sum(1 for at in health.reconnected_at if now - at <= window)


def heard(level_db: float) -> bool:
    """A chunk with a signal (a level not known, as with passthrough, counts as heard)."""
    return math.isnan(level_db) or level_db > SILENT_DB
