"""The reach log (how far the words shown reached, and when) and the end-of-speech signals per kind."""

from __future__ import annotations

import json

from dgtui.judge.compare import lane_row
from dgtui.state.events import AudioSent, MessageReceived
from dgtui.state.reach import ReachLog, RisingLog, SpeechEnd, SpeechEnds
from dgtui.state.setup import Setup
from dgtui.state.stream import StreamState


def test_the_log_keeps_only_forward_steps_and_answers_by_halves() -> None:
    log = ReachLog(maxlen=3)
    for reach, arrival in ((1.0, 10.0), (0.8, 10.5), (2.0, 11.0), (2.0, 11.5), (3.0, 12.0)):
        log.add(reach, arrival)
    assert list(log) == [(1.0, 10.0), (2.0, 11.0), (3.0, 12.0)]  # a step back or in place is no news
    assert log.first_reaching(0.2) == 10.0
    assert log.first_reaching(1.5) == 11.0
    assert log.first_reaching(3.5) is None  # not reached yet
    log.add(4.0, 13.0)  # full: the oldest goes, and what it answered is no longer known
    assert log.dropped and log.first_reaching(0.2) is None
    assert log.first_reaching(2.5) == 12.0


def test_the_ring_keeps_the_newest_pairs_in_order_after_going_round_many_times() -> None:
    log = RisingLog(4)
    went = [log.append(float(key), key * 10.0) for key in range(11)]
    assert went == [False] * 4 + [True] * 7
    assert list(log) == [(7.0, 70.0), (8.0, 80.0), (9.0, 90.0), (10.0, 100.0)]
    assert (log.key(0), log.key(-1), len(log)) == (7.0, 10.0, 4)
    assert [log.first_at_or_past(key) for key in (0.0, 7.5, 9.0, 10.0, 10.5)] == [70.0, 80.0, 90.0, 100.0, None]
    assert RisingLog(3).first_at_or_past(1.0) is None


def test_the_speech_ends_keep_the_newest_signals_with_their_names() -> None:
    ends = SpeechEnds(3)
    signals = ["speech_final", "UtteranceEnd", "EagerEndOfTurn", "EndOfTurn", "speech_final"]
    for n, signal in enumerate(signals):
        ends.append(n + 0.5, n + 10.0, signal)
    assert len(ends) == 3
    assert list(ends) == [SpeechEnd(2.5, 12.0, "EagerEndOfTurn"), SpeechEnd(3.5, 13.0, "EndOfTurn"),
                          SpeechEnd(4.5, 14.0, "speech_final")]  # fmt: skip
    assert list(SpeechEnds(2)) == []


def test_a_flux_lane_has_its_eager_and_final_ends_of_turn_apart() -> None:
    state = StreamState(Setup("flux", api="v2"), clock=lambda: 0.0)
    for step in range(1, 31):  # 100 ms of audio goes out every 100 ms, from clock 100.0
        state.apply(AudioSent("flux", 3200, step / 10, -20.0), 100.0 + step / 10)

    def turn(event: str, end: float, at: float, words: list[tuple[str, float, float]]) -> None:
        raw = json.dumps({"type": "TurnInfo", "event": event, "turn_index": 0, "audio_window_start": 0.0,
                          "audio_window_end": end, "transcript": " ".join(w for w, _, _ in words),
                          "words": [{"word": w, "start": s, "end": e, "confidence": 0.9}
                                    for w, s, e in words]})  # fmt: skip
        state.apply(MessageReceived("flux", raw, cursor=None), at)

    words = [("hello", 0.5, 0.9), ("there", 0.95, 1.4)]
    truth = tuple(words)
    turn("StartOfTurn", 1.0, 101.2, words[:1])  # "hello" shown: its end went out at 100.9 -> 0.3 s
    turn("EagerEndOfTurn", 1.6, 101.7, words)  # true end of speech 1.4 went out at 101.4 -> 0.3 s
    turn("EndOfTurn", 2.0, 102.2, words)  # -> 0.8 s; the turn's words are final here
    row = lane_row("flux", [state], "hello there", complete=lambda _: True, truth=truth)
    assert row.speech_end == {"p50": 0.8, "p95": 0.8, "p99": 0.8}  # the eager end does not close a turn
    assert row.speech_end_by["EagerEndOfTurn"]["p50"] == 0.3
    assert row.speech_end_by["EndOfTurn"] == row.speech_end
    assert row.word_shown is not None and row.word_shown["p50"] == 0.3  # hello 0.3 s, there 101.7 - 101.4
    assert row.word_final == {"p50": 0.8, "p95": 1.3, "p99": 1.3}  # both final at 102.2: 1.3 and 0.8 s
