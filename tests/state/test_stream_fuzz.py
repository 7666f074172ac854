"""No sequence of server messages breaks a stream state: property-based tests with hypothesis (bounded,
deterministic)."""

from __future__ import annotations

import json

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from dgtui.protocol.messages import decode_message
from dgtui.state.events import InvalidFrame, MessageReceived
from dgtui.state.setup import Setup
from dgtui.state.stream import StreamState

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


MESSAGE_TYPES = ["Results", "Metadata", "UtteranceEnd", "SpeechStarted", "Error", "ConfigureSuccess", "Mystery"]


FIELDS = ["channel_index", "duration", "start", "is_final", "speech_final", "from_finalize", "channel", "metadata",
          "alternatives", "words", "transcript", "last_word_end", "timestamp", "channels", "model_info"]  # fmt: skip


@st.composite
def server_messages(draw: st.DrawFn) -> str:
    """JSON objects shaped like Deepgram's messages, with any values in the fields a client reads."""
    message = {"type": draw(st.sampled_from(MESSAGE_TYPES))}
    for field in draw(st.lists(st.sampled_from(FIELDS), max_size=6, unique=True)):
        message[field] = draw(json_values)
    if draw(st.booleans()):  # sometimes a plausible Results with odd words
        words = draw(st.lists(st.fixed_dictionaries({"word": st.text(max_size=8), "start": st.floats(-5, 1e6),
                                                     "end": st.floats(-5, 1e6)}), max_size=4))  # fmt: skip
        message["channel"] = {"alternatives": [{"transcript": draw(st.text(max_size=30)), "words": words}]}
        message["channel_index"] = draw(st.lists(st.integers(-3, 5), max_size=3))
        message["is_final"] = draw(st.booleans())
        message["speech_final"] = draw(st.booleans())
    return json.dumps(message)


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
