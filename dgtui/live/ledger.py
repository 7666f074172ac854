"""The audio bookkeeping of one stream, without I/O: what was read, sent, kept to send again, and when it is due.

A live session owns one :class:`AudioLedger` and asks it every question about audio: which chunk goes next
(the backlog read while disconnected comes first), what to keep after sending (the audio no final covers yet),
what to send again after a drop (cut at the exact sample where the last final ended), how a reopened source's
chunks count (from where the stream was), and how long to wait before a chunk is due (real-time pacing, paused
time left out). The socket loop stays small, and all of this is tested without sockets, as the websockets
library keeps its protocol apart from its connections.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass, field, replace

from dgtui.audio.chunks import AudioChunk, AudioFormat


@dataclass(frozen=True, slots=True)
class Rewind:
    """What a drop costs: audio sent again from ``start`` (``resent`` seconds), and audio ``lost`` before it
    (older than the window kept for sending again)."""

    start: float
    resent: float
    lost: float
    uncommitted: float  # seconds sent since the last final, whose results died with the connection


@dataclass
class AudioLedger:
    format: AudioFormat
    buffer_seconds: float = 30.0  # audio kept while disconnected, and kept to send again
    resend: bool = True  # after a drop, send the audio since the last final again (raw PCM only)
    position: float = 0.0  # where the audio sent (or dropped) ends: the next connection starts here
    source_base: float = 0.0  # audio before the source was last reopened: its chunks count from here
    backlog: deque[AudioChunk] = field(default_factory=deque)  # read, not yet sent (while disconnected)
    sent: deque[AudioChunk] = field(default_factory=deque)  # sent on this connection, not yet covered by a final
    timeline: float | None = None  # clock time when audio second 0 was due (real-time pacing)
    paused_total: float = 0.0  # seconds paused: pacing leaves them out
    jitter: float = 0.0  # the network conditions (--condition jitter:50ms): each chunk up to this much late ...
    burst: float = 0.0  # ... and audio held back to go in bursts of this many seconds (burst:2s)
    jitter_seed: int = 0  # the same jitter every run of a stream: runs stay comparable
    _jitter: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._jitter = random.Random(self.jitter_seed)

    # -- reading -------------------------------------------------------------------------------------------

    def from_source(self, chunk: AudioChunk) -> AudioChunk:
        """A chunk as the source counts it, on the stream's timeline (a reopened source starts at zero)."""
        return replace(chunk, end=chunk.end + self.source_base) if self.source_base else chunk

    def buffer(self, chunk: AudioChunk) -> float:
        """Keep a chunk read while disconnected; returns the seconds of the oldest audio dropped to make room
        (the backlog holds at most ``buffer_seconds``), which count as lost."""
        self.backlog.append(chunk)
        lost = 0.0
        while len(self.backlog) > 1 and chunk.end - self.position > self.buffer_seconds:
            dropped = self.backlog.popleft()
            lost += dropped.end - self.position
            self.position = dropped.end
        return lost

    def next_from_backlog(self) -> AudioChunk | None:
        return self.backlog.popleft() if self.backlog else None

    def unsent(self, chunk: AudioChunk) -> None:
        """A chunk the connection died before taking: it goes first on the next one."""
        self.backlog.appendleft(chunk)

    # -- sending -------------------------------------------------------------------------------------------

    def on_sent(self, chunk: AudioChunk, committed: float) -> None:
        """After a chunk went out: the position moves, and the chunk is kept until a final covers it (the audio
        up to ``committed`` has its finals), within ``buffer_seconds``."""
        self.position = chunk.end
        if not self.resend or not chunk.data:
            return
        self.sent.append(chunk)
        keep_from = max(committed, chunk.end - self.buffer_seconds)
        while self.sent and self.sent[0].end <= keep_from:
            self.sent.popleft()

    def flushed(self) -> None:
        """CloseStream was answered with every result: nothing sent needs sending again."""
        self.sent.clear()

    def rewind(self, committed: float) -> Rewind | None:
        """After a drop: the audio sent since ``committed`` (the last final's end) goes back in front of the
        backlog, its first chunk cut at that exact sample. None when there is nothing to send again (re-sending
        off, a container that cannot be cut, or every sent chunk already final)."""
        sent, self.sent = self.sent, deque()
        per_second = self.format.bytes_per_second
        if not sent or not self.resend or not per_second:
            return None
        again = [chunk for chunk in sent if chunk.end > committed]
        if not again:
            return None
        frame = 2 * self.format.channels
        first_start = again[0].end - len(again[0].data) / per_second
        if first_start < committed:  # cut at the sample where the last final ended
            cut = round((committed - first_start) * per_second)
            again[0] = replace(again[0], data=again[0].data[cut - cut % frame :])
            first_start = again[0].end - len(again[0].data) / per_second
        rewind = Rewind(
            start=first_start,
            resent=self.position - first_start,
            lost=max(0.0, first_start - committed),
            uncommitted=self.position - committed,
        )
        self.position = first_start
        self.backlog.extendleft(reversed(again))
        return rewind

    # -- pacing --------------------------------------------------------------------------------------------

    def start_clock(self, now: float) -> None:
        if self.timeline is None:
            self.timeline = now

    def due_in(self, cursor: float, now: float) -> float:
        """Seconds to wait before audio ending at ``cursor`` is due in real time (0: now or late)."""
        if self.timeline is None:
            return 0.0
        return max(0.0, self.timeline + self.paused_total + cursor - now)

    def send_delay(self, start: float, end: float, now: float, paced: bool) -> float:
        """Seconds to wait before sending a fresh chunk of audio from ``start`` to ``end``: its time in real time
        (``paced``: a file; a live source paces itself), later with the network conditions: ``burst`` holds it
        until the burst it belongs to is whole, ``jitter`` adds a random lateness (the order stays)."""
        if self.timeline is None or not (paced or self.jitter or self.burst):
            return 0.0
        due = start if paced else now - self.timeline - self.paused_total  # a live chunk is due as it comes
        if self.burst:
            due = max(due, math.ceil(end / self.burst - 1e-9) * self.burst)
        if self.jitter:
            due += self._jitter.uniform(0.0, self.jitter)
        return max(0.0, self.timeline + self.paused_total + due - now)

    def paused(self, seconds: float) -> None:
        self.paused_total += seconds

    def reopened(self, cursor: float, now: float) -> None:
        """The source was opened again: its chunks count from here, and pacing starts again from now (the stream
        did not play meanwhile)."""
        self.source_base = self.position
        if self.timeline is not None:
            self.timeline = now - cursor - self.paused_total
