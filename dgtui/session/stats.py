"""Running statistics: min / mean / percentiles / max over a whole run and over a recent window."""

from __future__ import annotations

import math
from array import array
from collections import deque
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


def summarize(values: list[float] | array) -> Summary:
    if not values:
        return EMPTY
    ordered = sorted(values)
    n = len(ordered)

    def rank(q: float) -> float:  # nearest-rank percentile
        return ordered[max(1, math.ceil(q * n)) - 1]

    return Summary(n, ordered[0], math.fsum(ordered) / n, rank(0.50), rank(0.95), rank(0.99), ordered[-1])


class Series:
    """Every value of a run (8 bytes each: hours of interims fit in a few MB) plus a recent window."""

    def __init__(self, window: int = 100) -> None:
        self._all = array("d")
        self.recent: deque[float] = deque(maxlen=window)
        self.last: float = math.nan

    def add(self, value: float) -> None:
        self._all.append(value)
        self.recent.append(value)
        self.last = value

    def values(self) -> array:
        """Every value of the run, in order."""
        return self._all

    def __len__(self) -> int:
        return len(self._all)

    def summary(self) -> Summary:
        return summarize(self._all)

    def recent_summary(self) -> Summary:
        return summarize(list(self.recent))
