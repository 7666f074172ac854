"""Transcripts written out for people and tools: plain text, SRT, WebVTT and JSON.

Finals only, grouped into utterances, with speaker labels when present. Subtitle cues are timed from word
times and kept readable: at most two lines of 42 characters and 7 seconds, broken at punctuation when a cue is
long enough, at least 0.7 s on screen when the next cue leaves room, never overlapping the next one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dgtui.protocol.messages import Word
from dgtui.state.transcript import Transcript, Utterance

FORMATS = ("txt", "srt", "vtt", "json")
LINE_CHARS = 42
CUE_CHARS = 2 * LINE_CHARS
CUE_SECONDS = 7.0
MIN_SECONDS = 0.7


# -- utterances -----------------------------------------------------------------------------------------


def utterances_of(transcript: Transcript) -> list[Utterance]:
    """Closed utterances, then any still open, in time order."""
    found = list(transcript.closed)
    found += [c.open for c in transcript.channels.values() if c.open is not None and c.open.texts]
    return sorted(found, key=lambda u: (u.start, u.channel))


def _stamp(seconds: float) -> str:
    minutes, secs = divmod(max(0.0, seconds), 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours:02d}:{minutes:02d}:{secs:06.3f}"


def _labels(utterance: Utterance, channels: int) -> list[str]:
    label = []
    if channels > 1:
        label.append(f"ch{utterance.channel}")
    if utterance.speakers:
        label.append("/".join(f"S{s}" for s in utterance.speakers))
    return label


def utterance_line(utterance: Utterance, channels: int = 1) -> str:
    label = _labels(utterance, channels)
    head = f"[{_stamp(utterance.start)}]" + (f" {' '.join(label)}:" if label else "")
    return f"{head} {utterance.text}"


def to_text(utterances: Iterable[Utterance], channels: int = 1) -> str:
    return "".join(utterance_line(u, channels) + "\n" for u in utterances)


# -- cues -----------------------------------------------------------------------------------------------


@dataclass
class Cue:
    start: float
    end: float
    text: str
    speaker: int | None = None
    channel: int = 0


def _token(word: Word) -> str:
    return word.punctuated_word or word.word


def _split(words: Sequence[Word]) -> list[list[Word]]:
    """Words into cue-sized groups: a new group at a speaker change, or when the text or time runs over."""
    groups: list[list[Word]] = []
    current: list[Word] = []
    length = 0
    for word in words:
        token = _token(word)
        too_long = current and (length + 1 + len(token) > CUE_CHARS or word.end - current[0].start > CUE_SECONDS)
        new_speaker = current and word.speaker != current[-1].speaker
        sentence_done = current and _token(current[-1])[-1:] in ".?!" and length >= CUE_CHARS * 0.5
        if too_long or new_speaker or sentence_done:
            groups.append(current)
            current, length = [], 0
        current.append(word)
        length += len(token) + (1 if length else 0)
    if current:
        groups.append(current)
    return groups


def wrap(text: str, width: int = LINE_CHARS) -> str:
    """One line, or two balanced lines split at the space nearest the middle."""
    if len(text) <= width:
        return text
    middle = len(text) // 2
    spaces = [i for i, c in enumerate(text) if c == " "]
    if not spaces:
        return text
    cut = min(spaces, key=lambda i: abs(i - middle))
    return text[:cut] + "\n" + text[cut + 1 :]


def cues_of(utterances: Iterable[Utterance]) -> list[Cue]:
    cues = []
    for utterance in utterances:
        if utterance.closed_by == "end_of_turn" and utterance.words:  # Flux: one cue per turn, as it was spoken
            words = utterance.words
            text = " ".join(_token(w) for w in words)
            cues.append(Cue(words[0].start, words[-1].end, text, None, utterance.channel))
        elif utterance.words:
            for group in _split(utterance.words):
                text = " ".join(_token(w) for w in group)
                cues.append(Cue(group[0].start, group[-1].end, text, group[0].speaker, utterance.channel))
        elif utterance.text:
            cues.append(Cue(utterance.start, utterance.end, utterance.text, None, utterance.channel))
    cues.sort(key=lambda c: (c.start, c.channel))
    for cue, following in zip(cues, [*cues[1:], None], strict=True):
        end = max(cue.end, cue.start + MIN_SECONDS)
        if following is not None:
            end = min(end, following.start)  # players show one cue at a time: never overlap the next
        cue.end = max(end, cue.start + 0.001)
        if following is not None and following.start < cue.end:
            following.start = cue.end
            following.end = max(following.end, following.start + 0.001)
    return cues


def _clock(seconds: float, separator: str) -> str:
    millis = round(max(0.0, seconds) * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _cue_label(cue: Cue, channels: int) -> str:
    parts = []
    if channels > 1:
        parts.append(f"ch{cue.channel}")
    if cue.speaker is not None:
        parts.append(f"S{cue.speaker}")
    return f"[{' '.join(parts)}] " if parts else ""


def to_srt(cues: Sequence[Cue], channels: int = 1) -> str:
    blocks = []
    for number, cue in enumerate(cues, start=1):
        times = f"{_clock(cue.start, ',')} --> {_clock(cue.end, ',')}"
        blocks.append(f"{number}\n{times}\n{wrap(_cue_label(cue, channels) + cue.text)}\n")
    return "\n".join(blocks)


def to_vtt(cues: Sequence[Cue], channels: int = 1) -> str:
    blocks = ["WEBVTT\n"]
    for cue in cues:
        times = f"{_clock(cue.start, '.')} --> {_clock(cue.end, '.')}"
        text = wrap(cue.text)
        if cue.speaker is not None or channels > 1:
            voice = f"Speaker {cue.speaker}" if cue.speaker is not None else f"Channel {cue.channel}"
            if channels > 1 and cue.speaker is not None:
                voice = f"Channel {cue.channel} Speaker {cue.speaker}"
            text = f"<v {voice}>{text}"
        blocks.append(f"{times}\n{text}\n")
    return "\n".join(blocks)


# -- json -----------------------------------------------------------------------------------------------


def to_json(utterances: Iterable[Utterance], about: dict[str, Any] | None = None) -> str:
    """The final transcript with words, and what produced it."""
    items = []
    for u in utterances:
        items.append(
            {
                "start": round(u.start, 3),
                "end": round(u.end, 3),
                "channel": u.channel,
                "speakers": u.speakers,
                "transcript": u.text,
                "words": [
                    {
                        "word": w.word,
                        "punctuated_word": _token(w),
                        "start": round(w.start, 3),
                        "end": round(w.end, 3),
                        "confidence": round(w.confidence, 4),
                        **({"speaker": w.speaker} if w.speaker is not None else {}),
                    }
                    for w in u.words
                ],
            }
        )
    document = {**(about or {}), "transcript": " ".join(i["transcript"] for i in items), "utterances": items}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render(fmt: str, utterances: Sequence[Utterance], channels: int = 1, about: dict[str, Any] | None = None) -> str:
    if fmt == "txt":
        return to_text(utterances, channels)
    if fmt == "srt":
        return to_srt(cues_of(utterances), channels)
    if fmt == "vtt":
        return to_vtt(cues_of(utterances), channels)
    if fmt == "json":
        return to_json(utterances, about)
    raise ValueError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")


def write_atomic(path: Path, text: str) -> Path:
    """Write through a temporary file renamed into place, so a failure never leaves half a file."""
    tmp = path.with_name(path.name + ".part")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


@dataclass(frozen=True)
class TimeRange:
    """``dgtui export --from --to``: the utterances that start in it, in seconds of the session's audio."""

    start: float = 0.0
    end: float | None = None  # None: to the end

    def holds(self, utterance: Utterance) -> bool:
        return utterance.start >= self.start and (self.end is None or utterance.start < self.end)


WHOLE = TimeRange()


def parse_offset(text: str) -> float:
    """``90``, ``1:30``, ``1:02:03`` or ``1h2m3s``: seconds into the session's audio."""
    value = text.strip().lower()
    try:
        if ":" in value:
            seconds = 0.0
            for part in value.split(":"):
                seconds = seconds * 60 + float(part)
            return seconds
        if value and value[-1] in "hms":
            seconds, number = 0.0, ""
            for char in value:
                if char in "hms":
                    seconds += float(number) * {"h": 3600, "m": 60, "s": 1}[char]
                    number = ""
                else:
                    number += char
            if number:
                raise ValueError(value)
            return seconds
        return float(value)
    except ValueError:
        raise ValueError(f"{text!r} is not a time: give seconds (90), M:SS (1:30), H:MM:SS or 1h30m") from None


def export_recording(path: Path, fmt: str, span: TimeRange = WHOLE) -> str:
    """A recording's transcript in ``fmt`` (its whole history: the files have every message), or the part of it
    in ``span``."""
    from dgtui.recordings.replay import load

    session = load(path, transcript=Transcript(keep=None, keep_lines=10))
    state = session.state
    about = {
        "name": state.name,
        "source": state.setup.source,
        "request_ids": state.connection.request_ids,
        "options": state.setup.options,
        "started": session.header.get("started"),
        "dgtui": session.header.get("dgtui"),
    }
    if span != WHOLE:
        about["range_s"] = [span.start, span.end]
    utterances = [u for u in utterances_of(state.transcript) if span.holds(u)]
    return render(fmt, utterances, state.connection.channels, about)
