"""Hypothesis strategies for messages shaped like Deepgram's, shared by the client's and the server's fuzz tests."""

from __future__ import annotations

import json

from hypothesis import strategies as st

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
