"""A Flux stream's turns: ``TurnInfo`` events in, the current turn, the ended ones and the turn metrics out.

Each turn becomes an utterance of the stream's transcript (the views, the exports and the printers read it as
they read Nova's): while a turn is open its transcript is the interim, updated in place; at ``EndOfTurn`` it
becomes a final line and a marker saying how the turn ended (trigger, eager, resumed).

The metrics are what voice-agent builders watch (see ``../shared/docs/deepgram-flux-protocol.md`` §4.3):

* end-of-turn latency in audio: the audio sent when EndOfTurn arrives minus the turn's last word end (turns
  the model or the timeout ended; a ForceEndTurn says nothing of detection);
* the same on the wall clock: EndOfTurn's arrival minus when the audio at that word end was sent;
* the gap from EagerEndOfTurn to EndOfTurn, and how often an eager end is taken back (TurnResumed);
* time to StartOfTurn (audio sent when it arrives minus the turn's first word start), the Update cadence
  in audio, EndOfTurn triggers and the end_of_turn_confidence at EndOfTurn.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dgtui.protocol.flux import EAGER_END_OF_TURN, END_OF_TURN, START_OF_TURN, TURN_EVENTS, TURN_RESUMED, TurnInfo
from dgtui.protocol.messages import Alternative, Channel, Results, Word
from dgtui.state.stats import Series
from dgtui.state.transcript import Transcript


@dataclass
class OpenTurn:
    index: int
    started_at: float  # clock time of StartOfTurn
    transcript: str = ""
    confidence: float = 0.0
    eager_at: float | None = None  # clock time of the standing EagerEndOfTurn
    eager_ever: bool = False
    resumed: int = 0


@dataclass
class TurnMetrics:
    eot_audio: Series = field(default_factory=Series)  # seconds of audio between last word end and EndOfTurn
    eot_wall: Series = field(default_factory=Series)  # wall seconds from sending that audio to EndOfTurn
    eager_to_eot: Series = field(default_factory=Series)
    start_of_turn: Series = field(default_factory=Series)
    update_cadence: Series = field(default_factory=Series)  # audio seconds between Updates
    eot_confidence: Series = field(default_factory=Series)
    triggers: Counter[str] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)

    @property
    def resumed_rate(self) -> float | None:
        eager = self.events[EAGER_END_OF_TURN]
        return self.events[TURN_RESUMED] / eager if eager else None

    def turns_per_minute(self, audio_seconds: float) -> float:
        return self.events[END_OF_TURN] / (audio_seconds / 60) if audio_seconds else 0.0

    def summary(self, audio_seconds: float) -> dict[str, Any]:
        def series(s: Series) -> dict[str, float | None]:
            summary = s.summary()
            return {
                key: None if math.isnan(value) else round(value, 4)
                for key, value in (("p50", summary.p50), ("p95", summary.p95), ("max", summary.max))
            }

        rate = self.resumed_rate
        return {
            "turns": self.events[END_OF_TURN],
            "end_of_turn_audio": series(self.eot_audio),
            "end_of_turn_wall": series(self.eot_wall),
            "eager_to_end_of_turn": series(self.eager_to_eot),
            "time_to_start_of_turn": series(self.start_of_turn),
            "update_cadence": series(self.update_cadence),
            "end_of_turn_confidence": series(self.eot_confidence),
            "resumed_rate": None if rate is None else round(rate, 3),
            "turns_per_minute": round(self.turns_per_minute(audio_seconds), 2),
            "triggers": dict(self.triggers),
            "events": dict(self.events),
        }


class Turns:
    def __init__(self, transcript: Transcript, sent_at: Callable[[float], float | None]) -> None:
        self.transcript = transcript
        self.sent_at = sent_at  # when the audio at a time went out (the stream's log)
        self.metrics = TurnMetrics()
        self.open: OpenTurn | None = None
        self.ended = 0
        self.committed = 0.0  # audio up to the last EndOfTurn: after a drop, the rest is sent again
        self.end_forced = False  # a ForceEndTurn was sent: a "no active turn" Warning is expected
        self.thresholds: dict[str, Any] = {}  # the turn thresholds the server last confirmed
        self.last_update_end: float | None = None

    def connection_opened(self) -> None:
        """A new connection counts turns from 0; a turn open at a drop is heard again from its audio."""
        self.open = None
        self.last_update_end = None

    def on_turn(self, message: TurnInfo, received_at: float, cursor: float) -> None:
        event = message.event
        self.metrics.events[event] += 1
        if event not in TURN_EVENTS:  # an Update (or an event this version does not know, read as one)
            if self.last_update_end is not None:
                self.metrics.update_cadence.add(message.audio_window_end - self.last_update_end)
            self.last_update_end = message.audio_window_end
        turn = self.open
        if event == START_OF_TURN or (turn is None and message.transcript and event != END_OF_TURN):
            turn = self.open = OpenTurn(message.turn_index, received_at)
            if event == START_OF_TURN and message.words and message.words[0].start is not None:
                self.metrics.start_of_turn.add(cursor - message.words[0].start)
        if turn is not None:
            turn.transcript, turn.confidence = message.transcript, message.end_of_turn_confidence
        if event == EAGER_END_OF_TURN and turn is not None:
            turn.eager_at, turn.eager_ever = received_at, True
        elif event == TURN_RESUMED and turn is not None:
            turn.eager_at = None
            turn.resumed += 1
        if event == END_OF_TURN:
            self._end(message, received_at, cursor)
        elif message.transcript:
            self.transcript.on_message(_as_results(message, final=False), received_at)

    def _end(self, message: TurnInfo, received_at: float, cursor: float) -> None:
        turn, self.open = self.open, None
        metrics = self.metrics
        metrics.triggers[message.trigger or "?"] += 1
        metrics.eot_confidence.add(message.end_of_turn_confidence)
        last_end = message.last_word_end
        if last_end is not None and message.trigger != "manual":  # a forced end says nothing of detection
            metrics.eot_audio.add(cursor - last_end)
            sent = self.sent_at(last_end)
            if sent is not None:
                metrics.eot_wall.add(received_at - sent)
        if turn is not None and turn.eager_at is not None:
            metrics.eager_to_eot.add(received_at - turn.eager_at)
        self.ended += 1
        self.committed = max(self.committed, message.audio_window_end)
        self.transcript.on_message(_as_results(message, final=True), received_at)
        marks = [f"EndOfTurn #{message.turn_index}", message.trigger or "?"]
        if turn is not None and turn.eager_ever:
            marks.append("after an eager end" if not turn.resumed else f"eager, resumed ×{turn.resumed}")
        marks.append(f"confidence {message.end_of_turn_confidence:.2f}")
        self.transcript.end_turn(0, " · ".join(marks))


def _as_results(message: TurnInfo, final: bool) -> Results:
    """A turn's state as the transcript takes a Nova result: its words over its audio window."""
    words = [
        Word(
            word=w.word,
            start=w.start if w.start is not None else message.audio_window_start,
            end=w.end if w.end is not None else message.audio_window_end,
            confidence=w.confidence,
            punctuated_word=w.word,
        )
        for w in message.words
    ]
    return Results(
        start=message.audio_window_start,
        duration=max(0.0, message.audio_window_end - message.audio_window_start),
        is_final=final,
        channel=Channel(alternatives=[Alternative(transcript=message.transcript, words=words)]),
    )
