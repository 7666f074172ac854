"""A Flux stream's turns from TurnInfo sequences alone: the open turn, eager ends taken back, each ended turn in the
transcript with how it ended, and the turn metrics voice-agent builders watch."""

from __future__ import annotations

import json

import pytest

from dgtui.protocol.flux import TurnInfo, decode_flux
from dgtui.state.transcript import Transcript
from dgtui.state.turns import Turns


def turn(event: str, words: list[tuple[str, float, float]], end: float, **extra: object) -> TurnInfo:
    message = decode_flux(json.dumps({
        "type": "TurnInfo", "event": event, "turn_index": extra.pop("index", 0),
        "audio_window_start": words[0][1] if words else 0.0, "audio_window_end": end,
        "transcript": " ".join(w for w, _, _ in words), "end_of_turn_confidence": extra.pop("confidence", 0.5),
        "words": [{"word": w, "start": s, "end": e, "confidence": 0.9} for w, s, e in words], **extra,
    }))  # fmt: skip
    assert isinstance(message, TurnInfo)
    return message


HELLO = [("hello", 0.5, 0.9), ("there", 1.0, 1.4)]


def turns() -> tuple[Turns, Transcript]:
    transcript = Transcript()
    return Turns(transcript, sent_at=lambda audio: 100.0 + audio), transcript  # audio went out at 100 s + its time


def test_a_turn_opens_updates_in_place_and_ends_as_a_final_with_how_it_ended():
    t, transcript = turns()
    t.on_turn(turn("StartOfTurn", HELLO[:1], 1.0), received_at=101.1, cursor=1.05)
    assert t.open is not None and t.open.transcript == "hello"
    assert transcript.interims() == ((0, 0.5, "hello"),)  # shown as the interim, replaced in place
    t.on_turn(turn("Update", HELLO, 1.5), received_at=101.6, cursor=1.55)
    assert transcript.interims() == ((0, 0.5, "hello there"),) and transcript.finals == 0
    t.on_turn(turn("EndOfTurn", HELLO, 2.0, trigger="model", confidence=0.91), received_at=102.2, cursor=2.1)
    assert t.open is None and t.ended == 1 and t.committed == 2.0
    assert transcript.text() == "hello there" and not transcript.interims()
    marker = [line for line in transcript.lines if line.kind == "end_of_turn"][-1]
    assert marker.text == "EndOfTurn #0 · model · confidence 0.91"


def test_the_end_of_turn_metrics_in_audio_and_on_the_wall_clock():
    t, _ = turns()
    t.on_turn(turn("StartOfTurn", HELLO[:1], 1.0), received_at=101.1, cursor=1.05)
    t.on_turn(turn("EndOfTurn", HELLO, 2.0, trigger="model"), received_at=102.3, cursor=2.2)
    metrics = t.metrics
    assert metrics.eot_audio.last == pytest.approx(2.2 - 1.4)  # audio sent at EndOfTurn minus the last word's end
    assert metrics.eot_wall.last == pytest.approx(102.3 - 101.4)  # arrival minus when that word end went out
    assert metrics.start_of_turn.last == pytest.approx(1.05 - 0.5)  # audio sent at StartOfTurn minus its first word
    assert metrics.triggers == {"model": 1} and metrics.events["EndOfTurn"] == 1
    assert metrics.summary(60.0)["turns_per_minute"] == 1.0


def test_an_eager_end_taken_back_counts_as_resumed_and_is_said_on_the_turn():
    t, transcript = turns()
    t.on_turn(turn("StartOfTurn", HELLO[:1], 1.0), received_at=101.0, cursor=1.0)
    t.on_turn(turn("EagerEndOfTurn", HELLO[:1], 1.3), received_at=101.3, cursor=1.3)
    t.on_turn(turn("TurnResumed", HELLO, 1.5), received_at=101.5, cursor=1.5)
    t.on_turn(turn("EagerEndOfTurn", HELLO, 1.8), received_at=101.8, cursor=1.8)
    t.on_turn(turn("EndOfTurn", HELLO, 2.0, trigger="model"), received_at=102.0, cursor=2.0)
    assert t.metrics.resumed_rate == pytest.approx(0.5)  # two eager ends, one taken back
    assert t.metrics.eager_to_eot.last == pytest.approx(0.2)  # from the standing eager end to EndOfTurn
    marker = [line for line in transcript.lines if line.kind == "end_of_turn"][-1]
    assert "eager, resumed ×1" in marker.text


def test_a_forced_end_says_nothing_of_detection():
    t, _ = turns()
    t.on_turn(turn("StartOfTurn", HELLO[:1], 1.0), received_at=101.0, cursor=1.0)
    t.on_turn(turn("EndOfTurn", HELLO, 1.5, trigger="manual"), received_at=101.6, cursor=1.6)
    assert t.metrics.eot_audio.count == 0 and t.metrics.eot_wall.count == 0  # ForceEndTurn: no detection latency
    assert t.metrics.triggers == {"manual": 1} and t.ended == 1


def test_updates_give_the_cadence_and_a_new_connection_forgets_the_open_turn():
    t, _ = turns()
    for end in (0.25, 0.5, 0.75):
        t.on_turn(turn("Update", [], end), received_at=100.0 + end, cursor=end)
    assert t.metrics.update_cadence.count == 2 and t.metrics.update_cadence.last == pytest.approx(0.25)
    t.on_turn(turn("StartOfTurn", HELLO[:1], 1.0), received_at=101.0, cursor=1.0)
    t.connection_opened()  # a drop: the turn is heard again from its audio on the next connection
    assert t.open is None and t.last_update_end is None
    t.on_turn(turn("Update", HELLO, 1.5), received_at=101.5, cursor=1.5)  # words without StartOfTurn open one
    assert t.open is not None and t.open.transcript == "hello there"


def test_an_unknown_event_is_read_as_an_update():
    t, transcript = turns()
    t.on_turn(turn("SomethingNew", HELLO, 1.5), received_at=101.5, cursor=1.5)
    assert t.metrics.events["SomethingNew"] == 1 and t.open is not None and transcript.interims()
