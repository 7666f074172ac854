"""Finals lined up across lanes by time, their words marked against the reference, who finalized first."""

from __future__ import annotations

import json

import pytest

from dgtui.judge.alignment import MarkedWord, align, mark_words
from dgtui.state.events import MessageReceived
from dgtui.state.setup import Setup
from dgtui.state.stream import StreamState


def test_words_as_shown_are_marked_against_the_base() -> None:
    marked = mark_words("the cat sat on the mat", ["The", "big", "cat", "sit", "on", "mat."], complete=True)
    assert marked.words == (
        MarkedWord("The"), MarkedWord("big", "insert"), MarkedWord("cat"), MarkedWord("sit", "substitute"),
        MarkedWord("on"), MarkedWord("mat.", "equal", "the"),
    )  # fmt: skip
    assert marked.missing_after == ""
    assert all(w.kind == "equal" for w in mark_words("eighteen degrees", ["18", "degrees."], complete=True).words)
    assert mark_words("the cat sat on the mat", ["the", "cat"], complete=True).missing_after == "sat on the mat"
    running = mark_words("the cat sat on the mat", ["the", "cat"], complete=False)
    assert running.missing_after == "" and all(w.kind == "equal" for w in running.words)  # not spoken yet


def lane(name: str, finals: list[tuple[float, float, str, float]]) -> StreamState:
    state = StreamState(Setup(name), clock=lambda: 0.0)
    for start, end, text, at in finals:
        tokens = text.split()
        step = (end - start) / len(tokens)
        words = [{"word": t.lower().strip("."), "punctuated_word": t, "start": start + i * step,
                  "end": start + (i + 1) * step} for i, t in enumerate(tokens)]  # fmt: skip
        raw = json.dumps(
            {
                "type": "Results",
                "start": start,
                "duration": end - start,
                "is_final": True,
                "channel_index": [0, 1],
                "channel": {"alternatives": [{"transcript": text, "words": words}]},
            }
        )
        state.apply(MessageReceived(name, raw, cursor=None), at)
    return state


def test_finals_are_lined_up_by_time_and_the_first_to_finalize_is_known() -> None:
    fast = lane("x/fast", [(0.5, 1.5, "Hello there.", 10.2), (3.0, 4.0, "Good morning.", 12.1)])
    slow = lane("x/slow", [(0.5, 1.0, "Hello", 10.4), (1.0, 1.5, "bear.", 10.9), (3.0, 4.0, "Good morning.", 12.0)])
    segments = align([fast, slow], "hello there good morning", None, complete=lambda _: True)
    assert [(s.start, s.end) for s in segments] == [(0.5, 1.5), (3.0, 4.0)]  # the finals' stretches
    first, second = segments
    assert [w.text for w in first.lanes[1].words] == ["Hello", "bear."]
    assert first.lanes[1].words[1].kind == "substitute" and first.lanes[0].words[1].kind == "equal"
    assert first.lanes[0].behind == 0.0 and first.lanes[1].behind == pytest.approx(0.7)  # its last final: 10.9
    assert second.lanes[1].behind == 0.0 and second.lanes[0].behind == pytest.approx(0.1)


def test_with_word_times_the_segments_are_the_references_stretches() -> None:
    truth = (("hello", 0.5, 0.9), ("there", 0.95, 1.4), ("good", 3.0, 3.4), ("morning", 3.45, 3.9))
    fast = lane("x/fast", [(0.5, 1.5, "Hello there.", 10.2), (3.0, 4.0, "Good morning.", 12.1)])
    slow = lane("x/slow", [(0.4, 4.0, "Hello there good", 12.5)])  # one final over both: its middle is in the first
    segments = align([fast, slow], None, truth, complete=lambda _: True)  # no text: the first lane is the base
    assert [s.reference for s in segments] == ["hello there", "good morning"]
    assert [w.text for w in segments[0].lanes[1].words] == ["Hello", "there", "good"]
    assert segments[0].lanes[1].behind == pytest.approx(2.3)
    assert segments[1].lanes[1].final_at is None and segments[1].lanes[1].words == [
        MarkedWord("", "equal", "morning")]  # fmt: skip
