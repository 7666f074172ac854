"""The tap between a real client and the real local server: every frame and the handshake's outcome pass
unchanged both ways, pings are answered by the upstream, and analysis sees the same frames."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from dgtui.tap.relay import Upstream, start_tap
from tests.conftest import TEST_KEY
from tests.support.audio import clip_pcm
from tests.support.client import stream

QUERY = "encoding=linear16&sample_rate=16000&interim_results=true&punctuate=true"


class Seen:
    """An observer that keeps what analysis was told."""

    def __init__(self) -> None:
        self.handshakes: list[int] = []
        self.frames: list[tuple[bool, int, bytes]] = []
        self.notes: list[str] = []

    def opened(self, request, at):  # type: ignore[no-untyped-def]
        pass

    def answered(self, response, at):  # type: ignore[no-untyped-def]
        self.handshakes.append(response.status)

    def data(self, from_app, data, at):  # type: ignore[no-untyped-def]
        pass

    def frame(self, from_app, frame, at):  # type: ignore[no-untyped-def]
        self.frames.append((from_app, frame.opcode.value, bytes(frame.data)))

    def ended(self, at, note):  # type: ignore[no-untyped-def]
        self.notes.append(note)


@contextlib.asynccontextmanager
async def tapped(url: str, seen: Seen | None = None):
    tap = await start_tap("127.0.0.1", 0, Upstream.from_url(url), lambda peer: seen)
    try:
        yield f"ws://127.0.0.1:{tap.port}/v1/listen"
    finally:
        await tap.close()


async def test_a_stream_through_the_tap_is_the_stream_without_it_and_analysis_sees_every_frame(server):
    audio = clip_pcm("weather")[: 32000 * 4]
    direct = await stream(server.url, audio, QUERY, realtime=False)
    seen = Seen()
    async with tapped(server.url, seen) as url:
        through = await stream(url, audio, QUERY, realtime=False)
        for _ in range(100):  # bounded: analysis finishes just after the connection closes
            if seen.notes:
                break
            await asyncio.sleep(0.02)
    assert through.close_code == direct.close_code == 1000 and through.request_id
    assert through.transcript() == direct.transcript() and through.transcript()
    assert seen.handshakes == [101] and seen.notes == ["connection closed"]
    sent = b"".join(data for from_app, opcode, data in seen.frames if from_app and opcode == 2)
    assert sent == audio  # every audio byte, in order
    received = [json.loads(data) for from_app, opcode, data in seen.frames if not from_app and opcode == 1]
    assert received == [m.data for m in through.messages]  # every server message, in order
    closes = [(from_app, data[:2]) for from_app, opcode, data in seen.frames if opcode == 8]
    assert closes == [(False, (1000).to_bytes(2, "big")), (True, (1000).to_bytes(2, "big"))]


async def test_pings_are_answered_by_the_upstream_and_closes_pass_with_their_reason(make_server):
    quiet = make_server(idle_timeout=1.0, engine="synthetic")
    seen = Seen()
    async with tapped(quiet.url, seen) as url, websockets.connect(f"{url}?{QUERY}") as ws:
        pong = await ws.ping(b"are you there")
        await asyncio.wait_for(pong, 10)  # the server's pong, through the tap
        with pytest.raises(ConnectionClosed):
            async with asyncio.timeout(30):
                while True:
                    await ws.recv()
    assert ws.close_code == 1011 and "net0001" in ws.close_reason  # NET-0001, as the server said it
    assert (True, 9, b"are you there") in seen.frames and (False, 10, b"are you there") in seen.frames


async def test_a_refused_handshake_reaches_the_app_as_the_upstream_sent_it(keyed_server):
    async def refusal(url: str):
        with pytest.raises(InvalidStatus) as caught:
            await websockets.connect(f"{url}?{QUERY}", additional_headers={"Authorization": "Token wrong"})
        return caught.value.response

    direct = await refusal(keyed_server.url)
    async with tapped(keyed_server.url) as url:
        through = await refusal(url)
        ok = await websockets.connect(f"{url}?{QUERY}", additional_headers={"Authorization": f"Token {TEST_KEY}"})
        await ok.close()
    assert through.status_code == direct.status_code == 401
    assert json.loads(through.body)["err_code"] == json.loads(direct.body)["err_code"] == "INVALID_AUTH"
    assert through.headers["dg-error"] == direct.headers["dg-error"] and through.headers["dg-request-id"]


async def test_an_unreachable_upstream_is_a_502_naming_it():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    upstream = f"ws://127.0.0.1:{port}"
    async with tapped(upstream) as url:
        with pytest.raises(InvalidStatus) as caught:
            await websockets.connect(f"{url}?{QUERY}")
    response = caught.value.response
    assert response.status_code == 502 and upstream in json.loads(response.body)["err_msg"]


async def test_the_upstream_gone_mid_stream_gives_the_app_the_close_a_dropped_deepgram_gives():
    async def drops(ws) -> None:  # type: ignore[no-untyped-def]
        await ws.recv()  # some audio, then the connection is cut: no close frame
        ws.transport.abort()

    async def close_seen(url: str) -> tuple[int | None, str | None]:
        async with websockets.connect(f"{url}?{QUERY}") as ws:
            await ws.send(b"\0" * 3200)
            with pytest.raises(ConnectionClosed):
                async with asyncio.timeout(10):
                    await ws.recv()
        return ws.close_code, ws.close_reason

    async with websockets.serve(drops, "127.0.0.1", 0) as upstream:
        url = f"ws://127.0.0.1:{upstream.sockets[0].getsockname()[1]}/v1/listen"
        direct = await close_seen(url)
        async with tapped(url) as tap_url:
            through = await close_seen(tap_url)
    assert through == direct == (1006, "")


async def test_the_upstreams_tls_is_verified_and_a_private_ca_can_be_given(tmp_path):
    import ssl

    import trustme

    ca = trustme.CA()
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(served)
    ca.cert_pem.write_to_path(tmp_path / "ca.pem")

    async def hello(ws) -> None:  # type: ignore[no-untyped-def]
        await ws.send("hello over tls")

    async with websockets.serve(hello, "127.0.0.1", 0, ssl=served) as upstream:
        url = f"wss://127.0.0.1:{upstream.sockets[0].getsockname()[1]}"
        trusted = await start_tap("127.0.0.1", 0, Upstream.from_url(url, ca=str(tmp_path / "ca.pem")))
        untrusted = await start_tap("127.0.0.1", 0, Upstream.from_url(url))
        try:
            async with websockets.connect(f"ws://127.0.0.1:{trusted.port}/v1/listen") as ws:
                assert await ws.recv() == "hello over tls"
            with pytest.raises(InvalidStatus) as caught:
                await websockets.connect(f"ws://127.0.0.1:{untrusted.port}/v1/listen")
        finally:
            await trusted.close()
            await untrusted.close()
    body = json.loads(caught.value.response.body)
    assert caught.value.response.status_code == 502 and "CERTIFICATE_VERIFY_FAILED" in body["err_msg"]
