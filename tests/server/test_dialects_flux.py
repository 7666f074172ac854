"""The local server on ``/v2/listen`` over real sockets: the Flux protocol, driven by real audio."""

from __future__ import annotations

import asyncio
import contextlib
import json

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from dgtui.data import clips
from tests.support.audio import clip_pcm
from tests.support.wer import word_error_rate

REFERENCE = {clip.name: clip.reference for clip in clips()}
RAW = "model=flux-general-en&encoding=linear16&sample_rate=16000"
CHUNK = 2560  # 80 ms


def v2(server, query: str = RAW) -> str:
    return server.url.replace("/v1/listen", "/v2/listen") + (f"?{query}" if query else "")


async def stream(url: str, pcm: bytes, controls: list[str], pace: float = 0.0) -> tuple[list[dict], int | None]:
    """Send the audio (then the control messages) and read every message to the close."""
    received: list[dict] = []
    async with asyncio.timeout(120):
        async with connect(url) as ws:

            async def send() -> None:
                for offset in range(0, len(pcm), CHUNK):
                    await ws.send(pcm[offset : offset + CHUNK])
                    await asyncio.sleep(pace)
                for control in controls:
                    await ws.send(control)

            sender = asyncio.create_task(send())
            with contextlib.suppress(ConnectionClosed):  # a fatal Error closes with a code of its own
                async for raw in ws:
                    received.append(json.loads(raw))
            with contextlib.suppress(ConnectionClosed):
                await sender
            return received, ws.close_code


def turn_events(received: list[dict]) -> list[str]:
    return [m["event"] for m in received if m["type"] == "TurnInfo" and m["event"] != "Update"]


async def test_a_clip_becomes_turns_with_one_sequence_and_a_close_without_status(server):
    pcm = clip_pcm("weather")
    received, code = await stream(v2(server, RAW + "&eager_eot_threshold=0.4"), pcm, ['{"type":"CloseStream"}'])
    assert received[0]["type"] == "Connected" and received[0]["sequence_id"] == 0
    assert [m["sequence_id"] for m in received] == list(range(len(received)))  # one counter for all
    request_ids = {m["request_id"] for m in received}
    assert len(request_ids) == 1 and code == 1005  # CloseStream: closed with no status code
    events = turn_events(received)
    ends = [m for m in received if m.get("event") == "EndOfTurn"]
    assert events.count("StartOfTurn") == len(ends) >= 3 and "EagerEndOfTurn" in events
    assert all(m["trigger"] in ("model", "timeout") for m in ends)
    for index, end in enumerate(ends):  # turn_index counts turns; EndOfTurn repeats the eager transcript
        assert end["turn_index"] == index
        before = [m for m in received[: received.index(end)] if m.get("event") in ("EagerEndOfTurn", "TurnResumed")]
        if before and before[-1]["event"] == "EagerEndOfTurn" and before[-1]["turn_index"] == index:
            assert before[-1]["transcript"] == end["transcript"]
    updates = [m for m in received if m.get("event") == "Update"]
    ticks = [m["audio_window_end"] for m in updates]
    assert ticks[:3] == [0.25, 0.5, 0.75] and updates[0]["transcript"] == ""  # by audio, before speech too
    words = [w for end in ends for w in end["words"]]
    assert all(w["start"] <= w["end"] for w in words) and words == sorted(words, key=lambda w: w["start"])
    text = " ".join(end["transcript"] for end in ends)
    assert word_error_rate(REFERENCE["weather"], text) <= 0.25, text  # as on /v1/listen


async def test_force_end_turn_configure_and_warnings(server):
    pcm = clip_pcm("council")[: 32000 * 3]  # mid-sentence at 3 s
    controls = [
        '{"type":"ForceEndTurn"}',
        '{"type":"Configure","thresholds":{"eot_threshold":0.8,"eager_eot_threshold":0.5},"keyterms":["Deepgram"]}',
        '{"type":"Configure","thresholds":{"eot_threshold":0.2}}',
        '{"type":"ForceEndTurn"}',
        '{"type":"CloseStream"}',
    ]
    received, code = await stream(v2(server), pcm, controls)
    manual = [m for m in received if m.get("event") == "EndOfTurn" and m["trigger"] == "manual"]
    assert len(manual) == 1 and manual[0]["transcript"]
    success, failure = (
        next(m for m in received if m["type"] == kind) for kind in ("ConfigureSuccess", "ConfigureFailure")
    )
    assert success["thresholds"] == {"eot_threshold": 0.8, "eager_eot_threshold": 0.5, "eot_timeout_ms": 5000}
    assert success["keyterms"] == ["Deepgram"] and "eot_threshold" in failure["description"]
    warning = next(m for m in received if m["type"] == "Warning")
    assert warning["code"] == "FORCE_END_TURN_NO_ACTIVE_TURN" and code == 1005


@pytest.mark.parametrize(
    "message",
    [
        '{"type":"KeepAlive"}',
        '{"type":"Configure","numerals":"true"}',
        "not json",
        '{"type":"Configure","features":{}}',
    ],
)
async def test_a_message_flux_cannot_parse_is_a_fatal_error(server, message):
    received, code = await stream(v2(server), clip_pcm("weather")[:32000], [message])
    error = received[-1]
    assert error["type"] == "Error" and error["code"] == "UNPARSABLE_CLIENT_MESSAGE" and "request_id" not in error
    assert error["sequence_id"] == len(received) - 1 and code == 1008


@pytest.mark.parametrize(
    ("path", "query", "words"),
    [
        ("/v2/listen", "model=nova-3&encoding=linear16&sample_rate=16000", "flux-general-en"),
        ("/v2/listen", RAW + "&eot_threshold=0.3", "eot_threshold"),
        ("/v2/listen", RAW + "&eager_eot_threshold=0.8&eot_threshold=0.6", "must not be above"),
        ("/v2/listen", RAW + "&eot_timeout_ms=100", "eot_timeout_ms"),
        ("/v2/listen", RAW + "&interim_results=true", "Nova (/v1/listen) option"),
        ("/v2/listen", RAW + "&language_hint=en", "flux-general-multi"),
        ("/v2/listen", RAW + "&redact=pci", "redact"),
        ("/v2/listen", "model=flux-general-en&encoding=linear16", "sample_rate"),
        ("/v1/listen", "model=flux-general-en&encoding=linear16&sample_rate=16000", "V2_MODEL_ON_V1_LISTEN_ENDPOINT"),
    ],
)
def test_bad_settings_are_refused_at_the_handshake(server, path, query, words):
    url = server.url.replace("/v1/listen", path).replace("ws://", "http://") + "?" + query
    response = httpx.get(url, headers={"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                                       "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}, timeout=10)  # fmt: skip
    assert response.status_code == 400 and words in response.text, response.text
    assert response.headers["dg-request-id"]


async def test_pings_are_answered_and_the_upgrade_names_the_request(server):
    async with connect(v2(server)) as ws:
        assert ws.response.headers["dg-request-id"]
        connected = json.loads(await ws.recv())
        assert connected == {"type": "Connected", "request_id": ws.response.headers["dg-request-id"], "sequence_id": 0}
        async with asyncio.timeout(5):
            await (await ws.ping())
        await ws.send('{"type":"CloseStream"}')
        async with asyncio.timeout(20):
            await ws.wait_closed()
    assert ws.close_code == 1005


async def test_container_audio_needs_no_encoding(server, clip_file):
    with pytest.raises(InvalidStatus):  # encoding without sample_rate: a handshake 400
        async with connect(v2(server, "model=flux-general-en&encoding=linear16")):
            pass
    data = clip_file("weather", seconds=6.0).read_bytes()
    received, code = await stream(v2(server, "model=flux-general-en"), data, ['{"type":"CloseStream"}'])
    assert "StartOfTurn" in turn_events(received) and code == 1005


@pytest.mark.parametrize("name", sorted(REFERENCE))
async def test_every_bundled_clip_is_transcribed_in_turns_as_well_as_on_v1(server, name):
    received, code = await stream(v2(server), clip_pcm(name), ['{"type":"ForceEndTurn"}', '{"type":"CloseStream"}'])
    ends = [m for m in received if m.get("event") == "EndOfTurn"]
    text = " ".join(end["transcript"] for end in ends)
    assert word_error_rate(REFERENCE[name], text) <= 0.20, text  # the bound of the v1 clip tests
    assert len(ends) >= 3 and code == 1005


async def test_a_silent_flux_stream_is_closed_with_inactive_client(make_server):
    quiet = make_server(workers=1, admission=False, flux_idle_timeout=1.0)  # Deepgram's window is 60 s
    async with connect(v2(quiet)) as ws:
        messages = []
        with contextlib.suppress(ConnectionClosed):
            async with asyncio.timeout(20):
                async for raw in ws:
                    messages.append(json.loads(raw))
    assert [m["type"] for m in messages] == ["Connected", "Error"] and messages[-1]["code"] == "INACTIVE_CLIENT"
    assert ws.close_code == 1011
