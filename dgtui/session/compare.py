"""Lanes side by side: one row of figures per lane, and the best of each column.

A lane group is one source fanned out to several streams (:mod:`dgtui.audio.fanout`); they saw the same audio,
so their figures compare. Word error rate needs a reference (:mod:`dgtui.session.accuracy`); the rest comes from
each stream's own metrics: interim latency, time to first text, end of turn (Nova's speech_final, Flux's
EndOfTurn on the wall clock), corrections, finals and reconnects.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from dgtui.session.accuracy import (
    NORMALISER_VERSION,
    KeytermScore,
    TimedWord,
    WordErrors,
    anchored,
    keyterm_score,
    speech_bounds,
    word_errors,
)
from dgtui.session.state import SessionState
from dgtui.session.stats import format_ms, summarize

# Columns where less is better, and how a row's value is read.
LOWER_IS_BETTER = ("wer", "latency_p50", "latency_p95", "final_p50", "ttft", "end_of_turn_p50", "speech_end_p50",
                   "corrections", "reconnects")  # fmt: skip


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
            if len(streams) >= 2 and key not in groups:
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
    speech_end: dict[str, float | None] | None = None  # true end of speech -> speech_final / EndOfTurn (p50/p95/p99)
    first_word: dict[str, float | None] | None = None  # true onset of speech -> the first words shown

    @property
    def speech_end_p50(self) -> float | None:
        return None if self.speech_end is None else self.speech_end["p50"]

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
                "speech_end_s": self.speech_end, "first_word_s": self.first_word}  # fmt: skip


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


def _percentiles(values: list[float]) -> dict[str, float | None] | None:
    if not values:
        return None
    summary = summarize(values)
    return {"p50": _value(summary.p50), "p95": _value(summary.p95), "p99": _value(summary.p99)}


def lane_row(
    name: str, state: SessionState, reference: str | None, complete: bool, truth: tuple[TimedWord, ...] | None = None
) -> LaneRow:
    """A lane's figures; ``complete``: the stream covered its whole source, so the whole reference counts."""
    metrics = state.metrics
    latency = metrics.latency.summary()
    if state.flux:  # a Flux turn's final is its EndOfTurn
        end_of_turn, finals = state.turns.metrics.eot_wall.summary().p50, state.turns.ended
        final = state.turns.metrics.eot_audio.summary().p50
    else:
        end_of_turn, finals = metrics.end_of_turn.summary().p50, state.transcript.finals
        final = metrics.final_latency.summary().p50
    text = state.transcript.text()
    errors = word_errors(reference, text, complete=complete) if reference is not None else None
    terms = state.options.get("keyterm") or []
    terms = [terms] if isinstance(terms, str) else list(terms)
    keyterms = keyterm_score(terms, reference, text) if reference is not None and terms else None
    ttft = metrics.ttft
    speech_end = first_word = None
    if truth:
        onsets, ends = speech_bounds(truth)
        speech_end = _percentiles(anchored(ends, list(state.speech_ends), state.sent_at))
        first_word = _percentiles(anchored(onsets, list(state.text_seen), state.sent_at, slack=-0.05))
    return LaneRow(name, errors, _value(latency.p50), _value(latency.p95), None if ttft is None else round(ttft, 4),
                   _value(end_of_turn), metrics.corrections, finals, state.reconnects, state.error, keyterms,
                   text, _value(final), speech_end, first_word)  # fmt: skip


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


COLUMNS = (
    Column("WER", "WER", "WER", "WER", "wer", lambda r: _percent(r.wer)),
    Column("S/D/I", "S/D/I", "S/D/I", None, "", _sdi),
    Column("lat p50", "lat p50", "latency p50", "p50", "latency_p50", lambda r: format_ms(r.latency_p50)),
    Column("lat p95", "lat p95", "latency p95", "p95", "latency_p95", lambda r: format_ms(r.latency_p95)),
    Column("final p50", "final p50", "final p50", "fin", "final_p50", lambda r: format_ms(r.final_p50)),
    Column("first text", "first text", "first text", "1st", "ttft", lambda r: format_ms(r.ttft)),
    Column("end of turn", "end of turn", "end of turn", "EoT", "end_of_turn_p50",
           lambda r: format_ms(r.end_of_turn_p50)),
    Column("speech end", "speech end", "after true speech end", None, "speech_end_p50",
           lambda r: format_ms(r.speech_end_p50)),
    Column("corrections", "corr", "corrections", None, "corrections", lambda r: str(r.corrections)),
    Column("finals", "finals", "finals", None, "", lambda r: str(r.finals)),
    Column("reconnects", "reconn", "reconnects", None, "reconnects", lambda r: str(r.reconnects)),
)  # fmt: skip


def compare_lanes(
    group: LaneGroup, states: Iterable[SessionState], complete: Callable[[SessionState], bool]
) -> Comparison:
    """A lane group's figures from its streams' states (in lane order); ``complete`` says whether a lane heard
    its whole source (then the whole reference counts; while running, only what it has reached)."""
    by_name = {state.name: state for state in states}
    rows = [lane_row(group.lane_name(name), by_name[name], group.reference, complete(by_name[name]), group.truth)
            for name in group.streams if name in by_name]  # fmt: skip
    return compare(group.source, rows, group.reference_path)


def compare(source: str, rows: list[LaneRow], reference: str | None = None) -> Comparison:
    comparison = Comparison(source, reference, rows)
    for column in LOWER_IS_BETTER:
        values = {row.name: getattr(row, column) for row in rows if getattr(row, column) is not None}
        if len(values) >= 2 and len(set(values.values())) > 1:  # a best only where lanes differ
            best = min(values.values())
            comparison.best[column] = {name for name, value in values.items() if value == best}
    return comparison
