"""Lanes side by side: one row of figures per lane, and the best of each column.

A lane group is one source fanned out to several streams (:mod:`dgtui.audio.fanout`); they saw the same audio,
so their figures compare. Word error rate needs a reference (:mod:`dgtui.judge.accuracy`); the rest comes from
each stream's own metrics: interim latency, time to first text, end of turn (Nova's speech_final, Flux's
EndOfTurn on the wall clock), corrections, finals and reconnects.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dgtui.judge.accuracy import (
    NORMALISER_VERSION,
    KeytermScore,
    TimedWord,
    WordErrors,
    anchored,
    emission,
    keyterm_score,
    speech_bounds,
    word_errors,
)
from dgtui.state.reach import TURN_END_SIGNALS
from dgtui.state.stats import Series, Summary, format_ms, summarize
from dgtui.state.stream import StreamState
from dgtui.state.usage import Cost, NoPrice, cost_of, format_usd

# Columns where less is better, and how a row's value is read.
LOWER_IS_BETTER = ("wer", "latency_p50", "latency_p95", "final_p50", "ttft", "end_of_turn_p50", "speech_end_p50",
                   "word_shown_p50", "word_final_p50", "corrections", "reconnects", "cost_per_hour")  # fmt: skip
Percentiles = dict[str, float | None]  # p50, p95, p99 in seconds


@dataclass(frozen=True)
class LaneGroup:
    """One source's lanes: the streams to compare (by name, in lane order), and the reference they are judged
    against. The commands make them; the headless printer and the app's comparison tab read them."""

    source: str
    streams: tuple[str, ...]
    reference: str | None = None  # its text
    reference_path: str | None = None
    truth: tuple[TimedWord, ...] | None = None  # true word times: latency anchored on them

    def lane_name(self, stream: str) -> str:
        return stream.split("/", 1)[-1]

    def as_header(self) -> dict[str, Any]:
        """What a lane's recording keeps of its group, so a replay compares the lanes again."""
        return {"source": self.source, "streams": list(self.streams), "reference": self.reference,
                "reference_path": self.reference_path, "truth": [list(w) for w in self.truth or ()]}  # fmt: skip

    @classmethod
    def from_headers(cls, headers: list[dict[str, Any]]) -> list[LaneGroup]:
        """The lane groups the recordings being replayed belong to (only their streams that are there)."""
        present = {h.get("name") for h in headers}
        groups: dict[tuple[str, tuple[str, ...]], LaneGroup] = {}
        for header in headers:
            group = header.get("lane_group")
            if not isinstance(group, dict):
                continue
            streams = tuple(s for s in group.get("streams", []) if s in present)
            key = (str(group.get("source", "")), tuple(group.get("streams", [])))
            if streams and key not in groups:  # one stream alone: judged on its reference
                truth = tuple((str(w), float(s), float(e)) for w, s, e in group.get("truth") or ()) or None
                groups[key] = cls(key[0], streams, group.get("reference"), group.get("reference_path"), truth)
        return list(groups.values())


@dataclass
class LaneRow:
    name: str
    errors: WordErrors | None
    latency_p50: float | None
    latency_p95: float | None
    ttft: float | None
    end_of_turn_p50: float | None
    corrections: int
    finals: int
    reconnects: int
    error: str | None
    keyterms: KeytermScore | None = None  # with a reference and the lane's keyterm list
    transcript: str = ""
    final_p50: float | None = None  # audio sent when a final arrives minus its end: who finalizes first, by how much
    speech_end: Percentiles | None = None  # true end of speech -> the first turn-end signal
    first_word: Percentiles | None = None  # true onset of speech -> the first words shown
    speech_end_by: dict[str, Percentiles] = field(default_factory=dict)  # the same per signal (speech_final, ...)
    word_shown: Percentiles | None = None  # each true word's end -> the words shown first reach it
    word_final: Percentiles | None = None  # each true word's end -> the final words reach it
    latency: Summary | None = None  # the whole distributions behind the p50s above (for gates)
    final: Summary | None = None
    end_of_turn: Summary | None = None
    cost: float | None = None  # USD so far, over the copies (None: no price, see cost_note)
    cost_per_hour: float | None = None  # USD per hour of one stream like this lane
    cost_note: str = ""  # why there is no cost figure

    @property
    def speech_end_p50(self) -> float | None:
        return None if self.speech_end is None else self.speech_end["p50"]

    @property
    def word_shown_p50(self) -> float | None:
        return None if self.word_shown is None else self.word_shown["p50"]

    @property
    def word_final_p50(self) -> float | None:
        return None if self.word_final is None else self.word_final["p50"]

    @property
    def wer(self) -> float | None:
        return None if self.errors is None else self.errors.wer

    def as_dict(self) -> dict[str, Any]:
        return {"lane": self.name, **(self.errors.as_dict() if self.errors else {"wer": None}),
                "latency_p50_s": self.latency_p50, "latency_p95_s": self.latency_p95, "ttft_s": self.ttft,
                "final_p50_s": self.final_p50, "end_of_turn_p50_s": self.end_of_turn_p50,
                "corrections": self.corrections, "finals": self.finals,
                "reconnects": self.reconnects, "error": self.error,
                "keyterms": None if self.keyterms is None else self.keyterms.as_dict(),
                "speech_end_s": self.speech_end, "speech_end_by_signal_s": self.speech_end_by,
                "first_word_s": self.first_word, "word_shown_s": self.word_shown,
                "word_final_s": self.word_final, "cost_usd": self.cost, "cost_per_hour_usd": self.cost_per_hour,
                **({"cost_note": self.cost_note} if self.cost_note else {})}  # fmt: skip


@dataclass
class Comparison:
    source: str
    reference: str | None  # where the reference came from (a path), None without one
    rows: list[LaneRow]
    best: dict[str, set[str]] = field(default_factory=dict)  # column -> the lanes with its best value

    def is_best(self, row: LaneRow, column: Column) -> bool:
        return bool(column.best) and row.name in self.best.get(column.best, ())

    def as_dict(self) -> dict[str, Any]:
        return {"type": "dgtui.Comparison", "source": self.source, "reference": self.reference,
                "normaliser": NORMALISER_VERSION, "lanes": [row.as_dict() for row in self.rows],
                "best": {column: sorted(names) for column, names in self.best.items()}}  # fmt: skip


def _value(number: float) -> float | None:
    return None if math.isnan(number) else round(number, 4)


def _percentiles(values: list[float]) -> Percentiles | None:
    if not values:
        return None
    summary = summarize(values)
    return {"p50": _value(summary.p50), "p95": _value(summary.p95), "p99": _value(summary.p99)}


def lane_row(
    name: str,
    states: Sequence[StreamState],
    reference: str | None,
    complete: Callable[[StreamState], bool],
    truth: tuple[TimedWord, ...] | None = None,
) -> LaneRow:
    """A lane's figures, from one stream or pooled over several copies of it (``dgtui bench --streams N``: word
    errors added up, latencies pooled); ``complete``: whether a stream covered its whole source (then the whole
    reference counts, otherwise what it has reached). The transcript shown is the first copy's."""
    latency, final, end_of_turn = Series(), Series(), Series()
    errors: WordErrors | None = None
    keyterms: KeytermScore | None = None
    texts = [state.transcript.text() for state in states]
    for state, text in zip(states, texts, strict=True):
        metrics = state.metrics
        latency.merge(metrics.latency)
        final.merge(state.turns.metrics.eot_audio if state.flux else metrics.final_latency)  # Flux: EndOfTurn
        end_of_turn.merge(state.turns.metrics.eot_wall if state.flux else metrics.end_of_turn)
        if reference is not None:
            more = word_errors(reference, text, complete=complete(state))
            errors = more if errors is None else errors + more
            terms = state.setup.options.get("keyterm") or []
            terms = [terms] if isinstance(terms, str) else list(terms)
            if terms:
                score = keyterm_score(terms, reference, text)
                keyterms = score if keyterms is None else keyterms + score
    ttfts = [state.metrics.ttft for state in states if state.metrics.ttft is not None]
    row = LaneRow(name, errors, _value(latency.summary().p50), _value(latency.summary().p95),
                  round(summarize(ttfts).p50, 4) if ttfts else None, _value(end_of_turn.summary().p50),
                  sum(s.metrics.corrections for s in states),
                  sum(s.turns.ended if s.flux else s.transcript.finals for s in states),
                  sum(s.connection.reconnects for s in states),
                  next((s.connection.error for s in states if s.connection.error), None), keyterms,
                  texts[0], _value(final.summary().p50))  # fmt: skip
    row.latency, row.final, row.end_of_turn = latency.summary(), final.summary(), end_of_turn.summary()
    _price(row, states)
    if truth and states:
        _anchor(row, states, scaled_truth(states[0], truth))
    return row


def _price(row: LaneRow, states: Sequence[StreamState]) -> None:
    """What the lane costs at its streams' prices: so far (over the copies) and per hour of one stream."""
    costs = [cost_of(state.usage(), state.setup.prices) for state in states]
    priced = [cost for cost in costs if isinstance(cost, Cost)]
    if priced and len(priced) == len(costs):
        row.cost, row.cost_per_hour = sum(cost.so_far for cost in priced), priced[0].per_hour
    elif costs:
        row.cost_note = next(cost.reason for cost in costs if isinstance(cost, NoPrice))


def anchored_latencies(state: StreamState, truth: tuple[TimedWord, ...]) -> dict[str, list[float]]:
    """One stream's latencies anchored on true word times (``truth`` already on its audio's time scale):
    ``speech_end`` (true end of speech -> the first turn-end signal; also per signal, ``speech_end:SIGNAL``),
    ``first_word`` (true onset -> the first words shown), ``word_shown`` and ``word_final`` (each true word's end
    -> the words shown, the final words, reach it)."""
    onsets, ends = speech_bounds(truth)
    signals = list(state.reach.speech_ends)
    sent_at = state.audio.sent_at
    figures = {
        "speech_end": anchored(ends, [s for s in signals if s.signal in TURN_END_SIGNALS], sent_at),
        "first_word": anchored(onsets, list(state.reach.text_seen), sent_at, slack=-0.05),
        "word_shown": emission(truth, state.reach.text_seen.first_reaching, sent_at),
        "word_final": emission(truth, state.reach.final_seen.first_reaching, sent_at),
    }
    for signal in {s.signal for s in signals}:
        figures[f"speech_end:{signal}"] = anchored(ends, [s for s in signals if s.signal == signal], sent_at)
    return figures


def scaled_truth(state: StreamState, truth: tuple[TimedWord, ...]) -> tuple[TimedWord, ...]:
    """The true word times on the audio the stream sent (``speed:1.1`` sent the words 1/1.1 as far apart)."""
    scale = state.audio.time_scale
    return truth if scale == 1.0 else tuple((w, s * scale, e * scale) for w, s, e in truth)


def _anchor(row: LaneRow, states: Sequence[StreamState], truth: tuple[TimedWord, ...]) -> None:
    """The figures anchored on true word times: ends and onsets of speech, and every word."""
    pooled: dict[str, list[float]] = {}
    for state in states:
        for name, values in anchored_latencies(state, truth).items():
            pooled.setdefault(name, []).extend(values)
    row.speech_end, row.first_word = _percentiles(pooled["speech_end"]), _percentiles(pooled["first_word"])
    by_signal = {name.split(":", 1)[1]: values for name, values in pooled.items() if name.startswith("speech_end:")}
    row.speech_end_by = {signal: figures for signal in sorted(by_signal)
                         if (figures := _percentiles(by_signal[signal])) is not None}  # fmt: skip
    row.word_shown, row.word_final = _percentiles(pooled["word_shown"]), _percentiles(pooled["word_final"])


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _sdi(row: LaneRow) -> str:
    errors = row.errors
    return "-" if errors is None else f"{errors.substitutions}/{errors.deletions}/{errors.insertions}"


@dataclass(frozen=True)
class Column:
    """One figure of a lane row as every comparison shows it (the app's tab, the plain table, the Markdown
    report): its headings there, its short heading on a narrow terminal (None: left out there), the column
    its best is marked under ("": never marked), and its text."""

    heading: str
    plain: str
    markdown: str
    short: str | None
    best: str
    show: Callable[[LaneRow], str]
    rank: int = 1  # where space is short, the highest ranks go first
    optional: bool = False  # left out of a table where no row has a value (cost, on lanes that bill nothing)

    def shown_for(self, rows: Sequence[LaneRow]) -> bool:
        return not self.optional or any(self.show(row) != "-" for row in rows)


COLUMNS = (
    Column("WER", "WER", "WER", "WER", "wer", lambda r: _percent(r.wer)),
    Column("S/D/I", "S/D/I", "S/D/I", None, "", _sdi, rank=5),
    Column("lat p50", "lat p50", "latency p50", "p50", "latency_p50", lambda r: format_ms(r.latency_p50)),
    Column("lat p95", "lat p95", "latency p95", "p95", "latency_p95", lambda r: format_ms(r.latency_p95), rank=3),
    Column("final p50", "final p50", "final p50", "fin", "final_p50", lambda r: format_ms(r.final_p50)),
    Column("first text", "first text", "first text", "1st", "ttft", lambda r: format_ms(r.ttft), rank=2),
    Column("end of turn", "end of turn", "end of turn", "EoT", "end_of_turn_p50",
           lambda r: format_ms(r.end_of_turn_p50)),
    Column("speech end", "speech end", "after true speech end", None, "speech_end_p50",
           lambda r: format_ms(r.speech_end_p50), rank=2),
    Column("word shown", "word shown", "word to shown", None, "word_shown_p50",
           lambda r: format_ms(r.word_shown_p50), rank=3),
    Column("word final", "word final", "word to final", None, "word_final_p50",
           lambda r: format_ms(r.word_final_p50), rank=4),
    Column("corrections", "corr", "corrections", None, "corrections", lambda r: str(r.corrections), rank=3),
    Column("finals", "finals", "finals", None, "", lambda r: str(r.finals), rank=5),
    Column("reconnects", "reconn", "reconnects", None, "reconnects", lambda r: str(r.reconnects), rank=4),
    Column("$/hour", "$/h", "cost per hour", "$/h", "cost_per_hour",
           lambda r: "-" if r.cost_per_hour is None else format_usd(r.cost_per_hour), rank=2, optional=True),
)  # fmt: skip


def shown_columns(rows: Sequence[LaneRow], columns: Sequence[Column] = COLUMNS) -> list[Column]:
    """The columns a table of these rows shows: an optional one (cost) only where a row has its value."""
    return [column for column in columns if column.shown_for(rows)]


def compare_lanes(
    group: LaneGroup | Sequence[LaneGroup], states: Iterable[StreamState], complete: Callable[[StreamState], bool]
) -> Comparison:
    """A lane group's figures from its streams' states (in lane order); ``complete`` says whether a lane heard
    its whole source (then the whole reference counts; while running, only what it has reached). Several
    groups of one source (copies, ``dgtui bench --streams N``) give one row per lane, pooled over the copies."""
    groups = [group] if isinstance(group, LaneGroup) else list(group)
    by_name = {state.name: state for state in states}
    head = groups[0]
    rows = []
    for index, name in enumerate(head.streams):
        copies = [by_name[g.streams[index]] for g in groups if index < len(g.streams) and g.streams[index] in by_name]
        if copies:
            rows.append(lane_row(head.lane_name(name), copies, head.reference, complete, head.truth))
    return compare(head.source, rows, head.reference_path)


def compare(source: str, rows: list[LaneRow], reference: str | None = None) -> Comparison:
    comparison = Comparison(source, reference, rows)
    for column in LOWER_IS_BETTER:
        values = {row.name: getattr(row, column) for row in rows if getattr(row, column) is not None}
        if len(values) >= 2 and len(set(values.values())) > 1:  # a best only where lanes differ
            best = min(values.values())
            comparison.best[column] = {name for name, value in values.items() if value == best}
    return comparison
