"""What one stream's state adds to its label set's series, read when Prometheus scrapes.

Counters and histograms (:class:`Tally`) add up over the streams of a label set, those gone included (their
last figures are kept, so a counter never goes back); gauges (:class:`Gauges`) are about the streams still
there. Reading copies each container in one C call (``dict(counter)``, ``list(buckets)``), so a scrape on the
exporter's thread sees a consistent container while the stream's loop goes on.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from dgtui.judge.accuracy import TimedWord, WordErrors, word_errors
from dgtui.judge.compare import anchored_latencies, scaled_truth
from dgtui.protocol.flux import END_OF_TURN
from dgtui.state.events import State
from dgtui.state.stats import LATENCY_EDGES, Series
from dgtui.state.stream import StreamState
from dgtui.state.usage import Cost, cost_of

FLOOR_DB = -120.0
EMPTY_BUCKETS = (0,) * (len(LATENCY_EDGES) + 1)

# histogram name -> what it reads: a series of the state (Nova's and Flux's apart)
SERIES = {
    "dgtui_interim_latency_seconds": lambda s: s.metrics.latency,
    "dgtui_final_latency_seconds": lambda s: None if s.flux else s.metrics.final_latency,
    "dgtui_end_of_turn_seconds": lambda s: s.turns.metrics.eot_wall if s.flux else s.metrics.end_of_turn,
    "dgtui_flux_end_of_turn_audio_seconds": lambda s: s.turns.metrics.eot_audio if s.flux else None,
    "dgtui_flux_eager_to_end_of_turn_seconds": lambda s: s.turns.metrics.eager_to_eot if s.flux else None,
    "dgtui_flux_start_of_turn_seconds": lambda s: s.turns.metrics.start_of_turn if s.flux else None,
}
TTFT = "dgtui_time_to_first_transcript_seconds"
ANCHORED = {  # with true word times: the anchored figure -> its histogram
    "speech_end": "dgtui_anchored_speech_end_seconds",
    "first_word": "dgtui_anchored_first_word_seconds",
    "word_final": "dgtui_anchored_word_final_seconds",
}


@dataclass
class Histogram:
    buckets: list[int] = field(default_factory=lambda: list(EMPTY_BUCKETS))  # per bucket, not cumulative
    total: float = 0.0

    def add(self, buckets: Iterable[int], total: float) -> None:
        self.buckets = [mine + theirs for mine, theirs in zip(self.buckets, buckets, strict=True)]
        self.total += total

    def add_values(self, values: Iterable[float]) -> None:
        for value in values:
            if math.isfinite(value):
                self.buckets[bisect_left(LATENCY_EDGES, value)] += 1
                self.total += value


@dataclass
class Tally:
    """What only grows: counts, seconds, bytes, money, and the histograms."""

    counters: dict[str, float] = field(default_factory=dict)  # metric name -> value
    messages: Counter[str] = field(default_factory=Counter)  # by type
    errors: Counter[str] = field(default_factory=Counter)  # by code
    histograms: dict[str, Histogram] = field(default_factory=dict)
    priced: bool = False  # at least one stream had a price (else no cost series)

    def add(self, other: Tally) -> None:
        for name, value in other.counters.items():
            self.counters[name] = self.counters.get(name, 0) + value
        self.messages.update(other.messages)
        self.errors.update(other.errors)
        for name, histogram in other.histograms.items():
            self.histograms.setdefault(name, Histogram()).add(histogram.buckets, histogram.total)
        self.priced = self.priced or other.priced


@dataclass
class Gauges:
    """What the streams still there are doing: how many in each state, connected, and the silent-feed flags
    (the highest over them)."""

    states: Counter[str] = field(default_factory=Counter)
    connected: int = 0
    since_words: float | None = None
    since_level: float | None = None
    level_db: float | None = None
    pace: float | None = None
    errors: WordErrors | None = None  # with a reference: word errors pooled over the streams

    def add(self, other: Gauges) -> None:
        self.states.update(other.states)
        self.connected += other.connected
        self.since_words = _highest(self.since_words, other.since_words)
        self.since_level = _highest(self.since_level, other.since_level)
        self.level_db = _highest(self.level_db, other.level_db)
        self.pace = _highest(self.pace, other.pace)
        if other.errors is not None:
            self.errors = other.errors if self.errors is None else self.errors + other.errors


def _highest(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else max(a, b)


def tally(state: StreamState, truth: tuple[TimedWord, ...] | None = None) -> Tally:
    """A stream's counters and histograms so far."""
    lights, connection, audio = dict(state.lights.counts), state.connection, state.audio
    counters: dict[str, float] = {
        "dgtui_finals_total": lights.get("is_final", 0),
        "dgtui_speech_finals_total": lights.get("speech_final", 0),
        "dgtui_utterance_ends_total": lights.get("UtteranceEnd", 0),
        "dgtui_turns_total": lights.get(END_OF_TURN, 0),
        "dgtui_reconnects_total": connection.reconnects,
        "dgtui_audio_sent_seconds_total": audio.cursor,
        "dgtui_audio_resent_seconds_total": audio.resent,
        "dgtui_sent_bytes_total": state.metrics.bytes_sent,
        "dgtui_streams_total": 1,
    }  # fmt: skip
    cost = cost_of(state.usage(), state.setup.prices)
    if isinstance(cost, Cost):
        counters["dgtui_cost_usd_total"] = cost.so_far
    out = Tally(counters, Counter(dict(state.metrics.messages)), Counter(dict(connection.error_codes)),
                priced=isinstance(cost, Cost))  # fmt: skip
    for name, read in SERIES.items():
        series: Series | None = read(state)
        if series is not None:
            out.histograms[name] = Histogram(list(series.coarse), series.total)
    ttft = state.metrics.ttft
    out.histograms[TTFT] = histogram = Histogram()
    if ttft is not None:
        histogram.add_values((ttft,))
    if truth:
        figures = anchored_latencies(state, scaled_truth(state, truth))
        for figure, name in ANCHORED.items():
            out.histograms[name] = anchored = Histogram()
            anchored.add_values(figures[figure])
    return out


def gauges(state: StreamState, now: float, reference: str | None = None) -> Gauges:
    """What a stream is doing now (``now`` on the state's clock)."""
    connection, health = state.connection, state.health
    phase = "reconnecting" if connection.reconnecting else connection.phase.value
    out = Gauges(Counter({phase: 1}), connected=int(connection.opened_at is not None))
    if reference is not None:
        out.errors = word_errors(reference, state.transcript.text(), complete=state.clean)
    running = connection.ended_at is None and connection.started_at is not None
    if not running or connection.phase is State.PAUSED:
        return out
    started = connection.started_at if connection.started_at is not None else now
    out.since_words = max(0.0, now - (health.words_at if health.words_at is not None else started))
    out.since_level = max(0.0, now - (health.heard_at if health.heard_at is not None else started))
    level = state.audio.level_db
    out.level_db = None if math.isnan(level) else max(level, FLOOR_DB)  # digital silence reads -inf
    out.pace = state.sending.pace()
    return out
