"""The classic mistakes, each triggered by what an app that makes it sends, each said once with what to do."""

from __future__ import annotations

import asyncio

import pytest
import websockets
from websockets.exceptions import ConnectionClosedError

from dgtui.tap import diagnosis
from dgtui.tap.diagnosis import Diagnostician
from tests.support.audio import clip_pcm, encode
from tests.support.tap import running_tap, until_closed

CHUNK = b"\0" * 3200  # 100 ms of linear16


def codes(found) -> list[str]:  # type: ignore[no-untyped-def]
    return [d.code for d in found]


def test_a_container_sent_as_raw_audio():
    doctor = Diagnostician(raw=True)
    found = doctor.audio(0.0, b"RIFF\x24\x00\x00\x00WAVEfmt ", 0.1)
    assert codes(found) == ["container-as-raw"] and "WAV" in found[0].message and "encoding" in found[0].message
    assert Diagnostician(raw=False).audio(0.0, b"RIFF....", 0.0) == []  # a container without encoding: right


def test_the_pace_against_real_time_once_judged():
    fast = Diagnostician(raw=True)
    assert codes(fast.audio(0.0, CHUNK, 0.1) + fast.audio(6.0, CHUNK, 30.0)) == ["fast"]
    assert fast.audio(7.0, CHUNK, 40.0) == []  # said once
    slow = Diagnostician(raw=True)
    assert codes(slow.audio(0.0, CHUNK, 0.1) + slow.audio(6.0, CHUNK, 3.0)) == ["slow"]
    steady = Diagnostician(raw=True)
    assert steady.audio(0.0, CHUNK, 0.1) + steady.audio(6.0, CHUNK, 6.0) == []


def test_a_long_pause_without_keepalive_and_not_with_it():
    quiet = Diagnostician(raw=True)
    quiet.audio(0.0, CHUNK, 0.1)
    assert codes(quiet.audio(9.0, CHUNK, 9.0)) == ["no-keepalive"]
    kept = Diagnostician(raw=True)
    kept.audio(0.0, CHUNK, 0.1)
    kept.control(4.0, "KeepAlive")
    assert kept.audio(9.0, CHUNK, 9.0) == [] and Diagnostician(raw=True, flux=True)._pause(20.0) == []


def test_a_close_that_loses_the_tail_and_a_connection_that_never_got_audio():
    careless = Diagnostician(raw=True)
    assert codes(careless.app_closed(cursor=6.0, final_end=3.2)) == ["tail-lost"]
    careful = Diagnostician(raw=True)
    careful.control(5.0, "CloseStream")
    assert careful.app_closed(cursor=6.0, final_end=3.2) == []
    assert Diagnostician(raw=True).app_closed(cursor=3.4, final_end=3.2) == []  # nothing pending
    silent = Diagnostician(raw=True)
    found = silent.no_audio(1011)
    assert codes(found) == ["no-audio"] and "NET-0001" in found[0].message


def test_a_sample_rate_that_disagrees_with_the_audio():
    told = Diagnostician(raw=True, sample_rate=8000)
    found = told.audio(0.0, b"RIFF", 0.1, header_rate=16000)
    assert "sample-rate" in codes(found) and "sample_rate=16000" in found[-1].message
    paced = Diagnostician(raw=True, sample_rate=8000)  # 16 kHz audio paced in real time, declared as 8 kHz
    found = paced.audio(0.0, CHUNK, 0.2) + paced.audio(6.0, CHUNK, 12.0)
    assert codes(found) == ["sample-rate"] and "16000 Hz" in found[0].message
    unpaced = Diagnostician(raw=True, sample_rate=16000)  # 7.3x matches no ratio of common rates: a fast file
    assert codes(unpaced.audio(0.0, CHUNK, 0.1) + unpaced.audio(6.0, CHUNK, 44.0)) == ["fast"]


def test_the_passing_time_tells_no_audio_and_a_pause_as_they_happen():
    silent = Diagnostician(raw=True, opened_at=100.0)
    assert silent.tick(103.0) == [] and codes(silent.tick(105.5)) == ["no-audio"] and silent.tick(107.0) == []
    assert silent.no_audio(1011) == []  # said once, before the close
    pausing = Diagnostician(raw=True, opened_at=0.0)
    pausing.audio(1.0, CHUNK, 0.1)
    assert pausing.tick(5.0) == [] and codes(pausing.tick(9.5)) == ["no-keepalive"]


async def test_an_app_that_sends_a_wav_file_as_raw_pcm_and_hangs_up_is_told_both(server):
    wav = encode(clip_pcm("council")[: 32000 * 4], 16000, "wav", "pcm_s16le")
    async with running_tap(server.url) as tap:
        async with websockets.connect(f"{tap.url}/v1/listen?encoding=linear16&sample_rate=8000") as ws:
            await ws.send(wav)  # header and all, while the query says raw linear16 (and the wrong rate)
        # ... and closed without CloseStream: whatever was not final yet is lost
        await until_closed(tap.sessions)
        state = tap.sessions[0].state
    logged = " ".join(entry.text for entry in state.log.entries)
    assert "a WAV file (RIFF header) while its query says raw audio" in logged
    assert "closed without CloseStream" in logged and "those words were lost" in logged
    assert "the query says sample_rate=8000 but its WAV header says 16000 Hz" in logged
    assert {f.code for f in state.sending.findings} == {"container-as-raw", "tail-lost", "sample-rate"}
    assert state.sending.latest() is not None and state.connection.errors == 0  # mistakes, not errors


async def test_an_app_that_never_sends_audio_is_told_why_deepgram_closed(make_server):
    quiet = make_server(idle_timeout=1.0, engine="synthetic")
    async with running_tap(quiet.url) as tap:
        async with websockets.connect(f"{tap.url}/v1/listen?encoding=linear16&sample_rate=16000") as ws:
            with pytest.raises(ConnectionClosedError):
                async for _ in ws:
                    pass
        await until_closed(tap.sessions)
        state = tap.sessions[0].state
    assert ws.close_code == 1011 and state.connection.close_code == 1011
    finding = state.sending.latest()
    assert finding is not None and finding.code == "no-audio" and "NET-0001" in finding.message


async def test_an_app_sending_unpaced_slowly_or_pausing_without_keepalive_is_told(make_server, monkeypatch):
    """Each mistake made by a real client through the tap (the thresholds shortened: seconds, not minutes)."""
    monkeypatch.setattr(diagnosis, "PACE_AFTER_S", 1.0)
    monkeypatch.setattr(diagnosis, "PAUSE_S", 1.0)
    upstream = make_server(engine="synthetic")
    second = b"\1\0" * 16000

    async def app(tap_url: str, tag: str, chunks: int, every: float, pause_after: int | None = None) -> None:
        url = f"{tap_url}/v1/listen?encoding=linear16&sample_rate=16000&tag={tag}"
        async with websockets.connect(url) as ws:
            for n in range(chunks):
                await ws.send(second[:3200])
                await asyncio.sleep(1.3 if n == pause_after else every)
            await ws.send('{"type":"CloseStream"}')
            async for _ in ws:
                pass

    async with running_tap(upstream.url) as tap:
        await asyncio.gather(app(tap.url, "unpaced", 60, 0.02), app(tap.url, "slow", 14, 0.16),
                             app(tap.url, "pausing", 14, 0.1, pause_after=3))  # fmt: skip
        await until_closed(tap.sessions, 3)
        found = {s.name: {f.code for f in s.state.sending.findings} for s in tap.sessions}
    assert found["unpaced"] == {"fast"} and found["slow"] == {"slow"}  # 0.62x: no ratio of two capture rates
    assert "no-keepalive" in found["pausing"]  # (its pace, 0.4x with the pause, is said too)
