"""Running statistics in bounded memory: min / mean / percentiles / max over a whole run, and a recent window.

A monitor runs for weeks, so a run's distribution is kept as a histogram of three significant digits, as HDR
histograms do: 1 ms buckets below a second, 10 ms to 10 s, 100 ms to 100 s. Its memory is bounded by about 900
buckets a decade, never grows with the number of values, and reaches its size early in a run; min, max and mean
stay exact.

Each value is also counted in the coarse buckets Prometheus exports (:data:`LATENCY_EDGES`): counted as it comes
(one bisection), so a scrape reads them and never folds the fine histogram.
"""

from __future__ import annotations

import math
from bisect import bisect_left
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

# The upper edges (seconds, inclusive) of the exported histograms' buckets, chosen for speech latency: 50 ms steps
# where interim and final latencies fall (0.1-0.5 s), wider to 3 s (end of turn, time to first transcript), then
# 5 and 10 s for a backend in trouble. histogram_quantile interpolates within a bucket, so a p95 of 0.42 s reads
# between 0.4 and 0.5. Negative values (a result past the audio sent, after a replay's shift) fall in the first.
LATENCY_EDGES = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)


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
        self.coarse = [0] * (len(LATENCY_EDGES) + 1)  # values per exported bucket (the last: above every edge)
        self._summary: Summary | None = None

    LIMIT = 1e9  # seconds; beyond this a value is nonsense from a broken server, not a latency

    def add(self, value: float) -> None:
        if not math.isfinite(value) or abs(value) > self.LIMIT:
            return
        self.buckets[bucket_of(value)] += 1
        self.coarse[bisect_left(LATENCY_EDGES, value)] += 1
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
        self.coarse = [mine + theirs for mine, theirs in zip(self.coarse, other.coarse, strict=True)]
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

    def cdf(self) -> tuple[list[float], list[float]]:
        """The run's distribution as a CDF: each bucket's value (seconds) and the share of values at or below it,
        for the plots in the app and in the HTML report."""
        xs, ys, seen = [], [], 0
        for bucket in sorted(self.buckets):
            seen += self.buckets[bucket]
            xs.append(bucket * self.RESOLUTION)
            ys.append(seen / self.count)
        return xs, ys

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
