"""The connection part of a stream's state: whether it ended cleanly, its uptime and time connected, and the
model as the server told it."""

from __future__ import annotations

import json

from dgtui.protocol.messages import decode_message
from dgtui.state.connection import Connection, clean_close
from dgtui.state.events import Closed, Connected, HandshakeTimings, MessageReceived, State, StateChanged
from dgtui.state.setup import Setup
from dgtui.state.stream import StreamState


def test_a_clean_end_is_a_normal_close_with_no_error_and_flux_may_close_without_a_status():
    assert clean_close(None, 1000, flux=False) and clean_close(None, 1005, flux=True)
    assert not clean_close(None, 1005, flux=False) and not clean_close("refused", 1000, flux=False)
    assert not clean_close(None, 1011, flux=True) and not clean_close(None, None, flux=False)


def test_uptime_and_time_connected_over_an_outage():
    class Clock:
        now = 100.0

        def __call__(self) -> float:
            return self.now

    clock = Clock()
    state = StreamState(Setup("s"), clock=clock)
    timings = HandshakeTimings(0.01, 0.01, 0.0, 0.01)
    state.apply(Connected("s", "ws://x/v1/listen", "r1", timings))
    clock.now = 110.0
    state.apply(Closed("s", None, "", "lost"))
    clock.now = 115.0
    state.apply(Connected("s", "ws://x/v1/listen", "r2", timings))
    clock.now = 120.0
    connection = state.connection
    assert connection.uptime(clock.now) == 20.0 and connection.connection_time(clock.now) == 15.0
    assert connection.request_ids == ["r1", "r2"] and connection.request_id == "r2"
    state.apply(StateChanged("s", State.CLOSED))
    assert connection.uptime(999.0) == 20.0 and connection.ended_at == 120.0  # the end stops the clock


def test_the_model_for_the_manifest_joins_the_results_and_the_closing_metadata():
    state = StreamState(Setup("s"), clock=lambda: 0.0)
    results = {"type": "Results", "channel_index": [0, 1], "start": 0, "duration": 1,
               "channel": {"alternatives": [{"transcript": "", "words": []}]},
               "metadata": {"request_id": "r", "model_uuid": "u-1", "model_info": {"name": "nova", "version": "3",
                                                                                   "arch": "nova-3"}}}  # fmt: skip
    metadata = {"type": "Metadata", "request_id": "r", "duration": 1.0, "channels": 1,
                "model_info": {"u-1": {"name": "nova", "version": "3", "arch": "nova-3"}}}  # fmt: skip
    for body in (results, metadata):
        raw = json.dumps(body)
        state.apply(MessageReceived("s", raw, decode_message(raw), 0.0, 0.0))
    model = state.connection.model()
    assert model["name"] == "nova" and model["models"] == {"u-1": {"name": "nova", "version": "3", "arch": "nova-3"}}
    assert Connection().model() == {} and not Connection().reconnecting
