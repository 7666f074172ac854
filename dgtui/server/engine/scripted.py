"""Scripted sessions (``dgtui serve --engine script:FILE``): the words and times a file gives, heard whatever audio
the client sends, paced by that audio, in Deepgram's message shapes, so an application's test gets exactly the
words it expects.

The script stands in for both parts of recognition the recognizer asks: a voice activity detector that hears
speech while a scripted word is being said (by the audio's clock, not its sound), and a decoder whose words are the
script's that fall in the utterance. Everything else is the engine's own: windows, interims, finals,
``speech_final``, ``SpeechStarted``, ``UtteranceEnd``, Flux's turns.

A script is a JSON reference like the bundled clips' (``words`` with ``word``, ``start``, ``end``), or text with
times: lines ``START END words...`` (seconds, or ``mm:ss.s``), or SRT/WebVTT cues, their words spread evenly over
each line or cue.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from dgtui.server.engine.synthetic import Segment  # what pocketsphinx's seg() yields, as the recognizer reads it

SAMPLE_RATE = 16_000
DECODER_FRAME_S = 0.01  # the recognizer's decoder frames
MARGIN_S = 0.03  # speech heard this little before a word starts and after it ends
CUE = re.compile(r"(?P<start>[\d:.,]+)\s*-->\s*(?P<end>[\d:.,]+)")


@dataclass(frozen=True, slots=True)
class ScriptWord:
    word: str
    start: float
    end: float


class ScriptError(ValueError):
    """A script that cannot be read: the message names the file and the line."""


def _seconds(text: str) -> float:
    parts = text.replace(",", ".").split(":")
    value = 0.0
    for part in parts:
        value = value * 60 + float(part)
    return value


def _spread(text: str, start: float, end: float) -> list[ScriptWord]:
    words = text.split()
    if not words or end <= start:
        return []
    step = (end - start) / len(words)
    return [
        ScriptWord(w, round(start + i * step, 3), round(start + (i + 1) * step - 0.02, 3)) for i, w in enumerate(words)
    ]


def read_script(path: Path) -> tuple[ScriptWord, ...]:
    """The words of a script file, in time order; raises :class:`ScriptError` saying what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScriptError(f"script {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if path.suffix.lower() == ".json":
        words = _json_words(path, text)
    elif path.suffix.lower() in (".srt", ".vtt") or "-->" in text:
        words = _cue_words(text)
    else:
        words = _line_words(path, text)
    if not words:
        raise ScriptError(f"script {path}: no timed words (give START END words... lines, SRT/WebVTT cues, or a "
                          "JSON reference with words and their start and end)")  # fmt: skip
    return tuple(sorted(words, key=lambda w: w.start))


def _json_words(path: Path, text: str) -> list[ScriptWord]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ScriptError(f"script {path}: not JSON: {exc}") from None
    items = data.get("words") if isinstance(data, dict) else data
    return [ScriptWord(str(w.get("punctuated_word") or w["word"]), float(w["start"]), float(w["end"]))
            for w in items or [] if isinstance(w, dict) and {"word", "start", "end"} <= set(w)]  # fmt: skip


def _cue_words(text: str) -> list[ScriptWord]:
    words: list[ScriptWord] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        lines = block.strip().splitlines()
        for index, line in enumerate(lines):
            if found := CUE.search(line):
                cue = " ".join(lines[index + 1 :])
                words += _spread(re.sub(r"<[^>]+>", "", cue), _seconds(found["start"]), _seconds(found["end"]))
                break
    return words


def _line_words(path: Path, text: str) -> list[ScriptWord]:
    words: list[ScriptWord] = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split(maxsplit=2)
        if not parts or line.lstrip().startswith("#"):
            continue
        try:
            start, end = _seconds(parts[0]), _seconds(parts[1])
        except (ValueError, IndexError):
            raise ScriptError(f"script {path}, line {number}: expected START END words... (seconds or mm:ss), "
                              f"got {line.strip()[:60]!r}") from None  # fmt: skip
        words += _spread(parts[2] if len(parts) > 2 else "", start, end)
    return words


def _plain(word: str) -> str:
    """A word as the engine's decoder gives it: lower case, no punctuation (the options format it, as ever)."""
    return re.sub(r"[^\w'%$-]", "", word).lower() or word


class ScriptVad:
    """Hears speech while a scripted word is being said, by the audio's clock."""

    def __init__(self, decoder: ScriptDecoder) -> None:
        self.decoder = decoder

    def is_speech(self, frame: bytes) -> bool:
        decoder = self.decoder
        decoder.clock += len(frame) // 2
        return decoder.saying(decoder.clock / SAMPLE_RATE)


class ScriptDecoder:
    """The part of ``pocketsphinx.Decoder`` the recognizer uses, answering with the script's words."""

    def __init__(self, words: tuple[ScriptWord, ...]) -> None:
        self.words = words
        self.clock = 0  # samples the detector has seen: the stream's audio so far
        self._fed = 0  # samples fed to the current utterance
        self._next = 0  # the first word not yet over (saying() walks forward)
        self.vad = ScriptVad(self)

    def saying(self, at: float) -> bool:
        while self._next < len(self.words) and self.words[self._next].end + MARGIN_S < at:
            self._next += 1
        return self._next < len(self.words) and self.words[self._next].start - MARGIN_S <= at

    def start_utt(self) -> None:
        self._fed = 0

    def process_raw(self, data: bytes, no_search: bool = False, full_utt: bool = False) -> None:
        self._fed += len(data) // 2

    def end_utt(self) -> None:
        return None

    def seg(self) -> list[Segment]:
        """The script's words said within this utterance so far, in decoder frames from its start."""
        start = (self.clock - self._fed) / SAMPLE_RATE  # the last frame fed is the one just heard
        now = self.clock / SAMPLE_RATE
        return [Segment(_plain(w.word), max(0, round((w.start - start) / DECODER_FRAME_S)),
                        max(0, round((w.end - start) / DECODER_FRAME_S) - 1), 0.99)
                for w in self.words if start - MARGIN_S <= w.start and w.end <= now + MARGIN_S]  # fmt: skip
