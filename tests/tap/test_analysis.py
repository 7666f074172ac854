"""A tapped connection becomes a stream like dgtui's own: its transcript, request id, audio cursor, the app's
controls and the close, with the app's key in nothing it shows or records."""

from __future__ import annotations

import msgspec
import websockets

from dgtui.state.encoding import event_line
from dgtui.state.stream import StreamState
from dgtui.tap.analysis import TappedStream, audio_rate, stream_name
from dgtui.tap.relay import Upstream, start_tap
from tests.conftest import TEST_KEY
from tests.support.audio import clip_pcm
from tests.support.tap import until_closed

QUERY = "encoding=linear16&sample_rate=16000&interim_results=true&punctuate=true&tag=agent-7"


def test_names_and_rates_from_the_query():
    assert stream_name("/v1/listen?tag=call-42", "127.0.0.1:5000", "abc") == "call-42"
    assert stream_name("/v1/listen", "127.0.0.1:5000", "0123456789") == "127.0.0.1:5000·01234567"
    assert audio_rate({"encoding": "linear16", "sample_rate": "16000"}) == 32000
    assert audio_rate({"encoding": "mulaw", "sample_rate": "8000", "channels": "2"}) == 16000
    assert audio_rate({}) is None and audio_rate({"encoding": "linear16", "sample_rate": "x"}) is None


async def test_a_tapped_stream_is_a_stream_with_its_transcript_and_without_the_key(keyed_server):
    streams: list[StreamState] = []
    lines: list[bytes] = []

    def observe(peer: str) -> TappedStream:
        def on_state(state: StreamState) -> None:
            streams.append(state)
            state.subscribe(lambda event: lines.append(msgspec.json.encode(event_line(event))))

        return TappedStream(peer, keyed_server.url.removesuffix("/v1/listen"), on_state)

    tap = await start_tap("127.0.0.1", 0, Upstream.from_url(keyed_server.url), observe)
    url = f"ws://127.0.0.1:{tap.sockets[0].getsockname()[1]}/v1/listen?{QUERY}"
    pcm = clip_pcm("council")[: 32000 * 5]
    finals: list[str] = []
    try:
        async with websockets.connect(url, additional_headers={"Authorization": f"Token {TEST_KEY}"}) as ws:
            request_id = ws.response.headers["dg-request-id"]
            for offset in range(0, len(pcm), 32000):
                await ws.send(pcm[offset : offset + 32000])
            await ws.send('{"type":"KeepAlive"}')
            await ws.send('{"type":"CloseStream"}')
            async for raw in ws:
                message = msgspec.json.decode(raw)
                if message.get("type") == "Results" and message["is_final"]:
                    finals.append(message["channel"]["alternatives"][0]["transcript"])
        await until_closed(streams)
    finally:
        tap.close()
        await tap.wait_closed()
    state = streams[0]
    assert state.name == "agent-7" and state.connection.request_id == request_id
    assert state.audio.cursor == 5.0 and state.clean
    assert state.transcript.text() == " ".join(t for t in finals if t) and "council" in state.transcript.text().lower()
    logged = " ".join(entry.text for entry in state.log.entries)
    assert "KeepAlive sent" in logged and "CloseStream sent" in logged
    assert TEST_KEY not in logged and all(TEST_KEY.encode() not in line for line in lines) and lines
