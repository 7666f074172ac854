"""Gates: every operator and metric judged against rows with known figures, refusals that name what works, and
JUnit XML read back."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from dgtui.judge.accuracy import KeytermScore, WordErrors
from dgtui.judge.compare import LaneRow
from dgtui.judge.gates import METRICS, GateError, figures, judge, junit_xml, parse_gate, parse_gates
from dgtui.state.stats import Summary


def row(name: str, p95: float, wer_errors: int, reconnects: int) -> LaneRow:
    lane = LaneRow(name, WordErrors(100, wer_errors, 0, 0), 0.1, p95, 0.8, 0.3, 4, 12, reconnects, None,
                   KeytermScore(3, 1, 0))  # fmt: skip
    lane.latency = Summary(50, 0.01, 0.12, 0.1, p95, 0.7, 0.9)
    lane.final = Summary(12, 0.02, 0.05, 0.04, 0.08, 0.09, 0.1)
    lane.end_of_turn = Summary(6, 0.2, 0.3, 0.3, 0.45, 0.5, 0.5)
    lane.speech_end = {"p50": 0.25, "p95": 0.4, "p99": 0.41}
    lane.cost, lane.cost_per_hour = 0.002 * (1 + reconnects), 0.288 * (1 + reconnects)
    return lane


FAST, SLOW = row("fast", 0.5, 8, 0), row("slow", 0.65, 15, 2)


@pytest.mark.parametrize(
    ("text", "fast", "slow"),
    [
        ("wer<0.12", True, False),  # 8% and 15%
        ("wer<=8%", True, False),
        ("wer>0.08", False, True),
        ("wer>=15%", False, True),
        ("latency.p95<600ms", True, False),  # 500 and 650 ms
        ("latency.p95<0.6s", True, False),
        ("latency.p99==700ms", True, True),
        ("latency.max!=900ms", False, False),
        ("final.p50<50ms", True, True),
        ("eot.p95<900ms", True, True),
        ("speech_end.p99<410ms", False, False),  # 410 ms is not below 410 ms
        ("ttft<1s", True, True),
        ("reconnects==0", True, False),
        ("corrections<=4", True, True),
        ("finals>=12", True, True),
        ("keyterm.precision>=0.75", True, True),
        ("keyterm.recall==1", True, True),
        ("keyterm.f1>90%", False, False),  # 2 * 0.75 / 1.75 = 85.7%
        ("cost.hour<0.5", True, False),  # $0.288 and $0.864 an hour
        ("cost<=0.002", True, False),  # USD so far
    ],
)
def test_each_operator_and_metric_against_known_figures(text, fast, slow):
    verdicts = judge([parse_gate(text)], [FAST, SLOW])
    assert [(v.subject, v.passed) for v in verdicts] == [("fast", fast), ("slow", slow)]


def test_a_named_lane_is_judged_alone_and_a_missing_figure_fails_with_the_reason():
    (verdict,) = judge([parse_gate("slow:reconnects==0")], [FAST, SLOW])
    assert not verdict.passed and verdict.line() == "FAIL  slow: reconnects == 0  (measured 2)"
    (nobody,) = judge([parse_gate("medium:wer<0.1")], [FAST, SLOW])
    assert not nobody.passed and "there are: fast, slow" in nobody.note
    bare = LaneRow("plain", None, 0.1, 0.2, 0.5, None, 0, 1, 0, None)
    (no_reference,) = judge([parse_gate("wer<0.2")], [bare])
    assert not no_reference.passed and "needs a reference" in no_reference.line()
    (unpriced,) = judge([parse_gate("cost.hour<1")], [bare])
    assert not unpriced.passed and "no price" in unpriced.note
    (priced,) = judge([parse_gate("cost.hour<1")], [FAST])
    assert priced.line() == "pass  fast: cost.hour < $1.0000  (measured $0.2880)"
    assert set(figures(FAST)) == set(METRICS)  # every metric has its figure


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("latency.p95<600", "is a time: give ms or s (latency.p95<600ms)"),
        ("wer<5ms", "wer is not a time"),
        ("reconnects<5%", "reconnects is a count"),
        ("cost.hour<5%", "cost.hour is a sum in USD"),
        ("cost<1s", "cost is not a time"),
        ("lag.p99<50ms", "no metric 'lag.p99'. Metrics: latency.p50, "),
        ("wer is low", "expected [LANE:]METRIC OP VALUE"),
    ],
)
def test_bad_assertions_are_refused_naming_what_works(text, words):
    with pytest.raises(GateError, match=None) as caught:
        parse_gate(text)
    assert words in str(caught.value)


def test_every_bad_assertion_is_named_at_once():
    with pytest.raises(GateError) as caught:
        parse_gates(["wer<0.1", "wer<5ms", "nope<1"])
    assert str(caught.value).count("--assert") == 2


def test_junit_xml_reads_back_with_one_case_per_assertion_and_subject():
    verdicts = judge(parse_gates(["wer<0.12", "fast:latency.p95<600ms"]), [FAST, SLOW])
    root = ElementTree.fromstring(junit_xml(verdicts))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("tests") == "3" and suite.get("failures") == "1"
    cases = {(case.get("classname"), case.get("name")): case for case in suite.iter("testcase")}
    assert set(cases) == {("dgtui.fast", "wer<0.12"), ("dgtui.slow", "wer<0.12"),
                          ("dgtui.fast", "fast:latency.p95<600ms")}  # fmt: skip
    failure = cases[("dgtui.slow", "wer<0.12")].find("failure")
    assert failure is not None and "measured 15.0%" in (failure.get("message") or "")
    assert cases[("dgtui.fast", "wer<0.12")].find("failure") is None
