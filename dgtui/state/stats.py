"""Running statistics in bounded memory: min / mean / percentiles / max over a whole run, and a recent window.

A monitor runs for weeks, so a run's distribution is kept as a histogram of three significant digits, as HDR
histograms do: 1 ms buckets below a second, 10 ms to 10 s, 100 ms to 100 s. Its memory is bounded by about 900
buckets a decade, never grows with the number of values, and reaches its size early in a run; min, max and mean
stay exact.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Summary:
    count: int
    min: float
    mean: float
    p50: float
    p95: float
    p99: float
    max: float

    def as_dict(self) -> dict[str, float | int]:
        return {k: getattr(self, k) for k in ("count", "min", "mean", "p50", "p95", "p99", "max")}


EMPTY = Summary(0, math.nan, math.nan, math.nan, math.nan, math.nan, math.nan)
QUANTILES = (0.50, 0.95, 0.99)


def summarize(values: Iterable[float]) -> Summary:
    ordered = sorted(values)
    if not ordered:
        return EMPTY
    n = len(ordered)

    def rank(q: float) -> float:  # nearest-rank percentile
        return ordered[max(1, math.ceil(q * n)) - 1]

    return Summary(n, ordered[0], math.fsum(ordered) / n, rank(0.50), rank(0.95), rank(0.99), ordered[-1])


class Series:
    """A run's values as a histogram of three significant digits (exact min, max, mean) plus the most recent values
    exactly."""

    RESOLUTION = 0.001  # a bucket's key counts milliseconds

    def __init__(self, window: int = 100) -> None:
        self.buckets: Counter[int] = Counter()
        self.count = 0
        self.total = 0.0
        self.min = math.inf
        self.max = -math.inf
        self.recent: deque[float] = deque(maxlen=window)
        self.last: float = math.nan
        self._summary: Summary | None = None

    LIMIT = 1e9  # seconds; beyond this a value is nonsense from a broken server, not a latency

    def add(self, value: float) -> None:
        if not math.isfinite(value) or abs(value) > self.LIMIT:
            return
        self.buckets[bucket_of(value)] += 1
        self.count += 1
        self.total += value
        self.min = min(self.min, value)
        self.max = max(self.max, value)
        self.recent.append(value)
        self.last = value
        self._summary = None

    def merge(self, other: Series) -> None:
        """Add another run's values (for figures pooled over several streams)."""
        self.buckets.update(other.buckets)
        self.count += other.count
        self.total += other.total
        self.min = min(self.min, other.min)
        self.max = max(self.max, other.max)
        self._summary = None

    def __len__(self) -> int:
        return self.count

    def summary(self) -> Summary:
        """Percentiles to three significant digits, and the nearest millisecond below a second (nearest rank);
        cached until the next value."""
        if self._summary is None:
            self._summary = self._compute()
        return self._summary

    def _compute(self) -> Summary:
        if not self.count:
            return EMPTY
        targets = [max(1, math.ceil(q * self.count)) for q in QUANTILES]
        found: list[float] = []
        seen = 0
        for bucket in sorted(self.buckets):
            seen += self.buckets[bucket]
            while len(found) < len(targets) and seen >= targets[len(found)]:
                found.append(min(self.max, max(self.min, bucket * self.RESOLUTION)))
        p50, p95, p99 = found
        return Summary(self.count, self.min, self.total / self.count, p50, p95, p99, self.max)

    def recent_summary(self) -> Summary:
        return summarize(self.recent)


def bucket_of(value: float) -> int:
    """The histogram bucket of ``value`` seconds, in milliseconds: 1 ms wide below 1 s, then three significant
    digits (10 ms wide to 10 s, 100 ms to 100 s, ...)."""
    millis = value / Series.RESOLUTION
    width = 10 ** (math.floor(math.log10(abs(millis))) - 2) if abs(millis) >= 1000 else 1
    return round(millis / width) * width


def format_ms(seconds: float | None) -> str:
    """Seconds as whole milliseconds for tables; ``-`` when there is no value (None or NaN)."""
    if seconds is None or math.isnan(seconds):
        return "-"
    return str(round(seconds * 1000))  # an int: a value that rounds to zero from below shows 0, not -0
