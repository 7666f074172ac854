"""No frames crash the local server, and it still transcribes after them: property-based tests with hypothesis
(bounded, deterministic)."""

from __future__ import annotations

import asyncio
import contextlib
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

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


CONTROL_FRAMES = [
    '{"type":"KeepAlive"}',
    '{"type":"Finalize"}',
    '{"type":"Finalize","channel":9}',
    '{"type":"Configure","thresholds":"x"}',
    '{"type":"CloseStream"',
    "[]",
    "null",
]


frames = st.lists(
    st.one_of(st.binary(max_size=600), st.text(max_size=200), server_messages(), st.sampled_from(CONTROL_FRAMES)),
    max_size=8,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frames)
def test_no_frames_crash_the_server(server, frames):
    async def exchange() -> int | None:
        async with connect(server.url + "?encoding=linear16&sample_rate=16000", open_timeout=10) as ws:
            with contextlib.suppress(ConnectionClosed):
                for frame in frames:
                    await ws.send(frame)
                await ws.send('{"type":"CloseStream"}')
                async with asyncio.timeout(15):
                    async for _ in ws:
                        pass
            return ws.close_code

    code = asyncio.run(exchange())
    assert code in (1000, 1003, 1008, 1009, 1011), code  # a close with a reason, never a crash (1006)


def test_the_server_still_transcribes_after_the_fuzzing(server):
    from tests.support.audio import clip_pcm
    from tests.support.client import stream

    query = "encoding=linear16&sample_rate=16000&punctuate=true"
    run = asyncio.run(stream(server.url, clip_pcm("weather")[: 32000 * 4], query, realtime=False))
    assert run.close_code == 1000 and "weather" in run.transcript().lower()
