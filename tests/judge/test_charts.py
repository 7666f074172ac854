"""The report's charts: SVG text from matplotlib, the same bytes for the same figures."""

from __future__ import annotations

from dgtui.judge.alignment import LaneSegment, MarkedWord, Segment, segment_error_rate
from dgtui.judge.charts import cdf, segment_wer
from dgtui.state.stats import Series


def series(*values: float) -> Series:
    out = Series()
    for value in values:
        out.add(value)
    return out


def test_a_cdf_is_inline_svg_and_deterministic():
    lanes = {"fast": series(0.1, 0.12, 0.2, 0.3), "slow": series(0.4, 0.45, 0.6)}
    first, again = cdf(lanes, "c1", "interim latency"), cdf(lanes, "c1", "interim latency")
    assert first == again and first.startswith("<svg") and first.rstrip().endswith("</svg>")
    assert "fast (p50 120 ms, p95 300 ms)" in first and "interim latency" in first
    assert "<?xml" not in first and "http://www.w3.org/2000/svg" in first  # inlined, no prologue
    assert cdf({"none": Series()}, "c2", "empty").startswith("<svg")  # no values: an empty chart, not an error


def test_segment_error_rates_count_wrong_extra_and_missing_words():
    lane = LaneSegment([MarkedWord("the"), MarkedWord("late", "substitute"), MarkedWord("rain", "equal", "light"),
                        MarkedWord("uh", "insert")])  # fmt: skip
    segment = Segment(0.0, 2.0, "the light light rain", [lane, LaneSegment()])
    assert segment_error_rate(segment, 0) == 3 / 4
    assert segment_error_rate(Segment(0.0, 1.0, "", [lane]), 0) is None
    svg = segment_wer([segment], ["fast", "slow"], "w1")
    assert "word error rate per segment" in svg
