"""The local server's protocol behaviour over real sockets: control messages, auth, validation, timeouts,
audio formats, channels and limits."""

from __future__ import annotations

import asyncio
import json
import os
import time

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from dgtui.data import clip
from tests.conftest import TEST_KEY
from tests.support.audio import clip_pcm, encode, interleave
from tests.support.client import stream
from tests.support.wer import word_error_rate

RAW16 = "encoding=linear16&sample_rate=16000"
SECOND = 32000  # bytes of 16 kHz s16 mono


async def collect(ws, until: str | None = None, timeout: float = 30.0) -> list[dict]:
    """Messages until the close (or until a message of type ``until``), bounded in time."""
    messages: list[dict] = []
    try:
        async with asyncio.timeout(timeout):
            async for raw in ws:
                messages.append(json.loads(raw))
                if until and messages[-1].get("type") == until:
                    break
    except ConnectionClosed:
        pass
    return messages


async def send_audio(ws, pcm: bytes, chunk: int = 3200) -> None:
    for offset in range(0, len(pcm), chunk):
        await ws.send(pcm[offset : offset + chunk])


# -- control messages --------------------------------------------------------------------------------------


async def test_finalize_flushes_with_from_finalize_and_the_stream_goes_on(server):
    pcm = clip_pcm("weather")
    async with websockets.connect(f"{server.url}?{RAW16}&interim_results=true&endpointing=false") as ws:
        await send_audio(ws, pcm[: int(2.6 * SECOND)])  # "Good morning and welcome to the weather report."
        await ws.send('{"type":"Finalize"}')
        messages: list[dict] = []
        async with asyncio.timeout(30):
            while not any(m.get("from_finalize") for m in messages):
                messages.append(json.loads(await ws.recv()))
        flushed = [m for m in messages if m.get("from_finalize")]
        assert len(flushed) == 1
        assert flushed[0]["is_final"] and flushed[0]["speech_final"]
        assert "morning" in flushed[0]["channel"]["alternatives"][0]["transcript"]
        await send_audio(ws, pcm[int(2.6 * SECOND) : int(8 * SECOND)])
        await ws.send('{"type":"CloseStream"}')
        rest = await collect(ws)
    assert any(m["type"] == "Results" and m["channel"]["alternatives"][0]["words"] for m in rest)
    assert rest[-1]["type"] == "Metadata"
    assert ws.close_code == 1000


async def test_empty_binary_frame_closes_like_closestream(server):
    run = await stream(server.url, clip_pcm("council")[: 6 * SECOND], RAW16, realtime=False, close_with=b"")
    assert run.close_code == 1000
    assert run.messages[-1].type == "Metadata"
    assert "train" in run.transcript()


async def test_keepalive_has_no_reply_and_holds_an_idle_stream_open(make_server):
    short = make_server(idle_timeout=1.0)
    async with websockets.connect(f"{short.url}?{RAW16}") as ws:
        await ws.send(clip_pcm("weather")[:SECOND])
        for _ in range(6):  # 2.4 s without audio: only KeepAlive
            await asyncio.sleep(0.4)
            await ws.send('{"type":"KeepAlive"}')
        assert ws.state.name == "OPEN"
        await ws.send('{"type":"CloseStream"}')
        messages = await collect(ws)
    assert ws.close_code == 1000
    assert [m["type"] for m in messages].count("Metadata") == 1


async def test_idle_stream_gets_metadata_then_1011_net0001(make_server):
    short = make_server(idle_timeout=1.0)
    started = time.monotonic()
    async with websockets.connect(f"{short.url}?{RAW16}") as ws:
        await ws.send(clip_pcm("weather")[: SECOND // 2])
        messages = await collect(ws, timeout=15)
    assert time.monotonic() - started >= 1.0
    assert messages[-1]["type"] == "Metadata"
    assert messages[-1]["duration"] == pytest.approx(0.5, abs=0.01)
    assert ws.close_code == 1011
    assert "net0001" in ws.close_reason


async def test_unparsable_text_gets_schema_error_and_the_stream_goes_on(server):
    async with websockets.connect(f"{server.url}?{RAW16}") as ws:
        await ws.send("this is not json")
        error = json.loads(await asyncio.wait_for(ws.recv(), 10))
        await ws.send('{"type":"Bogus"}')
        second = json.loads(await asyncio.wait_for(ws.recv(), 10))
        await send_audio(ws, clip_pcm("council")[: 5 * SECOND])
        await ws.send('{"type":"CloseStream"}')
        rest = await collect(ws)
    assert error["type"] == "Error" and error["variant"] == "SchemaError"
    assert error["message"] == "this is not json"
    assert second["variant"] == "SchemaError"
    assert any(m["type"] == "Results" and m["channel"]["alternatives"][0]["transcript"] for m in rest)
    assert ws.close_code == 1000


async def test_configure_replies_success_or_failure(server):
    async with websockets.connect(f"{server.url}?{RAW16}") as ws:
        await ws.send('{"type":"Configure","features":{"numerals":true}}')
        success = json.loads(await asyncio.wait_for(ws.recv(), 10))
        await ws.send('{"type":"Configure","keyterms":["Deepgram"]}')
        failure = json.loads(await asyncio.wait_for(ws.recv(), 10))
        await ws.send('{"type":"CloseStream"}')
        await collect(ws)
    assert success["type"] == "ConfigureSuccess"
    assert failure["type"] == "ConfigureFailure"
    assert failure["code"] == "CONFIGURE_KEYTERMS_NOT_SUPPORTED"
    assert success["request_id"] == failure["request_id"] == ws.response.headers["dg-request-id"]


# -- auth ------------------------------------------------------------------------------------------------


async def _handshake_error(url: str, **kwargs) -> InvalidStatus:
    with pytest.raises(InvalidStatus) as caught:
        async with websockets.connect(url, **kwargs):
            pass
    return caught.value


@pytest.mark.parametrize(
    "headers",
    [
        None,
        {"Authorization": "Token wrong-key"},
        {"Authorization": TEST_KEY},
        {"Authorization": "Basic " + TEST_KEY},
    ],
    ids=["missing", "wrong-key", "no-scheme", "wrong-scheme"],
)
async def test_bad_credentials_get_401_in_deepgram_shape(keyed_server, headers):
    error = await _handshake_error(f"{keyed_server.url}?{RAW16}", additional_headers=headers)
    response = error.response
    body = json.loads(response.body)
    assert response.status_code == 401
    assert body["err_code"] == "INVALID_AUTH"
    assert response.headers["dg-error"] == body["err_msg"]
    assert response.headers["dg-request-id"] == body["request_id"]
    assert TEST_KEY not in response.body.decode() + str(response.headers)


@pytest.mark.parametrize(
    "how",
    [
        {"additional_headers": {"Authorization": f"Token {TEST_KEY}"}},
        {"additional_headers": {"Authorization": f"token {TEST_KEY}"}},
        {"additional_headers": {"Authorization": f"Bearer {TEST_KEY}"}},
        {"subprotocols": ["token", TEST_KEY]},
    ],
    ids=["token", "token-lowercase", "bearer", "subprotocol"],
)
async def test_good_credentials_are_accepted(keyed_server, how):
    async with websockets.connect(f"{keyed_server.url}?{RAW16}", **how) as ws:
        assert ws.response.headers["dg-request-id"]
        if "subprotocols" in how:
            assert ws.subprotocol == "token"
        await ws.send('{"type":"CloseStream"}')
        messages = await collect(ws)
    assert messages[-1]["type"] == "Metadata"
    assert ws.close_code == 1000


# -- query validation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("interim_results=True", "interim_results"),
        ("encoding=mp4&sample_rate=16000", "encoding"),
        ("encoding=linear16&sample_rate=abc", "sample_rate"),
        ("encoding=linear16", "sample_rate"),
        ("endpointing=soon", "endpointing"),
        ("channels=0&encoding=linear16&sample_rate=8000", "channels"),
        ("language=es", "language"),
        ("model=nova-3&keywords=deepgram", "keywords"),
        ("encoding=opus&sample_rate=48000", "encoding"),
    ],
)
async def test_bad_query_gets_400_naming_the_parameter(server, query, param):
    error = await _handshake_error(f"{server.url}?{query}")
    body = json.loads(error.response.body)
    assert error.response.status_code == 400
    assert body["err_code"] == "INVALID_QUERY_PARAMETER"
    assert param in body["err_msg"].lower()
    assert error.response.headers["dg-error"] == body["err_msg"]


async def test_unknown_parameters_pass_and_the_upgrade_carries_a_request_id(server):
    async with websockets.connect(f"{server.url}?{RAW16}&future_feature=on&tag=a&tag=b") as ws:
        request_id = ws.response.headers["dg-request-id"]
        await ws.send('{"type":"CloseStream"}')
        messages = await collect(ws)
    assert messages[-1]["request_id"] == request_id


async def test_wrong_path_is_404(server):
    error = await _handshake_error(server.url.replace("/v1/listen", "/v3/listen"))
    assert error.response.status_code == 404
    assert error.response.headers["dg-request-id"]


# -- audio formats -----------------------------------------------------------------------------------------

# The weather report's first three sentences (to 14.8 s, in the pause before "Tomorrow"): every format decodes
# them as it would the whole clip, at half the engine's work.
WEATHER = ". ".join(clip("weather").reference.split(". ")[:3]) + "."
OPENING = int(14.8 * 16000) * 2


def weather() -> bytes:
    return clip_pcm("weather")[:OPENING]


def _raw(encoding: str, rate: int) -> bytes:
    codec = {"linear16": "pcm_s16le", "linear32": "pcm_f32le", "mulaw": "pcm_mulaw", "alaw": "pcm_alaw"}[encoding]
    return encode(weather(), 16000, "", codec, out_rate=rate, raw=True)


#: name -> (audio, query, WER bound). The engine's acoustic model is 16 kHz wideband: narrowband (8 kHz)
#: telephone audio decodes correctly but recognizes worse (0.44-0.61 on the opening), hence its looser bound,
#: still far from a wrong decoding (mu-law read as A-law and the like: 0.88-0.98).
NARROW = 0.7
FORMATS = {
    "linear16-8k": (lambda: _raw("linear16", 8000), "encoding=linear16&sample_rate=8000", NARROW),
    "mulaw-8k": (lambda: _raw("mulaw", 8000), "encoding=mulaw&sample_rate=8000", NARROW),
    "alaw-8k": (lambda: _raw("alaw", 8000), "encoding=alaw&sample_rate=8000", NARROW),
    "mulaw-16k": (lambda: _raw("mulaw", 16000), "encoding=mulaw&sample_rate=16000", 0.25),
    "linear32-48k": (lambda: _raw("linear32", 48000), "encoding=linear32&sample_rate=48000", 0.25),
    "wav": (lambda: encode(weather(), 16000, "wav", "pcm_s16le"), "", 0.25),
    "mp3": (lambda: encode(weather(), 16000, "mp3", "libmp3lame", 44100, "stereo"), "", 0.25),
    "ogg-opus": (lambda: encode(weather(), 16000, "ogg", "libopus", out_rate=48000), "", 0.25),
    "webm-opus": (lambda: encode(weather(), 16000, "webm", "libopus", out_rate=48000), "", 0.25),
    "flac": (lambda: encode(weather(), 16000, "flac", "flac", out_rate=22050), "", 0.25),
}


@pytest.fixture(scope="module")
def format_runs(server):
    async def all_formats():
        # Containers and raw audio are sent as fast as the server takes them, 4 KiB at a time.
        jobs = [
            stream(server.url, make(), query, realtime=False, bytes_per_second=40960)
            for make, query, _ in FORMATS.values()
        ]
        return await asyncio.gather(*jobs)

    return dict(zip(FORMATS, asyncio.run(all_formats()), strict=True))


@pytest.mark.parametrize("name", list(FORMATS))
def test_every_encoding_and_container_transcribes(format_runs, name):
    run = format_runs[name]
    assert run.close_code == 1000, run.close_reason
    wer = word_error_rate(WEATHER, run.transcript())
    assert wer <= FORMATS[name][2], f"{name}: WER {wer:.3f}: {run.transcript()}"
    metadata = run.messages[-1].data
    assert metadata["type"] == "Metadata"
    assert metadata["duration"] == pytest.approx(OPENING / SECOND, abs=0.1)


async def test_undecodable_audio_closes_1008_data0000(server):
    run = await stream(server.url, os.urandom(64 * 1024), "", realtime=False, bytes_per_second=40960)
    assert run.close_code == 1008
    assert "DATA-0000" in run.close_reason
    assert run.messages[-1].type == "Metadata"


# -- channels ----------------------------------------------------------------------------------------------


async def test_multichannel_transcribes_each_channel(server):
    left, right = clip_pcm("weather")[: 12 * SECOND], clip_pcm("council")[: 12 * SECOND]
    stereo = interleave(left, right)
    query = "encoding=linear16&sample_rate=16000&channels=2&multichannel=true"
    run = await stream(server.url, stereo, query, realtime=False, bytes_per_second=64000)
    assert run.close_code == 1000
    assert {tuple(r["channel_index"]) for r in run.results} == {(0, 2), (1, 2)}
    assert "weather" in run.transcript(0) and "weather" not in run.transcript(1)
    assert "council" in run.transcript(1) and "council" not in run.transcript(0)
    assert run.messages[-1].data["channels"] == 2

    mixed = await stream(
        server.url,
        stereo,
        "encoding=linear16&sample_rate=16000&channels=2",
        realtime=False,
        bytes_per_second=64000,
    )
    assert {tuple(r["channel_index"]) for r in mixed.results} == {(0, 1)}


async def test_finalize_one_channel(server):
    stereo = interleave(clip_pcm("weather")[: 3 * SECOND], clip_pcm("council")[: 3 * SECOND])
    query = "encoding=linear16&sample_rate=16000&channels=2&multichannel=true&endpointing=false"
    async with websockets.connect(f"{server.url}?{query}") as ws:
        await send_audio(ws, stereo, 6400)
        await ws.send('{"type":"Finalize","channel":1}')
        await ws.send('{"type":"CloseStream"}')
        messages = await collect(ws)
    flushed = [m for m in messages if m.get("from_finalize")]
    assert flushed and all(m["channel_index"] == [1, 2] for m in flushed)


# -- limits ----------------------------------------------------------------------------------------------


async def test_connection_limit_answers_429(make_server):
    small = make_server(max_connections=1)
    async with websockets.connect(f"{small.url}?{RAW16}") as first:
        async with asyncio.timeout(10):
            while small.active_sessions < 1:
                await asyncio.sleep(0.02)
        error = await _handshake_error(f"{small.url}?{RAW16}")
        assert error.response.status_code == 429
        assert json.loads(error.response.body)["err_code"] == "TOO_MANY_REQUESTS"
        await first.send('{"type":"CloseStream"}')
        await collect(first)


async def test_oversized_frame_is_refused(make_server):
    small = make_server(max_frame_bytes=4096)
    async with websockets.connect(f"{small.url}?{RAW16}") as ws:
        await ws.send(b"\0" * 8192)
        await collect(ws, timeout=10)
    assert ws.close_code == 1009


async def test_streams_are_independent_when_one_fails(server):
    good = stream(server.url, clip_pcm("council")[: 6 * SECOND], RAW16, realtime=False)
    bad = stream(server.url, os.urandom(32 * 1024), "", realtime=False, bytes_per_second=40960)
    good_run, bad_run = await asyncio.gather(good, bad)
    assert bad_run.close_code == 1008
    assert good_run.close_code == 1000 and "train" in good_run.transcript()


# -- options that shape results ------------------------------------------------------------------------------


async def test_options_shape_results(server):
    pcm = clip_pcm("council")
    queries = {
        "no-endpointing": f"{RAW16}&endpointing=false",
        "diarize-smart": f"{RAW16}&diarize=true&smart_format=true&extra=team:news&extra=shift:late",
        "interim-off": f"{RAW16}&endpointing=300",
    }
    runs = dict(
        zip(
            queries,
            await asyncio.gather(*(stream(server.url, pcm, q, realtime=False) for q in queries.values())),
            strict=True,
        )
    )
    no_endpointing = runs["no-endpointing"]
    assert no_endpointing.finals and not any(
        r["speech_final"] for r in no_endpointing.finals if r["channel"]["alternatives"][0]["words"]
    )
    shaped = runs["diarize-smart"]
    words = [w for r in shaped.finals for w in r["channel"]["alternatives"][0]["words"]]
    assert words and all(w["speaker"] == 0 for w in words)
    spoken = [t for r in shaped.finals if (t := r["channel"]["alternatives"][0]["transcript"])]
    assert spoken[0][0].isupper()
    assert any(r["channel"]["alternatives"][0]["transcript"].endswith(".") for r in shaped.finals)
    assert all(r["metadata"]["extra"] == {"team": "news", "shift": "late"} for r in shaped.results)
    assert shaped.messages[-1].data["extra"] == {"team": "news", "shift": "late"}
    plain = runs["interim-off"]
    assert plain.results and not plain.interims
    plain_words = [w for r in plain.finals for w in r["channel"]["alternatives"][0]["words"]]
    assert plain_words and not any("punctuated_word" in w or "speaker" in w for w in plain_words)
