"""Metric formulas against hand-computed values."""

from __future__ import annotations

import pytest

from dgtui.state.metrics import SessionMetrics, words_changed
from tests.support.messages import results, utterance_end


def test_words_changed():
    assert words_changed(["a", "b", "c"], ["a", "x", "c", "d"]) == 1
    assert words_changed(["a", "b", "c"], ["a"]) == 2
    assert words_changed([], ["a"]) == 0


def test_latency_ttft_end_of_turn_and_corrections():
    m = SessionMetrics()
    m.on_audio(3200, 0.1, now=100.0)  # first audio at t=100
    m.on_audio(3200 * 9, 1.0, now=101.0)
    # interim covering [0, 0.75) arrives with 1.0 s of audio sent: latency 0.25 s
    m.on_message(results("", start=0.0, duration=0.75), received_at=101.0, cursor=1.0)
    m.on_message(results("the city", start=0.0, duration=1.2), received_at=101.5, cursor=1.5)
    m.on_message(results("the city cancel", start=0.0, duration=1.6), received_at=102.0, cursor=1.9)
    m.on_message(results("the city council met", start=0.0, duration=2.0), received_at=102.3, cursor=2.4)
    m.on_message(
        results("the city council met", start=0.0, duration=2.2, is_final=True, speech_final=True),
        received_at=102.9,
        cursor=3.0,
    )
    assert m.latency.summary().count == 4
    assert [round(v, 3) for v in m.latency.recent] == [0.25, 0.3, 0.3, 0.4]
    assert m.final_latency.last == pytest.approx(0.8)
    assert m.ttft == pytest.approx(1.5)  # first non-empty transcript at 101.5, audio began at 100
    assert m.end_of_turn.last == pytest.approx(0.6)  # last interim with words 102.3 -> speech_final 102.9
    assert m.corrections == 1  # "cancel" -> "council"
    assert m.messages["Results"] == 5
    assert m.interims_per_audio_second == pytest.approx(4 / 1.0)  # 4 interims, 1.0 s of audio sent


def test_utterance_end_closes_a_turn_without_speech_final():
    m = SessionMetrics()
    m.on_audio(100, 0.1, now=0.0)
    m.on_message(results("hello there", duration=1.0), received_at=1.0, cursor=1.2)
    m.on_message(results("hello there", duration=1.1, is_final=True), received_at=1.4, cursor=1.6)
    m.on_message(utterance_end(1.0), received_at=2.5, cursor=2.7)
    assert m.end_of_turn.last == pytest.approx(1.5)
    m.on_message(utterance_end(1.0), received_at=3.0, cursor=3.2)  # stale: no new words
    assert len(m.end_of_turn) == 1
    assert m.messages["UtteranceEnd"] == 2


def test_the_latency_timeline_keeps_a_mean_and_a_high_per_bucket_of_audio_and_the_reconnects():
    from dgtui.state.metrics import LatencyTimeline

    timeline = LatencyTimeline(keep=3)
    for audio, value in ((0.5, 0.1), (2.0, 0.3), (5.5, 0.2), (11.0, 0.4), (16.0, 0.5), (21.0, float("nan")),
                         (26.0, 0.6)):  # fmt: skip
        timeline.add("interim", audio, value)
    timeline.mark_reconnect(12.0)
    points = timeline.points("interim")
    assert points[0] == (5.0, 0.2, 0.2) and len(points) == 4  # 3 closed kept, then the one filling
    assert points[-1] == (25.0, 0.6, 0.6) and list(timeline.reconnects) == [12.0]
    timeline = LatencyTimeline()
    timeline.add("final", 1.0, 0.1)
    timeline.add("final", 2.0, 0.3)
    assert timeline.points("final") == [(0.0, 0.2, 0.3)] and timeline.points("end_of_turn") == []
