"""A lane group's finals lined up by time, each lane's words marked against a base, and who finalized first.

The base is the reference when there is one, otherwise the first lane. Each lane's whole text is aligned with
it once (jiwer, on the normalised words of :mod:`dgtui.judge.accuracy`) and the marks are carried back to the
words as shown: a word heard wrong (substituted) or extra (inserted), and the base words missing before it
(deleted). The audio is cut into segments: the reference's stretches of speech when it has word times,
otherwise the stretches the lanes' finals cover. A final belongs to the segment its middle falls in; a lane
finalized a segment when its last final there arrived, and the lanes are ranked on that, on one clock.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import jiwer

from dgtui.judge.accuracy import PAUSE_S, TimedWord, normalise, speech_bounds
from dgtui.state.stream import StreamState
from dgtui.state.transcript import TranscriptLine


@dataclass(frozen=True, slots=True)
class MarkedWord:
    text: str  # as shown (punctuated)
    kind: str = "equal"  # "equal", "substitute" or "insert"
    missing_before: str = ""  # base words deleted just before this one


@dataclass(frozen=True, slots=True)
class MarkedText:
    words: tuple[MarkedWord, ...]
    missing_after: str = ""  # base words deleted after the last word (only once the lane heard the whole source)


def mark_words(base: str, shown: Sequence[str], *, complete: bool) -> MarkedText:
    """Marks for the words as shown against ``base``; ``complete=False``: base words past where the lane has
    reached are not yet spoken, so they are not missing (as :func:`~dgtui.judge.accuracy.word_errors`)."""
    owners: list[int] = []
    hypothesis: list[str] = []
    for index, token in enumerate(shown):
        for word in normalise(token):
            hypothesis.append(word)
            owners.append(index)
    reference = normalise(base)
    if not complete:
        reference = reference[: 2 * len(hypothesis) + 50]
    kinds = ["equal"] * len(shown)
    missing = [""] * (len(shown) + 1)  # the last: after every word
    if not hypothesis:
        return MarkedText(tuple(MarkedWord(t) for t in shown), " ".join(reference) if complete else "")
    if not reference:
        return MarkedText(tuple(MarkedWord(t, "insert") for t in shown))
    chunks = jiwer.process_words(" ".join(reference), " ".join(hypothesis)).alignments[0]
    reached = max((c.ref_end_idx for c in chunks if c.type in ("equal", "substitute")), default=0)
    for chunk in chunks:
        if chunk.type == "delete":
            if not complete and chunk.ref_start_idx >= reached:
                continue  # not spoken yet
            at = owners[chunk.hyp_start_idx] if chunk.hyp_start_idx < len(owners) else len(shown)
            gone = " ".join(reference[chunk.ref_start_idx : chunk.ref_end_idx])
            missing[at] = f"{missing[at]} {gone}".strip()
        elif chunk.type in ("substitute", "insert"):
            for index in range(chunk.hyp_start_idx, chunk.hyp_end_idx):
                owner = owners[index]
                if kinds[owner] != "substitute":
                    kinds[owner] = chunk.type
    words = tuple(MarkedWord(t, k, m) for t, k, m in zip(shown, kinds, missing, strict=False))
    return MarkedText(words, missing[-1])


@dataclass
class LaneSegment:
    words: list[MarkedWord] = field(default_factory=list)
    final_at: float | None = None  # when its last final in the segment arrived
    behind: float | None = None  # seconds after the first lane to finalize the segment (0: it was first)


@dataclass
class Segment:
    start: float
    end: float
    reference: str  # the reference's words in it (with word times only)
    lanes: list[LaneSegment]


def shown_words(line: TranscriptLine) -> list[str]:
    return [w.punctuated_word or w.word for w in line.words] if line.words else line.text.split()


def finals(state: StreamState) -> list[TranscriptLine]:
    return [line for line in state.transcript.lines if line.kind == "final" and (line.words or line.text)]


def _stretches(lines: list[TranscriptLine]) -> list[tuple[float, float]]:
    """The audio the finals cover, joined where they touch or leave less than a pause between them."""
    merged: list[list[float]] = []
    for line in sorted(lines, key=lambda line: line.start):
        if merged and line.start - merged[-1][1] < PAUSE_S:
            merged[-1][1] = max(merged[-1][1], line.end)
        else:
            merged.append([line.start, line.end])
    return [(start, end) for start, end in merged]


LineMarks = dict[int, tuple[MarkedWord, ...]]  # a final line's seq -> its words, marked


def lane_marks(
    states: Sequence[StreamState],
    reference: str | None,
    complete: Callable[[StreamState], bool],
    lane_lines: Sequence[list[TranscriptLine]] | None = None,
) -> list[tuple[LineMarks, str]]:
    """Each lane's final lines (states in lane order; ``lane_lines``: their finals, when already found) with
    their words marked against the reference, or the first lane without one; and the base words missing after
    its last word."""
    lane_lines = lane_lines if lane_lines is not None else [finals(state) for state in states]
    lane_words = [[w for line in lines for w in shown_words(line)] for lines in lane_lines]
    base = reference if reference is not None else " ".join(lane_words[0] if lane_words else [])
    result = []
    for state, lines, words in zip(states, lane_lines, lane_words, strict=True):
        marked = mark_words(base, words, complete=complete(state))
        marks: LineMarks = {}
        position = 0
        for line in lines:
            count = len(shown_words(line))
            marks[line.seq] = marked.words[position : position + count]
            position += count
        result.append((marks, marked.missing_after))
    return result


def align(
    states: Sequence[StreamState],
    reference: str | None,
    truth: tuple[TimedWord, ...] | None,
    complete: Callable[[StreamState], bool],
) -> list[Segment]:
    """The lanes' finals (states in lane order) cut into segments on one audio timeline."""
    lane_lines = [finals(state) for state in states]
    if truth:
        onsets, ends = speech_bounds(truth)
        spans = list(zip(onsets, ends, strict=True))
    else:
        spans = _stretches([line for lines in lane_lines for line in lines])
    starts = [start for start, _ in spans]
    segments = [Segment(start, end, "", [LaneSegment() for _ in states]) for start, end in spans]
    if truth:
        for word, start, end in truth:
            segment = segments[max(0, bisect.bisect_right(starts, (start + end) / 2) - 1)]
            segment.reference = f"{segment.reference} {word}".strip()
    for lane, (lines, (marks, missing_after)) in enumerate(
        zip(lane_lines, lane_marks(states, reference, complete, lane_lines), strict=True)
    ):
        for line in lines:
            segment = segments[max(0, bisect.bisect_right(starts, (line.start + line.end) / 2) - 1)].lanes[lane]
            segment.words.extend(marks[line.seq])
            segment.final_at = line.at if segment.final_at is None else max(segment.final_at, line.at)
        if missing_after and segments:
            segments[-1].lanes[lane].words.append(MarkedWord("", "equal", missing_after))
    for segment in segments:
        times = [lane.final_at for lane in segment.lanes if lane.final_at is not None]
        for lane in segment.lanes:
            if lane.final_at is not None:
                lane.behind = lane.final_at - min(times)
    return segments


def segment_error_rate(segment: Segment, lane: int) -> float | None:
    """A lane's errors in a segment over the reference's words in it (None: the segment has no reference)."""
    reference = len(segment.reference.split())
    if not reference:
        return None
    words = segment.lanes[lane].words
    errors = sum(1 for w in words if w.kind in ("substitute", "insert")) + sum(
        len(w.missing_before.split()) for w in words
    )
    return errors / reference
