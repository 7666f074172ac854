"""The HTTP live-stream source against a real Icecast server on loopback (and small local servers for
failures Icecast cannot be made to produce)."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from dgtui.audio.base import SourceError, SourceHooks
from dgtui.audio.remote import HttpSource
from dgtui.live.session import LiveSession, SessionConfig
from dgtui.state.events import SessionError
from tests.support.audio import clip_pcm, encode
from tests.support.http import http_server
from tests.support.icecast import Feeder, Icecast
from tests.support.wer import word_error_rate


@pytest.fixture(scope="module")
def icecast():
    server = Icecast()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def council_mp3():
    pcm = clip_pcm("council")[: 32000 * 12]
    return encode(pcm, 16000, "mp3", "libmp3lame", out_rate=22050), len(pcm) / 32000


async def test_icecast_stream_is_transcribed_with_its_titles(icecast, council_mp3, server):
    data, seconds = council_mp3
    feeder = Feeder(icecast, "council.mp3", data, seconds).start()
    events = []
    titles: list[str] = []
    source = HttpSource(icecast.url("council.mp3"), hooks=SourceHooks(title=titles.append))
    session = LiveSession(
        SessionConfig("radio", server.url, {"punctuate": True}, duration=9.0), source, [events.append]
    )
    try:
        await asyncio.sleep(0.3)
        runner = asyncio.create_task(session.run())
        await asyncio.sleep(2.0)
        await asyncio.to_thread(icecast.set_title, "council.mp3", "Council News")
        ok = await asyncio.wait_for(runner, 60)
    finally:
        feeder.stop()
    assert ok, session.state.connection.error
    assert session.state.audio.cursor >= 9.0
    reference = "The city council met on Tuesday to discuss the new train line."
    assert word_error_rate(reference, session.state.transcript.text().split("Several")[0]) <= 0.35, (
        session.state.transcript.text()
    )
    assert "Council News" in titles
    assert not [e for e in events if isinstance(e, SessionError)]


async def test_missing_mount_is_a_clear_404(icecast):
    source = HttpSource(icecast.url("nothing-here.mp3"))
    with pytest.raises(SourceError, match=r"HTTP 404.*no stream at this address"):
        async for _ in source.chunks():
            pass


async def test_web_page_is_not_audio(icecast):
    source = HttpSource(icecast.url("status.xsl"))
    with pytest.raises(SourceError, match=r"not an audio stream .*text/(html|xml)"):
        async for _ in source.chunks():
            pass


async def test_stalled_stream_is_an_error_not_a_hang():
    async def stall(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: audio/mpeg\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(30)

    async with http_server(stall) as url:
        source = HttpSource(f"{url}/live.mp3", stall_timeout=0.5)
        with pytest.raises(SourceError, match="stalled"):
            async with asyncio.timeout(10):
                async for _ in source.chunks():
                    pass


async def test_redirects_are_followed(icecast, council_mp3):
    data, seconds = council_mp3
    feeder = Feeder(icecast, "moved.mp3", data, seconds).start()

    async def redirect(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            f"HTTP/1.1 302 Found\r\nLocation: {icecast.url('moved.mp3')}\r\nContent-Length: 0\r\n\r\n".encode()
        )
        await writer.drain()
        writer.close()

    try:
        async with http_server(redirect) as url:
            source = HttpSource(f"{url}/old.mp3")
            chunks = []
            async with asyncio.timeout(20):
                async for chunk in source.chunks():
                    chunks.append(chunk)
                    if chunk.end >= 1.0:
                        break
    finally:
        feeder.stop()
    assert chunks[-1].end >= 1.0
    assert all(b.end > a.end for a, b in itertools.pairwise(chunks))


async def test_connection_refused_is_clear():
    source = HttpSource("http://127.0.0.1:9/stream.mp3")
    with pytest.raises(SourceError, match="cannot connect"):
        async for _ in source.chunks():
            pass
