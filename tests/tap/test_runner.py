"""The tap's runner: streams numbered as they come, recorded with the app's audio when asked, diagnosed as time
passes, and the app's connections cut (and said so) when the tap stops."""

from __future__ import annotations

import asyncio

import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from dgtui.tap import diagnosis, runner
from tests.support.audio import clip_pcm
from tests.support.tap import running_tap, until_closed

QUERY = "encoding=linear16&sample_rate=16000"


async def test_the_passing_time_diagnoses_an_app_that_sends_nothing(make_server, monkeypatch):
    monkeypatch.setattr(runner, "TICK_S", 0.05)
    monkeypatch.setattr(diagnosis, "NO_AUDIO_S", 0.3)
    upstream = make_server(engine="synthetic")
    async with running_tap(upstream.url) as tap, websockets.connect(f"{tap.url}/v1/listen?{QUERY}"):
        for _ in range(100):
            if tap.sessions and tap.sessions[0].state.sending.latest():
                break
            await asyncio.sleep(0.02)
        finding = tap.sessions[0].state.sending.latest()
        assert finding is not None and finding.code == "no-audio" and "after the open" in finding.message
        assert tap.sessions[0].state.connection.phase.value == "streaming"  # said before Deepgram closes


async def test_stopping_the_tap_cuts_the_apps_connections_and_ends_their_streams(make_server, tmp_path):
    upstream = make_server(engine="synthetic")
    async with running_tap(upstream.url, record_dir=tmp_path, keep_audio=True) as tap:
        ws = await websockets.connect(f"{tap.url}/v1/listen?{QUERY}&tag=first")
        second = await websockets.connect(f"{tap.url}/v1/listen?{QUERY}&tag=second")
        await ws.send(clip_pcm("weather")[:32000])
        for _ in range(100):
            if len(tap.sessions) == 2 and tap.sessions[0].state.audio.cursor == 1.0:
                break
            await asyncio.sleep(0.02)
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(ws.recv(), 10)
    await until_closed(tap.sessions, 2)
    assert [s.number for s in tap.sessions] == [1, 2] and [s.name for s in tap.sessions] == ["first", "second"]
    assert all(s.state.connection.phase.value == "closed" and not s.state.clean for s in tap.sessions)
    kept = sorted(tmp_path.rglob("*.audio.wav"))
    assert [p.name.split("-")[0] for p in kept] == ["first"]  # audio only where audio came
    assert kept[0].read_bytes()[44:] == clip_pcm("weather")[:32000]
    await second.close()


async def test_200_concurrent_streams_pass_whole_and_in_order(make_server):
    """The issue's load: 200 tapped streams at once against the synthetic engine, every frame forwarded in order
    (the server's Metadata counts every audio byte; each app receives exactly what the tap saw arriving)."""
    upstream = make_server(engine="synthetic", workers=2, max_connections=400)
    pcm = clip_pcm("weather")[: 32000 * 2]

    async def app(tap_url: str, n: int) -> list[str]:
        async with websockets.connect(f"{tap_url}/v1/listen?{QUERY}&tag=s{n}&interim_results=true") as ws:
            for offset in range(0, len(pcm), 3200):
                await ws.send(pcm[offset : offset + 3200])
            await ws.send('{"type":"CloseStream"}')
            return [message async for message in ws]  # type: ignore[misc]

    async with running_tap(upstream.url) as tap:
        received = await asyncio.gather(*(app(tap.url, n) for n in range(200)))
        await until_closed(tap.sessions, 200)
        seen = {s.name: s.state for s in tap.sessions}
    assert len(seen) == 200
    for n, messages in enumerate(received):
        state = seen[f"s{n}"]
        assert [entry.raw for entry in state.log.raw] == messages and state.log.raw_seq == len(messages)
        assert state.metrics.bytes_sent == len(pcm) and state.clean
        assert '"duration":2.0' in messages[-1].replace(" ", "")  # the upstream got every byte: its Metadata


async def test_a_tapped_recording_replays_as_the_apps_stream_with_its_diagnoses(server, tmp_path):
    from dgtui.recordings.replay import ReplaySession
    from tests.support.audio import encode

    wav = encode(clip_pcm("council")[: 32000 * 3], 16000, "wav", "pcm_s16le")
    async with running_tap(server.url, record_dir=tmp_path) as tap:
        async with websockets.connect(f"{tap.url}/v1/listen?{QUERY}&tag=replayed") as ws:
            await ws.send(wav)  # a WAV header as raw audio
            await ws.send('{"type":"CloseStream"}')
            async for _ in ws:
                pass
        await until_closed(tap.sessions)
        live = tap.sessions[0]
    assert live.recording_path is not None
    replay = ReplaySession(live.recording_path)
    replay.jump_to_end()
    replay.advance(1e9)
    state = replay.state
    assert state.setup.tapped and state.name == "replayed"
    assert (
        [f.code for f in state.sending.findings]
        == [f.code for f in live.state.sending.findings]
        == ["container-as-raw"]
    )
    assert state.transcript.text() == live.state.transcript.text()
    assert state.audio.cursor == round(live.state.audio.cursor, 6)  # recorded to the microsecond
