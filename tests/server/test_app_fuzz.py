"""No frames crash the local server, and it still transcribes after them: property-based tests with hypothesis
(bounded, deterministic)."""

from __future__ import annotations

import asyncio
import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.support.strategies import server_messages

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
