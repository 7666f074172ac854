"""How far into the audio a stream's transcript has reached, and its end-of-speech signals, with when each
arrived: what latency anchored on true word times reads (:mod:`dgtui.session.accuracy`).

An entry is kept only when the reach moves forward, so a word's first appearance is the first entry at or past
it, found by halves; the log holds about one entry per word, not one per message, and its oldest entries go
first when it is full.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Iterator
from typing import NamedTuple


class SpeechEnd(NamedTuple):
    """An end-of-speech signal: where in the audio it says speech ended, when it arrived, which it was."""

    audio_end: float
    arrival: float
    signal: str  # "speech_final", "UtteranceEnd", "EagerEndOfTurn" or "EndOfTurn"


TURN_END_SIGNALS = ("speech_final", "UtteranceEnd", "EndOfTurn")  # what says a turn is over (not the eager one)


class ReachLog:
    def __init__(self, maxlen: int = 6000) -> None:
        self.entries: deque[tuple[float, float]] = deque(maxlen=maxlen)  # (audio reached, arrival), both rising
        self.dropped = False  # the oldest entries were let go: the audio before the first kept is not judged

    def add(self, reach: float, arrival: float) -> None:
        if self.entries and reach <= self.entries[-1][0]:
            return
        if len(self.entries) == self.entries.maxlen:
            self.dropped = True
        self.entries.append((reach, arrival))

    def first_reaching(self, audio: float) -> float | None:
        """When the transcript first reached ``audio`` seconds (None: not yet, or no longer known)."""
        if self.dropped and (not self.entries or audio < self.entries[0][0]):
            return None
        index = bisect.bisect_left(self.entries, audio, key=lambda entry: entry[0])
        return self.entries[index][1] if index < len(self.entries) else None

    def __iter__(self) -> Iterator[tuple[float, float]]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)
