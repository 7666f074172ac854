"""Word error rate and the normaliser, against hand-computed values on small fixed texts."""

from __future__ import annotations

import pytest

from dgtui.session.accuracy import NORMALISER_VERSION, normalise, read_reference, word_errors


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
