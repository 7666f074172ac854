"""The audio a stream sent: how far (the cursor), how loud, when each part went out, its digest, what was sent
again or lost around drops, the conditions applied to it, and what the source was taken for. A part of the
stream's state; only :class:`~dgtui.state.stream.StreamState` writes it."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

from dgtui.audio.conditions import time_scale_of
from dgtui.state.reach import RisingLog


@dataclass
class Audio:
    conditions: list[str] = field(default_factory=list)  # the audio conditions applied before sending
    cursor: float = 0.0  # seconds of audio sent (audio sent again after a drop does not move it back)
    level_db: float = math.nan
    sent_log: RisingLog = field(default_factory=lambda: RisingLog(6000))  # (audio cursor, clock time sent)
    digest: hashlib._Hash = field(default_factory=hashlib.sha256)  # of the audio sent, each byte once
    lost: float = 0.0  # seconds of audio left without a transcript by outages (a full buffer)
    resent: float = 0.0  # seconds of audio sent again after drops (their results died with the connection)
    told: tuple[float, float] = (0.0, 0.0)  # the audio re-sent and lost already told in a Reconnected event
    server_reach: float = 0.0  # the furthest audio this connection's results reported on (stream's timeline)
    source_kind: str = ""  # what the source was taken for: "file", "live", "hls" ("" until known)
    source_reason: str = ""  # why, in words

    @property
    def time_scale(self) -> float:
        """Seconds of sent audio per second of the source (``speed:1.1`` sends 1/1.1), from its conditions."""
        return time_scale_of(self.conditions)

    def sent_at(self, audio: float) -> float | None:
        """When the audio at ``audio`` seconds went out (the first chunk reaching it), while it is still logged.
        The log's cursors never go back, so it is searched by halves."""
        return self.sent_log.first_at_or_past(audio)

    def untold(self) -> tuple[float, float]:
        """The audio re-sent and lost since the last Reconnected event told them."""
        return self.resent - self.told[0], self.lost - self.told[1]
