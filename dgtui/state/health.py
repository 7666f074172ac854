"""A stream's health for the wall of monitors: silence (a dead feed), and outages and reconnects over the
last hour and day. No I/O; read from the state, live or replayed.

A radio feed that goes quiet, or a stream whose server stops hearing words, is what an operator must notice
first. "Silent" is either no audio level (every chunk below :data:`SILENT_DB` since then: the feed is dead or
muted) or no speech (no word transcribed since then), for longer than the configured time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

SILENT_DB = -50.0  # a chunk below this level carries no signal worth transcribing
DEFAULT_SILENCE_AFTER = 120.0  # seconds; [monitor] silence_after, --silence-after
HOUR, DAY = 3600.0, 86400.0


@dataclass(frozen=True, slots=True)
class Silence:
    seconds: float
    reason: str  # "no audio level" or "no speech"


def silence(state: Any, now: float, after: float = DEFAULT_SILENCE_AFTER) -> Silence | None:
    """Whether a streaming stream has been silent for ``after`` seconds or more (None: it has not)."""
    if state.started_at is None or state.ended_at is not None or after <= 0:
        return None
    heard = state.heard_at if state.heard_at is not None else state.started_at
    if now - heard >= after:
        return Silence(now - heard, "no audio level")
    worded = state.words_at if state.words_at is not None else state.started_at
    if now - worded >= after:
        return Silence(now - worded, "no speech")
    return None


def downtime(state: Any, now: float, window: float) -> float:
    """Seconds without a connection within the last ``window`` seconds (an outage still going counts to now,
    or to the stream's end)."""
    start, stop = now - window, now if state.ended_at is None else min(now, state.ended_at)
    total = 0.0
    for began, ended in state.outages:
        ended = stop if ended is None else ended
        total += max(0.0, min(ended, stop) - max(began, start))
    return total


def reconnects_within(state: Any, now: float, window: float) -> int:
    return sum(1 for at in state.reconnected_at if now - at <= window)


def heard(level_db: float) -> bool:
    """A chunk with a signal (a level not known, as with passthrough, counts as heard)."""
    return math.isnan(level_db) or level_db > SILENT_DB
