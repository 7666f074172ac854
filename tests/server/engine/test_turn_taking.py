"""Flux turn-taking on the local engine, without I/O: scripted recognizer results and audio ticks in, events out."""

from __future__ import annotations

import pytest

from dgtui.server.engine.turn_taking import FluxTurns, TurnSettings, confidence


def results(words: list[tuple[str, float, float]], *, final: bool, end: float) -> dict:
    return {
        "type": "Results",
        "is_final": final,
        "start": 0.0,
        "duration": end,
        "channel": {"alternatives": [{"words": [{"word": w, "start": s, "end": e} for w, s, e in words]}]},
    }


class Engine:
    """Collects events; its finalize turns the pending hypothesis into a final, as the recognizer does."""

    def __init__(self, **settings) -> None:
        self.events: list[dict] = []
        self.finalized = 0
        self.turns = FluxTurns(TurnSettings(**settings), self.events.append, self.finalize)
        self.hypothesis: list[tuple[str, float, float]] = []

    def finalize(self) -> None:
        self.finalized += 1
        words, self.hypothesis = self.hypothesis, []
        self.turns.results(results(words, final=True, end=words[-1][2] if words else 0.0))

    def hear(self, words, at):
        self.hypothesis = words
        self.turns.results(results(words, final=False, end=at))

    def kinds(self) -> list[str]:
        return [e["event"] for e in self.events if e["event"] != "Update"]


def test_confidence_grows_with_trailing_silence_and_never_reaches_one():
    assert confidence(0.0) == 0.0 and confidence(0.3) == pytest.approx(0.70, abs=0.01)
    assert confidence(0.75) == pytest.approx(0.95, abs=0.01) and confidence(60.0) == 0.99


def test_a_turn_starts_at_words_ends_at_the_threshold_and_updates_tick_every_quarter_second():
    engine = Engine(eot_threshold=0.7)
    engine.turns.audio(0.5, 0.0)
    assert [e["event"] for e in engine.events] == ["Update", "Update"]  # empty Updates before speech
    assert [e["transcript"] for e in engine.events] == ["", ""]
    engine.hear([("hello", 0.6, 0.9), ("there", 0.9, 1.2)], 1.25)
    engine.turns.audio(1.25, 1.2)
    engine.turns.audio(1.75, 1.2)  # silence: 0.699 at 1.5 (below 0.7), 0.75 at the next 50 ms step
    assert engine.kinds() == ["StartOfTurn", "EndOfTurn"]
    end = engine.events[-1]
    assert end["trigger"] == "model" and end["transcript"] == "hello there" and end["turn_index"] == 0
    assert end["end_of_turn_confidence"] >= 0.7 and engine.finalized == 1  # the engine's final words
    assert end["audio_window_end"] == 1.55 and end["audio_window_start"] == 0.6  # not held to the next tick
    ticks = [e["audio_window_end"] for e in engine.events if e["event"] == "Update"]
    assert ticks == [0.25, 0.5, 0.75, 1.0, 1.25, 1.5]  # the tick after the state change sends no Update
    engine.turns.audio(2.0, 1.2)
    after = [e for e in engine.events if e["event"] == "Update"][-1]
    assert after["turn_index"] == 1 and after["transcript"] == ""  # the index moved at once


def test_eager_then_resumed_then_end_carries_the_changed_transcript():
    engine = Engine(eot_threshold=0.9, eager_eot_threshold=0.4)
    engine.hear([("book", 0.1, 0.4), ("a", 0.4, 0.5)], 0.5)
    engine.turns.audio(0.75, 0.5)  # 0.25 s of silence: 0.63 passes eager 0.4, not 0.9
    assert engine.kinds() == ["StartOfTurn", "EagerEndOfTurn"]
    eager = engine.events[-1]["transcript"]
    engine.hear([("table", 0.8, 1.1)], 1.1)  # speech resumed: the speculative answer is wasted
    assert engine.kinds()[-1] == "TurnResumed"
    engine.turns.audio(2.0, 1.1)
    assert engine.kinds() == ["StartOfTurn", "EagerEndOfTurn", "TurnResumed", "EagerEndOfTurn", "EndOfTurn"]
    second_eager, end = [e for e in engine.events if e["event"] in ("EagerEndOfTurn", "EndOfTurn")][-2:]
    assert end["transcript"] == second_eager["transcript"] == "book a table" != eager


def test_timeout_and_force_end_and_no_turn_to_end():
    engine = Engine(eot_threshold=1.0, eot_timeout_ms=1000)  # 1.0: the model never ends a turn
    engine.hear([("wait", 0.1, 0.5)], 0.5)
    engine.turns.audio(1.25, 0.5)
    assert engine.kinds() == ["StartOfTurn"]
    engine.turns.audio(1.5, 0.5)
    assert engine.events[-1]["event"] == "EndOfTurn" and engine.events[-1]["trigger"] == "timeout"
    engine.hear([("now", 1.6, 1.9)], 2.0)
    assert engine.turns.force_end() and engine.events[-1]["trigger"] == "manual"
    assert not engine.turns.force_end()  # no active turn: the server answers with a Warning


def test_words_of_an_ended_turn_reported_late_are_not_a_new_turn():
    engine = Engine()
    engine.hear([("one", 0.1, 0.4)], 0.5)
    engine.turns.audio(1.0, 0.4)
    assert engine.kinds() == ["StartOfTurn", "EndOfTurn"]
    engine.turns.results(results([("one", 0.1, 0.4)], final=True, end=1.0))  # a late final for the same audio
    assert engine.kinds() == ["StartOfTurn", "EndOfTurn"]


def test_close_stream_sends_the_last_update_and_no_end_of_turn():
    engine = Engine()
    engine.hear([("still", 0.1, 0.4), ("talking", 0.4, 0.6)], 0.6)
    engine.turns.audio(0.6, 0.6)
    engine.turns.flush()
    assert engine.kinds() == ["StartOfTurn"] and engine.events[-1]["event"] == "Update"
    assert engine.events[-1]["transcript"] == "still talking"
