"""A stand-in for pocketsphinx's decoder, for load tests: made-up words at the pace of speech, no recognition.

Everything else of the engine is the real one: the voice activity detector finds the speech, and the
recognizer cuts windows, interims, finals, endpoints, ``SpeechStarted`` and ``UtteranceEnd`` from it as it
does with pocketsphinx. Only the words are placeholders: a word per :data:`WORD_FRAMES` of an utterance, from a
fixed list. It costs a small part of real decoding's CPU (no model is loaded, no search runs), so a soak can
send days of audio per stream through the whole server in minutes.
"""

from __future__ import annotations

from dataclasses import dataclass

WORD_FRAMES = 30  # decoder frames (10 ms each) per placeholder word: 200 words a minute of speech
_TEXT = (
    "the morning news is read at seven and the weather follows with rain later in the north traffic is slow "
    "on the bridge while the council meets today to talk about the new park"
)
VOCABULARY = tuple(_TEXT.split())


@dataclass(frozen=True, slots=True)
class Segment:
    """What pocketsphinx's ``seg()`` yields, as far as the recognizer reads it."""

    word: str
    start_frame: int
    end_frame: int
    prob: float = 0.9


class PlaceholderDecoder:
    """The part of ``pocketsphinx.Decoder`` the recognizer uses: utterances, raw audio in, word segments out."""

    def __init__(self) -> None:
        self._frames = 0  # 10 ms frames in the current utterance
        self._next_word = 0  # where in the vocabulary the next utterance starts

    def start_utt(self) -> None:
        self._next_word += self._frames // WORD_FRAMES
        self._frames = 0

    def process_raw(self, data: bytes, no_search: bool = False, full_utt: bool = False) -> None:
        self._frames += len(data) // 320  # 16 kHz s16: 160 samples per frame

    def end_utt(self) -> None:
        return None

    def seg(self) -> list[Segment]:
        first, count = self._next_word, self._frames // WORD_FRAMES
        return [
            Segment(VOCABULARY[(first + i) % len(VOCABULARY)], i * WORD_FRAMES, (i + 1) * WORD_FRAMES - 1)
            for i in range(count)
        ]
