"""No sequence of server messages breaks a stream state: property-based tests with hypothesis (bounded,
deterministic)."""

from __future__ import annotations

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from dgtui.protocol.messages import decode_message
from dgtui.state.events import InvalidFrame, MessageReceived
from dgtui.state.setup import Setup
from dgtui.state.stream import StreamState
from tests.support.strategies import server_messages


@settings(max_examples=300, deadline=None)
@given(st.lists(server_messages(), min_size=1, max_size=12))
def test_no_sequence_of_server_messages_breaks_a_session(messages):
    state = StreamState(Setup("fuzz"), clock=lambda: 0.0)
    for i, raw in enumerate(messages):  # what a live session does with each frame
        try:
            message = decode_message(raw)
        except msgspec.DecodeError:  # not JSON at all
            state.apply(InvalidFrame("fuzz", raw), float(i))
            continue
        state.apply(MessageReceived("fuzz", raw, message, float(i), float(i)), float(i))
    state.transcript.finish()
    state.metrics.summary()
    state.transcript.text()
    assert state.log.raw_seq == len(messages)
