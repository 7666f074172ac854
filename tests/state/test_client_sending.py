"""How the client sends, as the state keeps it: its pace over the last seconds, gaps while connected, the
controls it sent and the mistakes diagnosed, all through ``StreamState.apply``."""

from __future__ import annotations

import pytest

from dgtui.state.client import Sending
from dgtui.state.events import AudioSent, Control, Diagnosis
from dgtui.state.setup import Setup
from dgtui.state.stream import StreamState


def test_the_pace_is_measured_over_the_last_seconds():
    sending = Sending()
    assert sending.pace() is None
    for i in range(1, 101):  # 10 s at real time
        sending.sent(i * 0.1, 100.0 + i * 0.1)
    assert sending.pace() == pytest.approx(1.0)
    for i in range(1, 51):  # then 5 s at half speed: the window forgets the first part
        sending.sent(10.0 + i * 0.05, 110.0 + i * 0.1)
    assert sending.pace() == pytest.approx(0.5, abs=0.02) and sending.gaps == 0


def test_gaps_while_connected_are_counted():
    sending = Sending()
    for at, cursor in ((0.0, 0.1), (0.1, 0.2), (3.6, 0.3), (3.7, 0.4), (5.0, 0.5)):
        sending.sent(cursor, at)
    assert (sending.gaps, round(sending.longest_gap, 1), round(sending.gap_seconds, 1)) == (2, 3.5, 4.8)


def test_the_state_keeps_controls_and_findings_and_logs_keepalive_once():
    state = StreamState(Setup("app", tapped=True), clock=lambda: 0.0)
    for at in (1.0, 4.0, 7.0):
        state.apply(Control("app", "KeepAlive"), at)
    state.apply(Control("app", "CloseStream"), 8.0)
    state.apply(AudioSent("app", 3200, 0.1, -20.0), 0.5)
    state.apply(Diagnosis("app", "slow", "audio sent at 0.50x real time", "the app sends audio slowly: …"), 9.0)
    assert state.sending.controls == {"KeepAlive": 3, "CloseStream": 1}
    assert state.sending.latest() is not None and state.sending.latest().summary == "audio sent at 0.50x real time"
    logged = [entry.text for entry in state.log.entries]
    assert sum("KeepAlive sent" in text for text in logged) == 1 and "CloseStream sent" in logged
    assert any(entry.level == "warning" and "slowly" in entry.text for entry in state.log.entries)
