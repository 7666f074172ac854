"""Admission by capacity: the limit follows the measured real-time factor; a fixed limit overrides it."""

from __future__ import annotations

import pytest

from dgtui.server.admission import Admission


def test_the_limit_is_what_the_workers_keep_up_with_in_real_time():
    admission = Admission(workers=2, rtf=0.14)
    assert admission.limit == 10  # 2 cores x 0.7 / 0.14
    assert admission.admits(9) and not admission.admits(10)
    assert "up to 10 real-time streams (2 engine processes, 0.140 CPU s" in admission.describe()


def test_each_workers_totals_move_the_estimate_from_its_second_report_on():
    admission = Admission(workers=1, rtf=0.1)
    admission.finished((41, 5.0, 10.0))  # the first report of a worker: its start-up is in it, a baseline only
    assert admission.rtf == 0.1
    admission.finished((41, 5.5, 11.0))  # one second more: too little to say anything
    assert admission.rtf == 0.1
    admission.finished((41, 8.0, 20.0))  # 3 CPU s over 10 s of audio: 0.3, a third of a full measure
    assert admission.rtf == pytest.approx(0.1 * 2 / 3 + 0.3 / 3)
    admission.finished((41, 17.0, 50.0))  # 9 CPU s over 30 s: the measure replaces the estimate
    assert admission.rtf == pytest.approx(0.3)
    admission.finished(None)  # a stream that ended without a report (its worker died)
    assert admission.limit == 2


def test_no_measure_no_limit_and_a_fixed_limit_wins():
    assert Admission(workers=4).limit is None and Admission(workers=4).admits(10_000)
    fixed = Admission(workers=4, rtf=0.01, fixed=3)
    assert fixed.limit == 3 and not fixed.admits(3) and "set by --capacity" in fixed.describe()
