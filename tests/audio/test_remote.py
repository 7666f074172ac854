"""http(s) sources as users paste them, against real servers on loopback: a static file (Python's http.server),
a download cut halfway (resumed with Range, or refused), a chunked live stream, Icecast behind .pls and .m3u
playlists and a redirect, and HLS written by PyAV (on-demand, and a live sliding window written as the test runs).
"""

from __future__ import annotations

import asyncio
import re
import threading
import time

import pytest

from dgtui.audio.base import SourceError, SourceHooks, SourceKind
from dgtui.audio.local import FileSource
from dgtui.audio.readers import decode_packets
from dgtui.audio.remote import HttpSource, _audio_target, _is_playlist, _playlist_entries
from dgtui.live.session import LiveSession, SessionConfig
from dgtui.state.events import Reconnected, SourceOpened, SourceReopening
from tests.support.audio import clip_pcm, encode, write_hls
from tests.support.http import http_server
from tests.support.icecast import Feeder, Icecast
from tests.support.proxy import FaultProxy
from tests.support.static import static_server
from tests.support.wer import word_error_rate

OPTIONS = {"punctuate": True, "interim_results": True}


def mp3(name: str, seconds: float) -> tuple[bytes, float]:
    pcm = clip_pcm(name)[: int(32000 * seconds)]
    return encode(pcm, 16000, "mp3", "libmp3lame", out_rate=22050), len(pcm) / 32000


async def collect(source, until: float | None = None, timeout: float = 30):
    chunks = []
    async with asyncio.timeout(timeout):
        async for chunk in source.chunks():
            chunks.append(chunk)
            if until is not None and chunk.end >= until:
                break
    return chunks


def kinds(source) -> list[tuple[SourceKind, str]]:
    seen: list[tuple[SourceKind, str]] = []
    source.hooks = SourceHooks(kind=lambda kind, reason: seen.append((kind, reason)))
    return seen


class _Answer:
    def __init__(self, headers: dict[str, str]) -> None:
        import httpx

        self.headers = httpx.Headers(headers)
        self.url = "http://127.0.0.1/x.mp3"


@pytest.mark.parametrize(
    ("headers", "kind", "why"),
    [
        ({"Content-Length": "1000"}, SourceKind.FILE, "Content-Length 1,000 bytes"),
        ({"Accept-Ranges": "bytes"}, SourceKind.FILE, "Accept-Ranges"),
        ({"Content-Length": "1000", "icy-metaint": "16000"}, SourceKind.LIVE, "ICY headers (icy-metaint)"),
        ({"Transfer-Encoding": "chunked"}, SourceKind.LIVE, "chunked transfer"),
        ({}, SourceKind.LIVE, "no Content-Length"),
    ],
)
def test_file_or_live_from_the_headers(headers, kind, why):
    target = _audio_target(_Answer(headers))  # type: ignore[arg-type]
    assert target.kind is kind and target.finite is (kind is SourceKind.FILE) and why in target.reason


def test_playlists_are_read_in_order_with_relative_entries():
    pls = "[playlist]\nNumberOfEntries=2\nFile2=http://b.example/2.mp3\nFile1=stream.mp3\nTitle1=One\n"
    assert _playlist_entries(pls, "http://a.example/radio/x.pls") == [
        "http://a.example/radio/stream.mp3",
        "http://b.example/2.mp3",
    ]
    m3u = "#EXTM3U\n#EXTINF:-1,Station\nhttp://a.example/live\n\n/other.aac\n"
    assert _playlist_entries(m3u, "http://a.example/x/y.m3u") == ["http://a.example/live", "http://a.example/other.aac"]
    assert _is_playlist(pls) and _is_playlist(m3u) and _is_playlist("http://a.example/live\n")
    assert not _is_playlist("<html><body>radio</body></html>")


@pytest.fixture
def talk(tmp_path):
    data, seconds = mp3("council", 8.0)
    (tmp_path / "talk.mp3").write_bytes(data)
    return tmp_path, seconds


async def test_a_static_file_is_transcribed_once_in_real_time(server, talk):
    folder, seconds = talk
    with static_server(folder) as (url, requests):
        source = HttpSource(f"{url}/talk.mp3")
        events = []
        session = LiveSession(SessionConfig("talk", server.url, OPTIONS), source, [events.append])
        source.hooks = session.source_hooks()
        started = time.monotonic()
        clean = await asyncio.wait_for(session.run(), 60)
        elapsed = time.monotonic() - started
    assert clean, session.state.connection.error
    assert session.state.audio.cursor == pytest.approx(seconds, abs=0.1)
    assert session.state.metrics.bytes_sent / 32000 == pytest.approx(seconds, abs=0.1)  # sent once, no more
    assert requests == ["/talk.mp3", "/talk.mp3"]  # the look at its headers, then FFmpeg's read: never reopened
    assert elapsed >= seconds - 0.2  # paced in real time like a local file
    size = (folder / "talk.mp3").stat().st_size
    assert [(e.kind, e.reason) for e in events if isinstance(e, SourceOpened)] == [
        ("file", f"the server gave its length (Content-Length {size:,} bytes) and no ICY headers; "
                 "the server does not take Range requests")
    ]  # fmt: skip
    assert session.state.audio.source_kind == "file" and not [e for e in events if isinstance(e, SourceReopening)]
    reference = "The city council met on Tuesday to discuss the new train line."
    assert word_error_rate(reference, session.state.transcript.text().split("Several")[0]) <= 0.35


async def test_fast_and_loop_apply_to_a_static_file(server, talk):
    folder, seconds = talk
    with static_server(folder) as (url, requests):
        source = HttpSource(f"{url}/talk.mp3", realtime_files=False, loop=True)
        session = LiveSession(SessionConfig("talk", server.url, OPTIONS, duration=2.5 * seconds), source)
        started = time.monotonic()
        clean = await asyncio.wait_for(session.run(), 60)
        elapsed = time.monotonic() - started
    assert clean, session.state.connection.error
    assert source.realtime is False and not source.reopenable
    assert session.state.audio.cursor == pytest.approx(
        2.5 * seconds, abs=0.15
    )  # three passes, the last one cut by duration
    assert elapsed < 2.5 * seconds  # not paced: far quicker than the audio's length
    assert requests.count("/talk.mp3") == 4  # the look, then one read per pass


def serve_bytes(data: bytes, *, ranges: bool, cut_first: bool = True):
    """An HTTP handler serving ``data`` as audio/mpeg; the first answer dies halfway through its body.
    With ``ranges``, it says Accept-Ranges and answers Range requests with 206."""
    log: list[tuple[str, int]] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        match = re.search(r"^Range: bytes=(\d+)-", head, re.I | re.M)
        start = int(match.group(1)) if match and ranges else 0
        log.append((head.split("\r\n")[0], start))
        body = data[start:]
        status = "206 Partial Content" if start else "200 OK"
        extra = f"Content-Range: bytes {start}-{len(data) - 1}/{len(data)}\r\n" if start else ""
        extra += "Accept-Ranges: bytes\r\n" if ranges else ""
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Type: audio/mpeg\r\nContent-Length: {len(body)}\r\n{extra}"
            "Connection: close\r\n\r\n".encode()
        )
        if cut_first and len(log) == 2:  # the first read of the body (after the look at its headers)
            writer.write(body[: len(body) // 2])
            await writer.drain()
            writer.transport.abort()
            return
        writer.write(body)
        await writer.drain()
        writer.close()

    return handle, log


async def test_a_cut_download_resumes_with_range(talk):
    folder, seconds = talk
    data = (folder / "talk.mp3").read_bytes()
    handle, log = serve_bytes(data, ranges=True)
    async with http_server(handle) as url:
        source = HttpSource(f"{url}/talk.mp3")
        chunks = await collect(source)
    resumed = [start for _, start in log if start]
    assert len(resumed) == 1 and 0 < resumed[0] <= len(data) // 2 + 1  # from where the cut was
    assert chunks[-1].end == pytest.approx(seconds, abs=0.1)  # all of it ...
    assert sum(len(c.data) for c in chunks) / 32000 == pytest.approx(seconds, abs=0.1)  # ... and nothing twice


async def test_a_cut_download_without_range_ends_with_a_clear_error(talk):
    folder, seconds = talk
    handle, log = serve_bytes((folder / "talk.mp3").read_bytes(), ranges=False)
    async with http_server(handle) as url:
        source = HttpSource(f"{url}/talk.mp3")
        chunks = []
        with pytest.raises(SourceError, match=r"download broke after .* does not allow resuming it"):
            async with asyncio.timeout(30):
                async for chunk in source.chunks():
                    chunks.append(chunk)
    assert chunks and 0 < chunks[-1].end < seconds  # what came before the cut was sent, once
    assert len(log) == 2 and not source.reopenable


async def test_no_finite_source_sends_more_audio_than_it_holds(server, talk):
    """Local and HTTP files, with the Deepgram connection dropped once: audio sent, less what was sent again
    after the drop (counted apart), is the file's length."""
    folder, seconds = talk
    with static_server(folder) as (url, _):
        for source in (FileSource(folder / "talk.mp3"), HttpSource(f"{url}/talk.mp3")):
            proxy = FaultProxy(server.url).start()
            try:
                events = []
                config = SessionConfig("f", proxy.url, OPTIONS, reconnect_backoff=0.2)
                session = LiveSession(config, source, [events.append])
                task = asyncio.create_task(session.run())
                for _ in range(400):
                    if session.state.transcript.finals >= 1:
                        break
                    await asyncio.sleep(0.05)
                proxy.drop()
                clean = await asyncio.wait_for(task, 60)
            finally:
                proxy.stop()
            assert clean, session.state.connection.error
            assert session.state.connection.reconnects == 1 and [e for e in events if isinstance(e, Reconnected)]
            sent = session.state.metrics.bytes_sent / 32000
            assert sent - session.state.audio.resent == pytest.approx(seconds, abs=0.1), (
                sent,
                session.state.audio.resent,
            )
            assert session.state.audio.cursor == pytest.approx(seconds, abs=0.1)


async def test_a_chunked_stream_without_length_is_live(server):
    pcm = clip_pcm("weather")[: 32000 * 3]
    body = encode(pcm, 16000, "wav", "pcm_s16le")

    async def chunked(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: audio/wav\r\nTransfer-Encoding: chunked\r\n\r\n")
        for i in range(0, len(body), 6400):
            part = body[i : i + 6400]
            writer.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            await writer.drain()
            await asyncio.sleep(0.05)
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        writer.close()

    async with http_server(chunked) as url:
        source = HttpSource(f"{url}/live")
        seen = kinds(source)
        chunks = await collect(source)
    assert seen == [(SourceKind.LIVE, "chunked transfer and no length: no known end")]
    assert source.reopenable and not source.realtime
    assert chunks[-1].end == pytest.approx(3.0, abs=0.05)


@pytest.fixture(scope="module")
def icecast():
    server = Icecast()
    yield server
    server.stop()


@pytest.fixture
def on_air(icecast):
    data, seconds = mp3("council", 12.0)
    feeder = Feeder(icecast, "radio.mp3", data, seconds).start()
    time.sleep(0.3)
    yield icecast.url("radio.mp3")
    feeder.stop()


async def test_icecast_is_live(on_air):
    source = HttpSource(on_air)
    seen = kinds(source)
    chunks = await collect(source, until=1.0)
    assert chunks[-1].end >= 1.0
    assert seen[0][0] is SourceKind.LIVE and "ICY headers" in seen[0][1] and source.reopenable


@pytest.mark.parametrize("kind", ["pls", "m3u"])
async def test_playlists_play_the_stream_they_point_at(on_air, kind, tmp_path):
    text = (
        f"[playlist]\nNumberOfEntries=2\nFile1=http://127.0.0.1:9/gone.mp3\nFile2={on_air}\nTitle2=Council\n"
        if kind == "pls"
        else f"#EXTM3U\n#EXTINF:-1,Gone\nhttp://127.0.0.1:9/gone.mp3\n#EXTINF:-1,Council\n{on_air}\n"
    )
    (tmp_path / f"radio.{kind}").write_text(text)

    async def broadcaster(reader, writer):  # the station's "listen" link redirects to its playlist
        await reader.readuntil(b"\r\n\r\n")
        writer.write(f"HTTP/1.1 302 Found\r\nLocation: {playlists}/radio.{kind}\r\nContent-Length: 0\r\n\r\n".encode())
        await writer.drain()
        writer.close()

    with static_server(tmp_path) as (playlists, _):
        async with http_server(broadcaster) as listen:
            source = HttpSource(f"{listen}/listen")
            seen = kinds(source)
            chunks = await collect(source, until=1.0)
    assert chunks[-1].end >= 1.0
    assert seen[0][0] is SourceKind.LIVE and f"entry 2 of the playlist {playlists}/radio.{kind}" in seen[0][1]


async def test_a_playlist_of_dead_entries_says_so(tmp_path):
    (tmp_path / "dead.pls").write_text("[playlist]\nFile1=http://127.0.0.1:9/a.mp3\nFile2=http://127.0.0.1:9/b\n")
    refused = r"none of the playlist's 2 entries could be opened: .*cannot connect"
    with static_server(tmp_path) as (url, _), pytest.raises(SourceError, match=refused):
        await collect(HttpSource(f"{url}/dead.pls"))


async def test_an_on_demand_hls_playlist_is_finite(server, tmp_path):
    pcm = clip_pcm("council")[: 32000 * 6]
    segments = write_hls(pcm, 16000, tmp_path / "vod").read_text().count("#EXTINF")
    with static_server(tmp_path) as (url, requests):
        source = HttpSource(f"{url}/vod/index.m3u8", realtime_files=False)
        session = LiveSession(SessionConfig("hls", server.url, OPTIONS), source)
        source.hooks = session.source_hooks()
        clean = await asyncio.wait_for(session.run(), 60)
    assert clean, session.state.connection.error
    assert session.state.audio.source_kind == "hls" and session.state.audio.source_reason.startswith(
        f"an on-demand playlist ({segments} segments, 6.1 s)"
    )
    assert not source.reopenable
    assert session.state.audio.cursor == pytest.approx(6.0, abs=0.2)  # AAC's priming and padding samples
    assert "train line" in session.state.transcript.text().lower()
    assert requests.count("/vod/index0.ts") == 1


async def test_a_live_hls_window_is_followed_as_it_is_written(tmp_path):
    pcm = clip_pcm("weather")[: 32000 * 12]
    folder = tmp_path / "live"
    writer = threading.Thread(
        target=write_hls, args=(pcm, 16000, folder), kwargs={"live": True, "pace": time.sleep}, daemon=True
    )
    writer.start()
    playlist = folder / "index.m3u8"
    for _ in range(100):  # until the window has its first segments
        if playlist.exists() and playlist.read_text().count("#EXTINF") >= 2:
            break
        await asyncio.sleep(0.05)
    with static_server(tmp_path) as (url, requests):
        source = HttpSource(f"{url}/live/index.m3u8")
        seen = kinds(source)
        started = time.monotonic()
        chunks = await collect(source, until=5.0)
        elapsed = time.monotonic() - started
    writer.join(20)
    assert seen[0][0] is SourceKind.HLS and seen[0][1].startswith("a live playlist (a sliding window")
    assert source.reopenable and not source.realtime
    assert chunks[-1].end >= 5.0
    assert elapsed >= 1.5  # it waited for segments still being written: the producer paces a live stream
    assert sum(1 for r in requests if r.endswith("index.m3u8")) >= 3  # the window was reloaded as it moved


async def test_a_web_page_is_still_refused(tmp_path):
    (tmp_path / "index.html").write_text("<html><body>Listen live!</body></html>")
    refused = r"not an audio stream \(Content-Type: text/html\).*not a web page"
    with static_server(tmp_path) as (url, _), pytest.raises(SourceError, match=refused):
        await collect(HttpSource(f"{url}/index.html"))


@pytest.fixture
def https_files(tmp_path):
    """``talk.mp3`` and an on-demand HLS playlist behind a TLS front for ``localhost`` signed by a private CA."""
    import ssl

    import trustme

    (tmp_path / "talk.mp3").write_bytes(mp3("council", 3.0)[0])
    write_hls(clip_pcm("council")[: 32000 * 3], 16000, tmp_path / "vod")
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    with static_server(tmp_path) as (url, _):
        proxy = FaultProxy(url.replace("http://", "ws://"), tls=context).start()
        try:
            yield proxy.url_for("localhost").replace("wss://", "https://").split("/v1/")[0], tmp_path / "ca.pem"
        finally:
            proxy.stop()


async def test_https_files_and_hls_stream_from_a_trusted_private_authority(https_files, monkeypatch):
    base, ca = https_files
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))  # how a user trusts a private authority
    for path, kind in (("talk.mp3", SourceKind.FILE), ("vod/index.m3u8", SourceKind.HLS)):
        source = HttpSource(f"{base}/{path}")
        chunks = await collect(source)
        assert source.kind is kind and chunks[-1].end == pytest.approx(3.0, abs=0.15), path


async def test_https_from_an_unknown_authority_is_refused(https_files, monkeypatch):
    base, _ = https_files
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with pytest.raises(SourceError, match="CERTIFICATE_VERIFY_FAILED"):
        await collect(HttpSource(f"{base}/talk.mp3"))


def test_ffmpeg_is_told_to_verify_and_refuses_an_unknown_authority(https_files, monkeypatch):
    """FFmpeg does not verify certificates unless told to: the options dgtui gives it make it refuse."""
    from dgtui.audio.remote import Target, _ffmpeg_options

    base, _ = https_files
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    target = Target(SourceKind.FILE, True, f"{base}/talk.mp3", "")
    options = _ffmpeg_options(target, stall_timeout=5)
    assert options["tls_verify"] == "1" and options["ca_file"]
    with pytest.raises(SourceError, match="is not audio dgtui can decode"):  # the default wording, for files
        list(decode_packets(target.url, chunk_ms=100, channels=1, open_options=options, timeout=5))
