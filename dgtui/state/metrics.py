"""Per-session metrics, with Deepgram's definition of latency.

* latency: audio cursor (seconds of audio sent) minus ``start + duration`` of each interim, when it arrives;
  the same for finals is kept separately (finals may end early, which would inflate the figure);
* time to first transcript: wall time from the first audio sent to the first non-empty result;
* end-of-turn latency: wall time from the last interim with words to the ``speech_final`` (or the
  ``UtteranceEnd`` that no speech_final preceded) that closed the turn;
* interim updates per second of audio, and interim corrections (words changed between consecutive interims
  of the same window);
* messages by type, bytes and seconds of audio sent.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from typing import Any

from dgtui.protocol.flux import UPDATE, FluxMessage, TurnInfo
from dgtui.protocol.messages import Results, ServerMessage, UnknownMessage, UtteranceEnd
from dgtui.state.stats import Series

FLAGS = ("is_final", "speech_final", "from_finalize", "SpeechStarted", "UtteranceEnd")  # Nova's lights


class Lights:
    """The indicators a view lights for a second: when each last lit, and how often."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.counts: Counter[str] = Counter()

    def light(self, flag: str, at: float) -> None:
        self.at[flag] = at
        self.counts[flag] += 1

    def lit(self, flag: str, now: float, hold: float = 1.0) -> bool:
        """Whether an indicator lit within the last ``hold`` seconds."""
        at = self.at.get(flag)
        return at is not None and now - at <= hold


class LatencyTimeline:
    """Latency over the stream's audio, for plots: per bucket of :attr:`BUCKET_S` seconds of audio, each kind's
    mean and highest value (six hours kept: a drift over an hour shows at a glance), and where reconnects were."""

    BUCKET_S = 5.0
    KINDS = ("interim", "final", "end_of_turn")

    def __init__(self, keep: int = 4320) -> None:
        self.closed: dict[str, deque[tuple[float, float, float]]] = {k: deque(maxlen=keep) for k in self.KINDS}
        self._open: dict[str, list[float]] = {}  # kind -> [bucket start, sum, count, max]
        self.reconnects: deque[float] = deque(maxlen=1000)  # audio seconds where the stream reconnected
        self.version = 0

    def add(self, kind: str, audio: float, value: float) -> None:
        if not math.isfinite(value):
            return
        start = audio - audio % self.BUCKET_S
        current = self._open.get(kind)
        if current is not None and current[0] != start:
            self.closed[kind].append((current[0], current[1] / current[2], current[3]))
            current = None
        if current is None:
            self._open[kind] = [start, value, 1, value]
        else:
            current[1] += value
            current[2] += 1
            current[3] = max(current[3], value)
        self.version += 1

    def mark_reconnect(self, audio: float) -> None:
        self.reconnects.append(audio)
        self.version += 1

    def points(self, kind: str) -> list[tuple[float, float, float]]:
        """(bucket start, mean, max) of ``kind``, the bucket still filling included."""
        out = list(self.closed[kind])
        current = self._open.get(kind)
        if current is not None:
            out.append((current[0], current[1] / current[2], current[3]))
        return out


def words_changed(previous: list[str], current: list[str]) -> int:
    """Positions whose word differs between two interims, plus words that disappeared."""
    common = min(len(previous), len(current))
    changed = sum(1 for i in range(common) if previous[i] != current[i])
    return changed + max(0, len(previous) - len(current))


class SessionMetrics:
    def __init__(self, window: int = 100) -> None:
        self.latency = Series(window)
        self.final_latency = Series(window)
        self.end_of_turn = Series(window)
        self.messages: Counter[str] = Counter()
        self.bytes_sent = 0
        self.audio_seconds = 0.0
        self.first_audio_at: float | None = None
        self.ttft: float | None = None
        self.interims = 0
        self.corrections = 0
        self._last_interim_at: float | None = None  # arrival of the latest interim with words, this turn
        self._previous_words: dict[int, tuple[float, list[str]]] = {}  # channel -> (window start, words)
        self._turn_closed = True
        self.arrivals: deque[float] = deque(maxlen=256)  # when the latest messages arrived
        self.timeline = LatencyTimeline()  # latency over the audio, for the plots
        self._cursor = 0.0  # the audio sent when the latest message arrived (where the timeline puts a value)

    def messages_per_second(self, now: float, window: float = 5.0) -> float:
        return sum(1 for t in self.arrivals if now - t <= window) / window

    def on_audio(self, size: int, cursor: float, now: float) -> None:
        if self.first_audio_at is None:
            self.first_audio_at = now
        self.bytes_sent += size
        self.audio_seconds = cursor

    def on_message(self, message: ServerMessage | FluxMessage, received_at: float, cursor: float) -> None:
        kind = message.type if isinstance(message, UnknownMessage) else type(message).__name__
        self.messages[kind or "?"] += 1
        self.arrivals.append(received_at)
        self._cursor = cursor
        if isinstance(message, Results):
            self._on_results(message, received_at, cursor)
        elif isinstance(message, TurnInfo):  # Flux: the same latency, on the turn's audio window
            if self.ttft is None and message.transcript and self.first_audio_at is not None:
                self.ttft = received_at - self.first_audio_at
            if message.event == UPDATE:
                self.latency.add(cursor - message.audio_window_end)
                self.timeline.add("interim", cursor, cursor - message.audio_window_end)
                self.interims += 1
        elif isinstance(message, UtteranceEnd) and not self._turn_closed:
            self._close_turn(received_at)

    def _on_results(self, result: Results, received_at: float, cursor: float) -> None:
        lag = cursor - result.end
        words = [w.word for w in result.alternative.words]
        if self.ttft is None and result.transcript and self.first_audio_at is not None:
            self.ttft = received_at - self.first_audio_at
        if words:
            self._turn_closed = False
        if not result.is_final:
            self.latency.add(lag)
            self.timeline.add("interim", cursor, lag)
            self.interims += 1
            channel = result.channel_index[0] if result.channel_index else 0
            previous = self._previous_words.get(channel)
            if previous is not None and previous[0] == result.start:
                self.corrections += words_changed(previous[1], words)
            self._previous_words[channel] = (result.start, words)
            if words:
                self._last_interim_at = received_at
            return
        self.final_latency.add(lag)
        self.timeline.add("final", cursor, lag)
        self._previous_words.pop(result.channel_index[0] if result.channel_index else 0, None)
        if result.speech_final and not self._turn_closed:
            self._close_turn(received_at)

    def _close_turn(self, received_at: float) -> None:
        if self._last_interim_at is not None:
            self.end_of_turn.add(received_at - self._last_interim_at)
            self.timeline.add("end_of_turn", self._cursor, received_at - self._last_interim_at)
        self._last_interim_at = None
        self._turn_closed = True

    @property
    def interims_per_audio_second(self) -> float:
        return self.interims / self.audio_seconds if self.audio_seconds else 0.0

    def summary(self) -> dict[str, Any]:
        """Figures for reports; seconds throughout."""
        latency = self.latency.summary()
        return {
            "audio_seconds": round(self.audio_seconds, 3),
            "bytes_sent": self.bytes_sent,
            "ttft_s": None if self.ttft is None else round(self.ttft, 4),
            "latency": _rounded(latency.as_dict()),
            "final_latency": _rounded(self.final_latency.summary().as_dict()),
            "end_of_turn": _rounded(self.end_of_turn.summary().as_dict()),
            "interims_per_audio_second": round(self.interims_per_audio_second, 3),
            "interim_corrections": self.corrections,
            "messages": dict(self.messages),
        }


def _rounded(values: dict[str, float | int]) -> dict[str, float | int | None]:
    return {
        k: (None if isinstance(v, float) and math.isnan(v) else round(v, 4) if isinstance(v, float) else v)
        for k, v in values.items()
    }
