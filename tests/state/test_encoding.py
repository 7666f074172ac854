"""One encoding for every event: the lines of --json and of the recordings, read back to the same events, without
secrets."""

from __future__ import annotations

import math

import pytest

from dgtui.process.secrets import register_secret
from dgtui.state.encoding import event_line, read_event
from dgtui.state.events import (
    AudioProgress,
    Closed,
    Connected,
    Control,
    HandshakeTimings,
    Manifest,
    MessageReceived,
    Reconnected,
    Reconnecting,
    SessionError,
    SourceOpened,
    SourceReopening,
    SourceTitle,
    State,
    StateChanged,
)

EVENTS = [
    Connected("s", "ws://h/v1/listen", "r1", HandshakeTimings(0.001, 0.002, 0.0, 0.003)),
    StateChanged("s", State.STREAMING),
    SessionError("s", "refused", "HTTP 401", fatal=True),
    SourceTitle("s", "News at ten"),
    SourceOpened("s", "live", "chunked, no length"),
    SourceReopening("s", 1, 5, 0.5, "the stream ended"),
    Reconnecting("s", 2, 5, 1.25, "1011"),
    Reconnected("s", "r2", 12.5, 0.8, 1.2, 0.0),
    Closed("s", 1000, "", "closed normally", True),
    Control("s", "finalize", 3.5),
    AudioProgress("s", 4.0, -20.5, 123.456789, 128000),
    Manifest(
        "s",
        "0.1.0",
        "ab" * 32,
        30.0,
        "linear16",
        16000,
        1,
        100,
        "real time",
        "ws://h/v1/listen",
        {"model": "nova-3"},
        {"name": "nova"},
        ["r1"],
        1,
        ["gain:-6"],
    ),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
def test_every_event_reads_back_from_its_line(event):
    line = event_line(event)
    assert line["type"].startswith("dgtui.") and line["name"] == "s"
    assert read_event(line) == event


def test_a_message_line_keeps_the_raw_text_and_its_times():
    line = event_line(MessageReceived("s", '{"type":"Results"}', None, 12.3456789, 4.0))
    assert line == {"type": "message", "name": "s", "raw": '{"type":"Results"}', "mono": 12.345679, "cursor": 4.0}
    assert read_event(line) == MessageReceived("s", '{"type":"Results"}', None, 12.345679, 4.0)


def test_an_unknown_level_is_null_and_reads_back_as_none():
    line = event_line(AudioProgress("s", 1.0, math.nan, 0.0, 10))
    assert line["level_db"] is None and read_event(line).level_db is None  # type: ignore[union-attr]


def test_secrets_never_reach_a_line():
    register_secret("sk-encoding-secret-123")
    connected = event_line(Connected("s", "wss://h/v1/listen?token=abc&key=sk-encoding-secret-123", None,
                                     HandshakeTimings()))  # fmt: skip
    error = event_line(SessionError("s", "bad key sk-encoding-secret-123", "sk-encoding-secret-123"))
    assert "sk-encoding-secret-123" not in str(connected) + str(error) and "abc" not in connected["url"]


def test_a_newer_dgtuis_line_is_skipped_not_fatal():
    assert read_event({"type": "dgtui.SomethingNew", "name": "s"}) is None
    assert read_event({"type": "message", "name": "s"}) is None  # no raw text: nothing to replay
