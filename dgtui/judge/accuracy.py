"""Word error rate against a reference transcript, with a documented, versioned English normaliser.

Alignment and counting are jiwer's. What dgtui adds:

* the normaliser (version :data:`NORMALISER_VERSION`): lower case; numbers as words ("18" -> "eighteen",
  "3.5" -> "three point five", num2words); hyphens and slashes as spaces; punctuation removed, apostrophes
  inside words kept ("don't"); whitespace collapsed. So "18 degrees." and "Eighteen degrees" are the same
  words, and formatting (punctuation, casing, numerals) never counts as an error;
* coverage: while a stream runs, the reference words after the last one it has reached are not yet spoken,
  so they are not counted as deleted. At the end of a stream that covered its whole source, all are.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import jiwer
from num2words import num2words

NORMALISER_VERSION = 1
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_SEPARATORS = re.compile(r"[-/–—]")
_PUNCTUATION = re.compile(r"[^\w\s']|(?<!\w)'|'(?!\w)")


def _spoken(match: re.Match[str]) -> str:
    text = match.group(0).replace(",", "")
    try:
        return " " + num2words(float(text) if "." in text else int(text)) + " "
    except (ValueError, OverflowError):
        return f" {text} "


def normalise(text: str) -> list[str]:
    """The words of ``text`` as they are compared (see the module's rules)."""
    text = _NUMBER.sub(_spoken, text.lower())
    text = _SEPARATORS.sub(" ", text)
    text = _PUNCTUATION.sub(" ", text)
    return text.split()


@dataclass(frozen=True)
class WordErrors:
    reference_words: int  # the reference words compared (those covered so far)
    substitutions: int
    deletions: int
    insertions: int

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def wer(self) -> float | None:
        return self.errors / self.reference_words if self.reference_words else None

    def __add__(self, other: WordErrors) -> WordErrors:
        """Errors pooled over several runs of the same lane (``dgtui bench --streams N``)."""
        return WordErrors(self.reference_words + other.reference_words, self.substitutions + other.substitutions,
                          self.deletions + other.deletions, self.insertions + other.insertions)  # fmt: skip

    def as_dict(self) -> dict[str, float | int | None]:
        wer = None if self.wer is None else round(self.wer, 4)
        return {"wer": wer, "reference_words": self.reference_words, "substitutions": self.substitutions,
                "deletions": self.deletions, "insertions": self.insertions}  # fmt: skip


@functools.lru_cache(maxsize=64)
def word_errors(reference: str, hypothesis: str, *, complete: bool = True) -> WordErrors:
    """Errors of ``hypothesis`` against ``reference``; ``complete=False``: only the reference up to the last
    word the hypothesis reached counts (the rest has not been spoken yet).

    A live view asks twice a second; the answer changes only when a final does (the text is the finals), so
    answers are kept. While running, the alignment stops a little past where the hypothesis can have reached
    (twice its length, and 50 words), so a long reference does not cost for the part not spoken yet."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    if not complete:
        ref = ref[: 2 * len(hyp) + 50]
    if not ref:
        return WordErrors(0, 0, 0, len(hyp))
    if not hyp:
        return WordErrors(len(ref) if complete else 0, 0, len(ref) if complete else 0, 0)
    result = jiwer.process_words(" ".join(ref), " ".join(hyp))
    chunks = result.alignments[0]
    covered = len(ref)
    if not complete:  # trailing deletions are audio not yet spoken
        reached = [c.ref_end_idx for c in chunks if c.type in ("equal", "substitute")]
        covered = max(reached, default=0)
    subs = dels = ins = 0
    for chunk in chunks:
        if chunk.ref_start_idx >= covered and chunk.type != "insert":
            continue
        if chunk.type == "substitute":
            subs += chunk.ref_end_idx - chunk.ref_start_idx
        elif chunk.type == "delete":
            dels += min(chunk.ref_end_idx, covered) - chunk.ref_start_idx
        elif chunk.type == "insert":
            ins += chunk.hyp_end_idx - chunk.hyp_start_idx
    return WordErrors(covered, subs, dels, ins)


@dataclass(frozen=True)
class KeytermScore:
    """How a lane's keyterms came out: found where the reference has them (true), heard where it has not
    (false), missed where it has them."""

    true: int
    false: int
    missed: int

    @property
    def precision(self) -> float | None:
        return self.true / (self.true + self.false) if self.true + self.false else None

    @property
    def recall(self) -> float | None:
        return self.true / (self.true + self.missed) if self.true + self.missed else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p and r else None

    def __add__(self, other: KeytermScore) -> KeytermScore:
        return KeytermScore(self.true + other.true, self.false + other.false, self.missed + other.missed)

    def as_dict(self) -> dict[str, float | None]:
        figures = (("precision", self.precision), ("recall", self.recall), ("f1", self.f1))
        return {key: None if value is None else round(value, 4) for key, value in figures}


def _count(words: list[str], phrase: list[str]) -> int:
    size = len(phrase)
    return sum(1 for i in range(len(words) - size + 1) if words[i : i + size] == phrase) if size else 0


def keyterm_score(keyterms: list[str], reference: str, hypothesis: str) -> KeytermScore:
    """Each keyterm (a word or a phrase, normalised as the texts are) counted in the reference and in the
    hypothesis: the smaller count is found, the hypothesis's excess false, the reference's excess missed."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    true = false = missed = 0
    for term in keyterms:
        phrase = normalise(term)
        in_ref, in_hyp = _count(ref, phrase), _count(hyp, phrase)
        true += min(in_ref, in_hyp)
        false += max(0, in_hyp - in_ref)
        missed += max(0, in_ref - in_hyp)
    return KeytermScore(true, false, missed)


def diff_words(reference: str, hypothesis: str) -> list[tuple[str, str, str]]:
    """The word-level diff of two texts (normalised): ``(kind, reference words, hypothesis words)`` with kind
    ``equal``, ``substitute``, ``delete`` or ``insert``."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    if not ref or not hyp:
        return [("delete", " ".join(ref), "")] if ref else [("insert", "", " ".join(hyp))] if hyp else []
    result = jiwer.process_words(" ".join(ref), " ".join(hyp))
    return [(c.type, " ".join(ref[c.ref_start_idx : c.ref_end_idx]), " ".join(hyp[c.hyp_start_idx : c.hyp_end_idx]))
            for c in result.alignments[0]]  # fmt: skip


TimedWord = tuple[str, float, float]  # (word, start, end) in seconds of the source's audio
When = Callable[[float], float | None]  # a moment of the audio -> when something happened to it (None: unknown)
PAUSE_S = 0.3  # a gap this long between two true words ends one stretch of speech and starts the next


def read_word_times(text: str) -> tuple[TimedWord, ...] | None:
    """True word times from a JSON reference (``words`` with ``start`` and ``end``), or None."""
    import json

    try:
        data = json.loads(text)
    except ValueError:
        return None
    words = data.get("words") if isinstance(data, dict) else data
    if not isinstance(words, list):
        return None
    timed = tuple(
        (str(w.get("punctuated_word") or w.get("word", "")), float(w["start"]), float(w["end"]))
        for w in words
        if isinstance(w, dict) and isinstance(w.get("start"), int | float) and isinstance(w.get("end"), int | float)
    )
    return timed or None


def speech_bounds(words: tuple[TimedWord, ...]) -> tuple[list[float], list[float]]:
    """Where true speech starts and ends: each stretch of words without a pause of :data:`PAUSE_S`."""
    onsets, ends = [], []
    for index, (_, start, end) in enumerate(words):
        if index == 0 or start - words[index - 1][2] >= PAUSE_S:
            onsets.append(start)
        if index == len(words) - 1 or words[index + 1][1] - end >= PAUSE_S:
            ends.append(end)
    return onsets, ends


def anchored(
    truth: list[float],
    events: Sequence[tuple[float, ...]],
    sent_at: Callable[[float], float | None],
    slack: float = 0.3,
) -> list[float]:
    """Latency anchored on the truth: for each true time, the first event (``(audio end, arrival, ...)``, in arrival
    order) whose audio reaches it (within ``slack``), minus when the audio at the true time was sent. Each event
    answers one true time at most."""
    latencies, used = [], 0
    for moment in truth:
        sent = sent_at(moment)
        if sent is None:
            continue
        for index in range(used, len(events)):
            audio_end, arrival = events[index][:2]
            if audio_end >= moment - slack and arrival >= sent:
                latencies.append(arrival - sent)
                used = index + 1
                break
    return latencies


def emission(words: tuple[TimedWord, ...], first_reaching: When, sent_at: When) -> list[float]:
    """Per-word emission latency: for each true word, from when the audio at its end went out to when the
    transcript's words first reached its middle (``first_reaching``: from a :class:`~dgtui.state.reach.ReachLog`,
    of the words shown or of the final ones). A word counts as shown when words reach its time, right or wrong
    (their errors are the word error rate's business); words never reached, or whose audio is no longer logged,
    are left out."""
    latencies = []
    for _, start, end in words:
        sent, arrival = sent_at(end), first_reaching((start + end) / 2)
        if sent is not None and arrival is not None:
            latencies.append(arrival - sent)
    return latencies


def read_reference(path_text: str, suffix: str) -> str:
    """The words of a reference file: plain text, SRT or WebVTT (cue text only), or JSON (``text``, or
    ``words`` with ``word`` or ``punctuated_word``)."""
    if suffix == ".json":
        import json

        data = json.loads(path_text)
        if isinstance(data, dict) and isinstance(data.get("text"), str):
            return data["text"]
        words = data.get("words", []) if isinstance(data, dict) else data
        return " ".join(str(w.get("punctuated_word") or w.get("word", "")) for w in words if isinstance(w, dict))
    if suffix in (".srt", ".vtt"):
        lines = []
        for line in path_text.splitlines():
            line = line.strip()
            if not line or line.isdigit() or "-->" in line or line.startswith(("WEBVTT", "NOTE")):
                continue
            lines.append(re.sub(r"<[^>]+>", "", line))
        return " ".join(lines)
    return path_text
