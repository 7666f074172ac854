"""How far into the audio a stream's transcript has reached, and its end-of-speech signals, with when each
arrived: what latency anchored on true word times reads (:mod:`dgtui.judge.accuracy`).

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


class RingSlots:
    """Where the newest ``capacity`` entries of a ring of parallel arrays sit: its bookkeeping, none of its storage.

    The logs below keep their numbers in arrays taken whole at the start (8 bytes a number) rather than a deque
    of tuples (about 110 bytes an entry): a log that takes days to fill on a monitor that runs for weeks does not
    grow the process as it fills, and leaves no scattered small objects behind for the allocator to keep.
    """

    __slots__ = ("capacity", "size", "start")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.start = 0  # where the oldest entry is
        self.size = 0

    def claim(self) -> tuple[int, bool]:
        """The slot for a new entry, and whether the oldest entry went to make room."""
        full = self.size == self.capacity
        at = (self.start + self.size) % self.capacity
        if full:
            self.start = (self.start + 1) % self.capacity
        else:
            self.size += 1
        return at, full

    def slot(self, index: int) -> int:
        """The slot of the ``index``-th oldest entry (negative counts from the newest)."""
        if not -self.size <= index < self.size:
            raise IndexError(index)
        return (self.start + index % self.size) % self.capacity

    def __iter__(self) -> Iterator[int]:
        """The slots, oldest first."""
        for index in range(self.size):
            yield (self.start + index) % self.capacity

    def __len__(self) -> int:
        return self.size


class SpeechEnds:
    """The newest ``capacity`` end-of-speech signals, in arrival order, in a ring (17 bytes a signal, where a deque
    of tuples takes about 120). Read as :class:`SpeechEnd` tuples, made when read."""

    __slots__ = ("_arrivals", "_ends", "_ring", "_signals")

    def __init__(self, capacity: int) -> None:
        self._ring = RingSlots(capacity)
        self._ends = array("d", bytes(8 * capacity))
        self._arrivals = array("d", bytes(8 * capacity))
        self._signals = array("b", bytes(capacity))

    def append(self, audio_end: float, arrival: float, signal: str) -> None:
        at, _ = self._ring.claim()
        self._ends[at], self._arrivals[at], self._signals[at] = audio_end, arrival, SIGNALS.index(signal)

    def __iter__(self) -> Iterator[SpeechEnd]:
        for slot in self._ring:
            yield SpeechEnd(self._ends[slot], self._arrivals[slot], SIGNALS[self._signals[slot]])

    def __len__(self) -> int:
        return len(self._ring)


class RisingLog:
    """Pairs of numbers whose first never falls, the newest ``capacity`` of them in a ring (16 bytes a pair),
    searched by halves."""

    __slots__ = ("_keys", "_ring", "_values")

    def __init__(self, capacity: int) -> None:
        self._ring = RingSlots(capacity)
        self._keys = array("d", bytes(8 * capacity))
        self._values = array("d", bytes(8 * capacity))

    def append(self, key: float, value: float) -> bool:
        """Add a pair (``key`` at or past the last one); True when the oldest pair went to make room."""
        at, full = self._ring.claim()
        self._keys[at], self._values[at] = key, value
        return full

    def key(self, index: int) -> float:
        """The ``index``-th oldest pair's key (negative counts from the newest)."""
        return self._keys[self._ring.slot(index)]

    def first_at_or_past(self, key: float) -> float | None:
        """The value of the oldest pair whose key is at or past ``key`` (None when none is)."""
        ring = self._ring
        low, high = 0, len(ring)
        while low < high:
            middle = (low + high) // 2
            if self._keys[ring.slot(middle)] < key:
                low = middle + 1
            else:
                high = middle
        return self._values[ring.slot(low)] if low < len(ring) else None

    def __iter__(self) -> Iterator[tuple[float, float]]:
        for slot in self._ring:
            yield self._keys[slot], self._values[slot]

    def __len__(self) -> int:
        return len(self._ring)


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


class Reach:
    """A part of the stream's state: how far the words shown reached and when (interim or final), the same for
    final words (Nova's finals, Flux's EndOfTurn), and the end-of-speech signals in arrival order."""

    def __init__(self) -> None:
        self.text_seen = ReachLog()
        self.final_seen = ReachLog()
        self.speech_ends = SpeechEnds(2000)
