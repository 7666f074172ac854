"""How far into the audio a stream's transcript has reached, and its end-of-speech signals, with when each
arrived: what latency anchored on true word times reads (:mod:`dgtui.session.accuracy`).

An entry is kept only when the reach moves forward, so a word's first appearance is the first entry at or past
it, found by halves; the log holds about one entry per word, not one per message, and its oldest entries go
first when it is full.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from typing import NamedTuple


class SpeechEnd(NamedTuple):
    """An end-of-speech signal: where in the audio it says speech ended, when it arrived, which it was."""

    audio_end: float
    arrival: float
    signal: str  # "speech_final", "UtteranceEnd", "EagerEndOfTurn" or "EndOfTurn"


TURN_END_SIGNALS = ("speech_final", "UtteranceEnd", "EndOfTurn")  # what says a turn is over (not the eager one)
SIGNALS = ("speech_final", "UtteranceEnd", "EagerEndOfTurn", "EndOfTurn")  # a signal's code is its place here


class SpeechEnds:
    """The newest ``capacity`` end-of-speech signals, in arrival order: a ring of two float arrays and a byte
    array taken whole at the start (17 bytes a signal, where a deque of tuples takes about 120), for the same
    reason as :class:`RisingLog`. Read as :class:`SpeechEnd` tuples, made when read."""

    __slots__ = ("_arrivals", "_ends", "_signals", "_size", "_start", "capacity")

    def __init__(self, capacity: int = 2000) -> None:
        self.capacity = capacity
        self._ends = array("d", bytes(8 * capacity))
        self._arrivals = array("d", bytes(8 * capacity))
        self._signals = array("b", bytes(capacity))
        self._start = 0
        self._size = 0

    def append(self, audio_end: float, arrival: float, signal: str) -> None:
        at = (self._start + self._size) % self.capacity
        self._ends[at], self._arrivals[at], self._signals[at] = audio_end, arrival, SIGNALS.index(signal)
        if self._size == self.capacity:
            self._start = (self._start + 1) % self.capacity
        else:
            self._size += 1

    def __iter__(self) -> Iterator[SpeechEnd]:
        for index in range(self._size):
            slot = (self._start + index) % self.capacity
            yield SpeechEnd(self._ends[slot], self._arrivals[slot], SIGNALS[self._signals[slot]])

    def __len__(self) -> int:
        return self._size


class RisingLog:
    """Pairs of numbers whose first never falls, the newest ``capacity`` of them, searched by halves.

    Held in a ring of two float arrays taken whole at the start (16 bytes a pair) rather than a deque of tuples
    (about 110): a log that takes days to fill on a monitor that runs for weeks does not grow the process as it
    fills, and leaves no scattered small objects behind for the allocator to keep.
    """

    __slots__ = ("_keys", "_size", "_start", "_values", "capacity")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._keys = array("d", bytes(8 * capacity))
        self._values = array("d", bytes(8 * capacity))
        self._start = 0  # where the oldest pair is
        self._size = 0

    def append(self, key: float, value: float) -> bool:
        """Add a pair (``key`` at or past the last one); True when the oldest pair went to make room."""
        full = self._size == self.capacity
        at = (self._start + self._size) % self.capacity
        self._keys[at], self._values[at] = key, value
        if full:
            self._start = (self._start + 1) % self.capacity
        else:
            self._size += 1
        return full

    def key(self, index: int) -> float:
        """The ``index``-th oldest pair's key (negative counts from the newest)."""
        return self._keys[self._slot(index)]

    def first_at_or_past(self, key: float) -> float | None:
        """The value of the oldest pair whose key is at or past ``key`` (None when none is)."""
        low, high = 0, self._size
        while low < high:
            middle = (low + high) // 2
            if self._keys[(self._start + middle) % self.capacity] < key:
                low = middle + 1
            else:
                high = middle
        return self._values[(self._start + low) % self.capacity] if low < self._size else None

    def _slot(self, index: int) -> int:
        if not -self._size <= index < self._size:
            raise IndexError(index)
        return (self._start + index % self._size) % self.capacity

    def __iter__(self) -> Iterator[tuple[float, float]]:
        for index in range(self._size):
            slot = (self._start + index) % self.capacity
            yield self._keys[slot], self._values[slot]

    def __len__(self) -> int:
        return self._size


class ReachLog:
    def __init__(self, maxlen: int = 6000) -> None:
        self.entries = RisingLog(maxlen)  # (audio reached, arrival), both rising
        self.dropped = False  # the oldest entries were let go: the audio before the first kept is not judged

    def add(self, reach: float, arrival: float) -> None:
        if self.entries and reach <= self.entries.key(-1):
            return
        self.dropped |= self.entries.append(reach, arrival)

    def first_reaching(self, audio: float) -> float | None:
        """When the transcript first reached ``audio`` seconds (None: not yet, or no longer known)."""
        if self.dropped and (not self.entries or audio < self.entries.key(0)):
            return None
        return self.entries.first_at_or_past(audio)

    def __iter__(self) -> Iterator[tuple[float, float]]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)
