"""The local engine's formatting, as close to Deepgram's as rules can make it: ``punctuate``, ``numerals`` and
``smart_format``. No I/O; words in, words out.

pocketsphinx hears lowercase words with no punctuation. Deepgram's ``smart_format`` implies punctuation and
writes numbers, ordinals, money, percentages, years and times as people write them, with proper names cased;
``numerals`` writes numbers only. The numbers come from text2num's ``alpha2digit`` (a well-kept inverse text
normaliser); what is written here is the rest: Deepgram's own forms ("25%", "$5.50", "3:30 PM", "1999"), the
casing of days and months, sentence breaks at the pauses inside one final, and the word timings: when several
spoken words become one token, the token runs from the first one's start to the last one's end.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from text_to_num import alpha2digit

Word = dict[str, Any]  # "word", "start", "end", "confidence" (and "punctuated_word" once punctuated)

SENTENCE_PAUSE_S = 0.25  # a pause this long between two words of one final ends a sentence
DAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
MONTHS = {"january", "february", "april", "june", "july", "september", "october", "november", "december"}
AMBIGUOUS_MONTHS = {"march", "may", "august"}  # cased only beside a number ("march 3", "the 21st of may")
_NUMBER = re.compile(r"^\d+(\.\d+)?$")
_ORDINAL = re.compile(r"^\d+(st|nd|rd|th)$")


@dataclass(frozen=True, slots=True)
class Formatting:
    """What a stream's options ask of the words."""

    punctuate: bool = False  # sentence case, "I", full stops
    numbers: bool = False  # numerals (and smart_format): spoken numbers as digits
    smart: bool = False  # smart_format: Deepgram's forms of money, percent, times, years; names cased

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> Formatting:
        smart = bool(options.get("smart_format"))
        return cls(
            punctuate=bool(options.get("punctuate") or smart or options.get("dictation")),
            numbers=bool(options.get("numerals") or smart),
            smart=smart,
        )


NO_FORMATTING = Formatting()


def _merged(words: list[Word], text: str) -> Word:
    """Several words as one token: its span is theirs, its confidence the weakest."""
    return {**words[0], "word": text, "end": words[-1]["end"],
            "confidence": min(w["confidence"] for w in words)}  # fmt: skip


def to_digits(words: list[Word]) -> list[Word]:
    """Spoken numbers as digits (alpha2digit), each token keeping the times of the words it came from."""
    spoken = [w["word"] for w in words]
    written = alpha2digit(" ".join(spoken), "en").split()
    if written == spoken:
        return words
    out: list[Word] = []
    matcher = difflib.SequenceMatcher(None, spoken, written, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out += words[i1:i2]
        elif op in ("replace", "insert") and i2 > i1:
            group, tokens = words[i1:i2], written[j1:j2]
            for k, token in enumerate(tokens):  # each token takes its share of the words, in order
                first, last = i1 + k * len(group) // len(tokens), i1 + (k + 1) * len(group) // len(tokens)
                out.append(_merged(words[first : max(last, first + 1)], token))
        # "delete": words alpha2digit dropped ("and" inside "a hundred and twenty") live on in the merged token
    return out


def _is_number(token: str) -> bool:
    return bool(_NUMBER.match(token))


Rule = Callable[[list[Word], int], tuple[int, str] | None]  # at i: how many tokens become what text


def _percent(tokens: list[Word], i: int) -> tuple[int, str] | None:
    if _is_number(tokens[i]["word"]) and i + 1 < len(tokens) and tokens[i + 1]["word"] == "percent":
        return 2, tokens[i]["word"] + "%"
    return None


def _money(tokens: list[Word], i: int) -> tuple[int, str] | None:
    text = [t["word"] for t in tokens[i : i + 5]]
    if not (len(text) >= 2 and _is_number(text[0]) and text[1] in ("dollar", "dollars")):
        return None
    cents = len(text) >= 5 and text[2] == "and" and text[3].isdigit() and text[4] in ("cent", "cents")
    if cents and int(text[3]) < 100:
        return 5, f"${text[0]}.{int(text[3]):02d}"
    return 2, f"${text[0]}"


def _clock(tokens: list[Word], i: int) -> tuple[int, str] | None:
    text = [t["word"] for t in tokens[i : i + 3]]
    if not (text and text[0].isdigit() and 1 <= int(text[0]) <= 12):
        return None
    if len(text) >= 3 and text[1].isdigit() and len(text[1]) == 2 and int(text[1]) < 60 and text[2] in ("am", "pm"):
        return 3, f"{text[0]}:{text[1]} {text[2].upper()}"
    if len(text) >= 2 and text[1] in ("am", "pm"):
        return 2, f"{text[0]} {text[1].upper()}"
    return None


def _year(tokens: list[Word], i: int) -> tuple[int, str] | None:
    """ "nineteen ninety nine" reads "19 99" to alpha2digit: a year."""
    text = [t["word"] for t in tokens[i : i + 2]]
    if len(text) == 2 and all(x.isdigit() and len(x) == 2 for x in text) and 10 <= int(text[0]) <= 20:
        return 2, text[0] + text[1]
    return None


SMART_RULES: tuple[Rule, ...] = (_money, _percent, _clock, _year)


def smart_forms(tokens: list[Word]) -> list[Word]:
    """Deepgram's written forms over the digits: money, percent, times of day, years."""
    out: list[Word] = []
    i = 0
    while i < len(tokens):
        for rule in SMART_RULES:
            found = rule(tokens, i)
            if found is not None:
                count, text = found
                out.append(_merged(tokens[i : i + count], text))
                i += count
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


def _beside_number(tokens: list[Word], i: int) -> bool:
    near = [tokens[j]["word"] for j in (i - 1, i - 2, i + 1) if 0 <= j < len(tokens)]
    return any(_is_number(w) or _ORDINAL.match(w) for w in near)


def cased(tokens: list[Word], i: int) -> str:
    """A token as smart_format writes it: days and months capitalized ("may" and "march" beside a number)."""
    word = tokens[i]["word"]
    if word in DAYS or word in MONTHS or (word in AMBIGUOUS_MONTHS and _beside_number(tokens, i)):
        return word.capitalize()
    return word


def _capitalize(word: str) -> str:
    return word[:1].upper() + word[1:]


def punctuate(tokens: list[Word], *, smart: bool, open_before: bool, closes: bool) -> None:
    """``punctuated_word`` for every token: "I", sentence case (unless a final without ``speech_final`` left
    the sentence open), a full stop at a pause of :data:`SENTENCE_PAUSE_S` and at the end of an utterance."""
    for i, token in enumerate(tokens):
        text = cased(tokens, i) if smart else token["word"]
        token["punctuated_word"] = "I" + text[1:] if text == "i" or text.startswith("i'") else text
    if not tokens:
        return
    if not open_before:
        tokens[0]["punctuated_word"] = _capitalize(tokens[0]["punctuated_word"])
    for before, after in pairwise(tokens):
        if after["start"] - before["end"] >= SENTENCE_PAUSE_S:
            before["punctuated_word"] += "."
            after["punctuated_word"] = _capitalize(after["punctuated_word"])
    if closes:
        tokens[-1]["punctuated_word"] += "."


def format_words(words: list[Word], formatting: Formatting, *, open_before: bool, closes: bool) -> list[Word]:
    """A result's words as the options ask: digits, Deepgram's forms, punctuation; ``transcript`` is then the
    ``punctuated_word`` joined (or ``word`` without punctuation), so the two always agree."""
    tokens = [dict(w) for w in words]
    if formatting.numbers:
        tokens = to_digits(tokens)
    if formatting.smart:
        tokens = smart_forms(tokens)
    if formatting.punctuate:
        punctuate(tokens, smart=formatting.smart, open_before=open_before, closes=closes)
    return tokens


def transcript_of(words: list[Word], formatting: Formatting) -> str:
    key = "punctuated_word" if formatting.punctuate else "word"
    return " ".join(w[key] for w in words)
