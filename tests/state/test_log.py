"""The event log and the raw messages: bounded, numbered for views, secrets redacted, each message described."""

from __future__ import annotations

import json

from dgtui.process.secrets import register_secret
from dgtui.protocol.messages import decode_message
from dgtui.state.log import EventLog, describe, message_kind


def test_lines_are_numbered_bounded_and_redacted():
    register_secret("sk-log-secret-98765")
    log = EventLog(keep_log=3, keep_raw=2)
    for n in range(5):
        log.add(float(n), f"line {n} sk-log-secret-98765", "warning" if n % 2 else "info")
    assert log.seq == 5 and [e.seq for e in log.entries] == [3, 4, 5]
    assert all("sk-log-secret" not in e.text and "***" in e.text for e in log.entries)
    for n in range(3):
        log.add_raw(float(n), n * 0.1, "Results", "{}")
    assert log.raw_seq == 3 and [r.seq for r in log.raw] == [2, 3]


def test_each_message_is_described_in_one_line():
    body = {
        "type": "Results",
        "is_final": True,
        "speech_final": True,
        "start": 1.0,
        "duration": 0.5,
        "channel_index": [0, 1],
        "channel": {"alternatives": [{"transcript": "hi", "words": []}]},
    }
    results = decode_message(json.dumps(body))
    assert describe(results) == "is_final speech_final [1.00+0.50] 'hi'"
    assert describe(decode_message('{"type":"UtteranceEnd","last_word_end":2.5}')) == "last_word_end 2.50"
    assert describe(decode_message('{"type":"SpeechStarted","timestamp":1.25}')) == "timestamp 1.25"
    mystery = decode_message('{"type":"Mystery"}')
    assert message_kind(mystery) == "Mystery" and describe(mystery) == "" and message_kind(results) == "Results"
