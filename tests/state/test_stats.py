"""Running statistics in bounded memory: exact summaries, a histogram of three significant digits, milliseconds
shown."""

from __future__ import annotations

import math

import pytest

from dgtui.state.stats import Series, summarize


def test_summary_statistics():
    s = summarize([5.0, 1.0, 3.0, 2.0, 4.0])
    assert (s.count, s.min, s.mean, s.p50, s.p95, s.p99, s.max) == (5, 1.0, 3.0, 3.0, 5.0, 5.0, 5.0)
    assert summarize(list(range(1, 101))).p95 == 95
    assert math.isnan(summarize([]).mean)
    series = Series(window=3)
    for v in [1.0, 2.0, 3.0, 10.0]:
        series.add(v)
    assert series.summary().max == 10.0 and series.recent_summary().min == 2.0 and series.last == 10.0


def test_series_percentiles_match_exact_ones_to_three_digits_in_bounded_memory():
    import random

    rng = random.Random(7)
    values = [rng.uniform(0.0, 2.0) for _ in range(20_000)]
    series = Series()
    for v in values:
        series.add(v)
    exact, approx = summarize(values), series.summary()
    for key in ("p50", "p95", "p99"):
        assert abs(getattr(exact, key) - getattr(approx, key)) <= max(0.0005, getattr(exact, key) * 0.005), key
    assert (approx.count, approx.min, approx.max) == (exact.count, exact.min, exact.max)
    assert approx.mean == pytest.approx(exact.mean)
    assert len(series.buckets) <= 1101  # one per millisecond below a second, one per 10 ms above
    pooled = Series()
    pooled.merge(series)
    pooled.merge(series)
    assert pooled.summary().count == 40_000 and pooled.summary().p50 == approx.p50


def test_milliseconds_show_without_a_negative_zero():
    from dgtui.state.stats import format_ms

    shown = [format_ms(v) for v in (-0.0004, 0.0, 0.1504, -0.002, None, float("nan"))]
    assert shown == ["0", "0", "150", "-2", "-", "-"]


def test_a_series_buckets_three_significant_digits_so_weeks_of_odd_values_stay_small():
    from dgtui.state.stats import bucket_of

    assert [bucket_of(v) for v in (0.0004, 0.2374, 0.9996, 1.2345, 12.345, -3.21)] == [0, 237, 1000, 1230, 12300, -3210]
    series = Series()
    for step in range(200_000):  # every millisecond from 0 to 200 s
        series.add(step / 1000)
    assert len(series.buckets) < 3000
    assert series.summary().p50 == pytest.approx(100.0, abs=0.5)
