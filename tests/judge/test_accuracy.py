"""Word error rate and the normaliser, against hand-computed values on small fixed texts."""

from __future__ import annotations

import pytest

from dgtui.judge.accuracy import NORMALISER_VERSION, normalise, read_reference, word_errors


def test_the_normaliser_leaves_formatting_out_of_the_count():
    assert NORMALISER_VERSION == 1
    assert normalise("It'll reach 18 degrees, don't worry - 3.5 mm/h!") == [
        "it'll", "reach", "eighteen", "degrees", "don't", "worry", "three", "point", "five", "mm", "h"
    ]  # fmt: skip
    assert normalise("1,200 people") == ["one", "thousand", "two", "hundred", "people"]
    assert word_errors("Eighteen degrees today.", "18 degrees, today").errors == 0


@pytest.mark.parametrize(
    ("reference", "hypothesis", "complete", "expected"),
    [
        # ref 7 words: sat->sit (S), "the" and "today" missing (D, D): 3/7
        ("the cat sat on the mat today", "the cat sit on mat", True, (7, 1, 2, 0)),
        # still running: "today" (after the last word reached) is not spoken yet, so not deleted: 2/6
        ("the cat sat on the mat today", "the cat sit on mat", False, (6, 1, 1, 0)),
        # an extra word is an insertion: 1/3
        ("hello there friend", "hello out there friend", True, (3, 0, 0, 1)),
        # nothing heard yet: nothing to judge while running, everything deleted at the end
        ("one two three", "", False, (0, 0, 0, 0)),
        ("one two three", "", True, (3, 0, 3, 0)),
    ],
)
def test_word_errors_hand_computed(reference, hypothesis, complete, expected):
    errors = word_errors(reference, hypothesis, complete=complete)
    assert (errors.reference_words, errors.substitutions, errors.deletions, errors.insertions) == expected
    assert errors.wer == (sum(expected[1:]) / expected[0] if expected[0] else None)


def test_references_are_read_from_text_subtitles_and_json():
    srt = "1\n00:00:00,000 --> 00:00:01,000\nHello <i>there</i>\n\n2\n00:00:01,000 --> 00:00:02,000\nfriend\n"
    assert read_reference(srt, ".srt") == "Hello there friend"
    assert read_reference("WEBVTT\n\n00:00.000 --> 00:01.000\nHello there\n", ".vtt") == "Hello there"
    words = '{"words":[{"word":"hello","start":0.1,"end":0.4},{"punctuated_word":"There."}]}'
    assert read_reference(words, ".json") == "hello There."
    assert read_reference('{"text":"plain words"}', ".json") == "plain words"


def test_keyterms_hand_computed():
    from dgtui.judge.accuracy import keyterm_score

    reference = "Deepgram streams to the train line; the train line is new. Ask Deepgram."
    hypothesis = "deep gram streams to the train line the rain line is new ask Deepgram Deepgram"
    score = keyterm_score(["Deepgram", "train line"], reference, hypothesis)
    # Deepgram: 2 in the reference, 2 heard ("deep gram" is not it) -> 2 found; train line: 2 and 1 -> 1 found, 1 missed
    assert (score.true, score.false, score.missed) == (3, 0, 1)
    assert score.precision == 1.0 and score.recall == 0.75 and score.f1 == pytest.approx(6 / 7)
    extra = keyterm_score(["rain"], "no such word", "rain rain")
    assert (extra.true, extra.false, extra.missed, extra.precision, extra.recall) == (0, 2, 0, 0.0, None)


def test_latency_anchored_on_true_word_times_with_known_timings():
    """A stream whose audio goes out at known clock times and whose answers come at known times: the figures are
    the hand-computed differences, measured from the truth, not from the model's own timestamps."""
    import json as json_module

    from dgtui.judge.accuracy import anchored, emission, read_word_times, speech_bounds
    from dgtui.judge.compare import lane_row
    from dgtui.state.events import AudioSent, MessageReceived
    from dgtui.state.setup import Setup
    from dgtui.state.stream import StreamState

    truth = read_word_times(json_module.dumps({"words": [
        {"word": "hello", "start": 0.5, "end": 0.9}, {"word": "there", "start": 0.95, "end": 1.4},  # one stretch
        {"word": "again", "start": 3.0, "end": 3.5},  # after a 1.6 s pause: a second one
    ]}))  # fmt: skip
    assert speech_bounds(truth) == ([0.5, 3.0], [1.4, 3.5])
    state = StreamState(Setup("lane"), clock=lambda: 0.0)
    for step in range(1, 41):  # 100 ms of audio goes out every 100 ms, from clock 100.0
        state.apply(AudioSent("lane", 3200, step / 10, -20.0), 100.0 + step / 10)

    def result(start: float, end: float, text: str, final: bool, at: float) -> None:
        words = [{"word": w, "start": start, "end": end} for w in text.split()]
        raw = json_module.dumps({"type": "Results", "start": start, "duration": end - start, "is_final": final,
                                 "speech_final": final, "channel_index": [0, 1], "channel": {"alternatives": [
                                     {"transcript": text, "words": words}]}})  # fmt: skip
        state.apply(MessageReceived("lane", raw, cursor=None), at)

    result(0.0, 0.8, "hello", False, 100.95)  # first words of stretch 1: onset 0.5 went out at 100.5 -> 0.45 s
    result(0.0, 1.7, "hello there", True, 101.9)  # its end 1.4 went out at 101.4 -> 0.5 s
    result(1.7, 3.3, "again", False, 103.4)  # onset 3.0 went out at 103.0 -> 0.4 s
    result(1.7, 3.8, "again", True, 104.1)  # end 3.5 went out at 103.5 -> 0.6 s
    row = lane_row("lane", [state], "hello there again", complete=lambda _: True, truth=truth)
    assert row.speech_end == {"p50": 0.5, "p95": 0.6, "p99": 0.6}
    assert row.speech_end_by == {"speech_final": row.speech_end}  # no UtteranceEnd was asked for
    assert row.first_word == {"p50": 0.4, "p95": 0.45, "p99": 0.45}
    # each word counts from when the audio at its end went out (0.9 -> 100.9, 1.4 -> 101.4, 3.5 -> 103.5) to the
    # first words reaching its middle: shown at 100.95, 101.9 and 103.4 (before "again" had ended: -0.1 s) ...
    assert sorted(emission(truth, state.reach.text_seen.first_reaching, state.audio.sent_at)) == pytest.approx(
        [-0.1, 0.05, 0.5]
    )
    # ... and final at 101.9 (1.0 s after "hello" ended), 101.9 and 104.1
    assert sorted(emission(truth, state.reach.final_seen.first_reaching, state.audio.sent_at)) == pytest.approx(
        [0.5, 0.6, 1.0]
    )
    assert row.word_final == {"p50": 0.6, "p95": 1.0, "p99": 1.0}
    assert row.errors is not None and row.errors.wer == 0.0
    assert (
        anchored([9.0], list(state.reach.speech_ends), state.audio.sent_at) == []
    )  # audio never sent: nothing to measure
