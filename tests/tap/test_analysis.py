"""A tapped connection becomes a stream like dgtui's own: its transcript, request id, audio cursor, the app's
controls and the close, recorded, with the app's key in nothing it shows or records; a refused handshake is a
stream in error that says why."""

from __future__ import annotations

import msgspec
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from dgtui.recordings.reader import read_recording
from dgtui.state.encoding import event_line
from dgtui.tap.analysis import stream_name
from dgtui.tap.runner import TapSession
from tests.conftest import TEST_KEY
from tests.support.audio import clip_pcm
from tests.support.tap import running_tap, until_closed

QUERY = "encoding=linear16&sample_rate=16000&interim_results=true&punctuate=true&tag=agent-7"


def test_names_from_the_query_or_the_address_and_request_id():
    assert stream_name("/v1/listen?tag=call-42", "127.0.0.1:5000", "abc") == "call-42"
    assert stream_name("/v1/listen", "127.0.0.1:5000", "0123456789") == "127.0.0.1:5000·01234567"


async def test_a_tapped_stream_is_a_stream_with_its_transcript_and_without_the_key(keyed_server, tmp_path):
    lines: list[bytes] = []

    def on_stream(session: TapSession) -> None:
        session.state.subscribe(lambda event: lines.append(msgspec.json.encode(event_line(event))))

    pcm = clip_pcm("council")[: 32000 * 5]
    finals: list[str] = []
    async with running_tap(keyed_server.url, record_dir=tmp_path, on_stream=on_stream) as tap:
        url = f"{tap.url}/v1/listen?{QUERY}"
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
        await until_closed(tap.sessions)
        session = tap.sessions[0]
    state = session.state
    assert state.name == "agent-7" and state.connection.request_id == request_id and state.setup.tapped
    assert state.audio.cursor == 5.0 and state.clean and state.metrics.bytes_sent == len(pcm)
    assert state.transcript.text() == " ".join(t for t in finals if t) and "council" in state.transcript.text().lower()
    assert state.metrics.latency.summary().count > 0  # timed as the app experiences it
    assert state.sending.controls == {"KeepAlive": 1, "CloseStream": 1}
    logged = " ".join(entry.text for entry in state.log.entries)
    assert "KeepAlive sent" in logged and "CloseStream sent" in logged
    assert TEST_KEY not in logged and all(TEST_KEY.encode() not in line for line in lines) and lines
    assert session.recording_path is not None
    header, _ = read_recording(session.recording_path)
    assert header["backend"] == "tap" and header["name"] == "agent-7"
    files = b"".join(path.read_bytes() for path in tmp_path.rglob("*") if path.is_file())
    assert TEST_KEY.encode() not in files and b"council" in files.lower()


@pytest.mark.parametrize("where", ["header", "subprotocol", "query"])
async def test_the_apps_key_goes_upstream_wherever_it_puts_it_and_nowhere_else(keyed_server, tmp_path, where):
    headers = {"Authorization": f"Token {TEST_KEY}"} if where != "subprotocol" else {}  # the server reads no query
    protocols = ["token", TEST_KEY] if where == "subprotocol" else None
    query = f"{QUERY}&token={TEST_KEY}" if where == "query" else QUERY
    async with running_tap(keyed_server.url, record_dir=tmp_path) as tap:
        async with websockets.connect(f"{tap.url}/v1/listen?{query}", additional_headers=headers,
                                      subprotocols=protocols) as ws:  # type: ignore[arg-type]  # fmt: skip
            assert ws.subprotocol == ("token" if protocols else None)  # what the upstream chose, passed back
            await ws.send(clip_pcm("weather")[:32000])
            await ws.send('{"type":"CloseStream"}')
            async for _ in ws:
                pass
        await until_closed(tap.sessions)
        state = tap.sessions[0].state
    assert state.clean and TEST_KEY not in state.connection.url
    shown = " ".join(entry.text for entry in state.log.entries) + state.connection.url
    files = b"".join(path.read_bytes() for path in tmp_path.rglob("*") if path.is_file())
    assert TEST_KEY not in shown and TEST_KEY.encode() not in files


async def test_a_refused_handshake_is_a_stream_in_error_saying_why(keyed_server):
    async with running_tap(keyed_server.url) as tap:
        with pytest.raises(InvalidStatus):
            await websockets.connect(f"{tap.url}/v1/listen?{QUERY}", additional_headers={"Authorization": "Token no"})
        await until_closed(tap.sessions)
        state = tap.sessions[0].state
    assert state.connection.phase.value == "error" and state.connection.refusal is not None
    assert state.connection.refusal.status == 401 and "refused the app's handshake (HTTP 401" in (
        state.connection.error or ""
    )
