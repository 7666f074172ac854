"""The local Deepgram the plugin gives a test: a key of its own, what it saw once a stream ended, speech to send."""

from __future__ import annotations

import asyncio

import websockets
from websockets.exceptions import InvalidStatus

from dgtui.testing.local import LocalDeepgram, speech


def test_the_local_deepgram_refuses_a_wrong_key_and_stops_cleanly():
    import asyncio

    import websockets

    with LocalDeepgram() as local:

        async def connect(key: str) -> int:
            try:
                async with websockets.connect(f"{local.url}/v1/listen", additional_headers={"Authorization": key}):
                    return 101
            except InvalidStatus as exc:
                return exc.response.status_code

        assert asyncio.run(connect("Token wrong")) == 401 and asyncio.run(connect(f"Token {local.key}")) == 101


def test_what_it_saw_of_a_stream_and_speech_to_send():
    pcm = speech(2.0)
    assert len(pcm) == 64000
    with LocalDeepgram(faults=["malformed:after=1"]) as local:

        async def call() -> None:
            url = f"{local.url}/v1/listen?encoding=linear16&sample_rate=16000&tag=t"
            async with websockets.connect(url, additional_headers={"Authorization": f"Token {local.key}"}) as ws:
                await ws.send(pcm)
                await ws.send('{"type":"KeepAlive"}')
                await ws.send('{"type":"CloseStream"}')
                async for _ in ws:
                    pass

        asyncio.run(call())
        (seen,) = local.seen()
    assert seen.audio_seconds == 2.0 and seen.controls == {"KeepAlive": 1, "CloseStream": 1} and seen.close_code == 1000
    assert seen.options["tag"] == "t" and seen.api == "v1" and len(seen.faults) == 1 and seen.request_id
    assert seen.closed_by == "server"  # after CloseStream, the server closes
