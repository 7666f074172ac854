"""Transcript assembly on scripted message sequences."""

from __future__ import annotations

from dgtui.state.transcript import Transcript
from tests.support.messages import results, utterance_end


def test_interims_replace_each_other_and_finals_commit():
    t = Transcript()
    t.on_message(results("hello"))
    t.on_message(results("hello wor"))
    assert t.channel(0).interim.transcript == "hello wor"
    assert t.text() == ""
    t.on_message(results("hello world", is_final=True))
    assert t.channel(0).interim is None
    assert t.text() == "hello world"
    assert t.finals == 1


def test_finals_accumulate_until_speech_final():
    t = Transcript()
    assert t.on_message(results("the city council", is_final=True)) is None
    closed = t.on_message(results("met on tuesday", start=1, is_final=True, speech_final=True))
    assert closed is not None and closed.text == "the city council met on tuesday"
    assert closed.closed_by == "speech_final"
    assert [u.text for u in t.closed] == ["the city council met on tuesday"]


def test_utterance_end_closes_only_without_a_preceding_speech_final():
    t = Transcript()
    t.on_message(results("first turn", is_final=True, speech_final=True))
    assert t.on_message(utterance_end(0.2)) is None  # stale: speech_final already ended the turn
    t.on_message(results("second turn", start=2, is_final=True))
    closed = t.on_message(utterance_end(2.2))
    assert closed is not None and closed.text == "second turn" and closed.closed_by == "utterance_end"
    assert t.on_message(utterance_end(2.2)) is None  # nothing open any more
    assert t.utterance_count == 2


def test_empty_finals_do_not_make_utterances():
    t = Transcript()
    assert t.on_message(results("", is_final=True, speech_final=True)) is None
    assert t.utterance_count == 0


def test_channels_are_separate_and_speakers_kept():
    t = Transcript()
    t.on_message(results("left side", is_final=True, channel=(0, 2), speaker=0))
    t.on_message(results("right side", is_final=True, speech_final=True, channel=(1, 2), speaker=1))
    assert t.text(0) == "left side" and t.text(1) == "right side"
    assert t.closed[0].channel == 1 and t.closed[0].speakers == [1]
    finished = t.finish()
    assert [u.text for u in finished] == ["left side"] and finished[0].closed_by == "end"


def test_memory_is_bounded():
    t = Transcript(keep=10)
    for i in range(50):
        t.on_message(results(f"utterance {i}", start=i, is_final=True, speech_final=True))
    assert len(t.closed) == 10 and t.utterance_count == 50
    assert t.closed[-1].text == "utterance 49"
