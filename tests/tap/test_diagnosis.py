"""The classic mistakes, each triggered by what an app that makes it sends, each said once with what to do."""

from __future__ import annotations

import websockets

from dgtui.state.stream import StreamState
from dgtui.tap.analysis import TappedStream
from dgtui.tap.diagnosis import Diagnostician
from dgtui.tap.relay import Upstream, start_tap
from tests.support.audio import clip_pcm, encode
from tests.support.tap import until_closed

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


async def test_an_app_that_sends_a_wav_file_as_raw_pcm_and_hangs_up_is_told_both(server):
    streams: list[StreamState] = []
    tap = await start_tap("127.0.0.1", 0, Upstream.from_url(server.url),
                          lambda peer: TappedStream(peer, "ws://upstream", streams.append))  # fmt: skip
    url = f"ws://127.0.0.1:{tap.sockets[0].getsockname()[1]}/v1/listen?encoding=linear16&sample_rate=16000"
    wav = encode(clip_pcm("council")[: 32000 * 4], 16000, "wav", "pcm_s16le")
    try:
        async with websockets.connect(url) as ws:
            await ws.send(wav)  # header and all, while the query says raw linear16
        # ... and closed without CloseStream: whatever was not final yet is lost
        await until_closed(streams)
    finally:
        tap.close()
        await tap.wait_closed()
    logged = " ".join(entry.text for entry in streams[0].log.entries)
    assert "a WAV file (RIFF header) while its query says raw audio" in logged
    assert "closed without CloseStream" in logged and "those words were lost" in logged
