"""The local engine's formatting rules on small texts (numbers, ordinals, money, percent, years, times, casing,
sentence breaks), each token keeping the times of the words it came from; and smart_format and numerals
through the real server."""

from __future__ import annotations

from itertools import pairwise

import pytest

from dgtui.server.engine.formatting import Formatting, format_words, transcript_of

SMART = Formatting.from_options({"smart_format": True})
NUMERALS = Formatting.from_options({"numerals": True})


def spoken(text: str, gap_after: dict[int, float] | None = None) -> list[dict]:
    """Words 0.3 s long, 0.05 s apart (or ``gap_after[i]`` after word i)."""
    words, t = [], 0.0
    for i, word in enumerate(text.split()):
        words.append({"word": word, "start": round(t, 3), "end": round(t + 0.3, 3), "confidence": 0.9 - i / 100})
        t += 0.35 + (gap_after or {}).get(i, 0.0)
    return words


def smart(text: str, **kwargs) -> str:  # type: ignore[no-untyped-def]
    words = format_words(spoken(text, kwargs.pop("gaps", None)), SMART, open_before=False, closes=True, **kwargs)
    return transcript_of(words, SMART)


@pytest.mark.parametrize(
    ("said", "written"),
    [
        ("temperatures will reach eighteen degrees", "Temperatures will reach 18 degrees."),
        ("the twenty first of march", "The 21st of March."),  # an ordinal; march beside a number is a month
        ("we will march on", "We will march on."),  # not a month
        ("see you on tuesday", "See you on Tuesday."),
        ("the meeting is in january", "The meeting is in January."),
        ("it costs five dollars and fifty cents", "It costs $5.50."),
        ("a ticket is twenty dollars", "A ticket is $20."),
        ("prices rose twenty five percent", "Prices rose 25%."),
        ("meet me at three thirty pm", "Meet me at 3:30 PM."),
        ("the bus leaves at seven am", "The bus leaves at 7 AM."),
        ("it was built in nineteen ninety nine", "It was built in 1999."),
        ("in two thousand and twenty six", "In 2026."),
        ("add zero point five grams", "Add 0.5 grams."),
        ("i think i'm right", "I think I'm right."),
        ("one apple", "One apple."),  # an isolated small number stays a word, as Deepgram writes it
    ],
)
def test_smart_format_writes_what_people_write(said, written):
    assert smart(said) == written


def test_a_merged_token_spans_its_words_and_punctuated_word_agrees_with_the_transcript():
    words = format_words(spoken("it costs five dollars and fifty cents today"), SMART, open_before=False, closes=True)
    assert [w["word"] for w in words] == ["it", "costs", "$5.50", "today"]
    money = words[2]
    assert (money["start"], money["end"]) == (0.7, 2.4)  # from "five" to "cents"
    assert money["confidence"] == pytest.approx(0.84)  # the weakest of its words ("cents")
    assert " ".join(w["punctuated_word"] for w in words) == transcript_of(words, SMART) == "It costs $5.50 today."
    assert all(a["end"] <= b["start"] for a, b in pairwise(words))


def test_numerals_write_numbers_only():
    words = format_words(spoken("see you on tuesday at three thirty pm with twenty people"), NUMERALS,
                         open_before=False, closes=True)  # fmt: skip
    assert transcript_of(words, NUMERALS) == "see you on tuesday at 3 30 pm with 20 people"


def test_a_long_pause_inside_one_final_ends_a_sentence_and_an_open_one_stays_open():
    said = "the rain stops tonight tomorrow will be dry"
    assert smart(said, gaps={3: 0.3}) == "The rain stops tonight. Tomorrow will be dry."
    assert smart(said, gaps={3: 0.1}) == "The rain stops tonight tomorrow will be dry."
    words = format_words(spoken("and then more"), SMART, open_before=True, closes=False)
    assert transcript_of(words, SMART) == "and then more"  # a sentence left open by the final before


async def test_smart_format_and_numerals_through_the_server(server):
    from tests.support.audio import clip_pcm
    from tests.support.client import stream

    query = "encoding=linear16&sample_rate=16000&endpointing=300"
    forecast = clip_pcm("weather")[32000 * 17 : 32000 * 22]  # "... falling to around ten degrees"
    meeting = clip_pcm("council")[: 32000 * 4]  # "The city council met on Tuesday ..."
    smart_run = await stream(server.url, forecast, query + "&smart_format=true", realtime=False)
    plain_run = await stream(server.url, forecast, query, realtime=False)
    numerals = await stream(server.url, meeting, query + "&numerals=true", realtime=False)
    council = await stream(server.url, meeting, query + "&smart_format=true", realtime=False)
    assert "ten degrees" in plain_run.transcript() and "10 degrees." in smart_run.transcript(), smart_run.transcript()
    assert "Tuesday" in council.transcript() and "tuesday" in numerals.transcript()
    for run in (smart_run, council):
        for final in run.finals:
            alternative = final["channel"]["alternatives"][0]
            joined = " ".join(w["punctuated_word"] for w in alternative["words"])
            assert joined == alternative["transcript"]
            assert all(w["start"] < w["end"] for w in alternative["words"])
