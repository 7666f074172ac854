"""Automatic reconnects through a fault proxy between the client and the real local server."""

from __future__ import annotations

import asyncio
import hashlib
from itertools import pairwise

from dgtui.audio.local import FileSource
from dgtui.audio.remote import HttpSource
from dgtui.live.session import LiveSession, SessionConfig
from dgtui.state.events import State
from tests.support.audio import clip_pcm, encode
from tests.support.drops import OPTIONS, drop_once, wait_for
from tests.support.http import http_server
from tests.support.proxy import FaultProxy


async def test_a_dropped_connection_reconnects_and_loses_no_audio(server, clip_file):
    drop = await drop_once(server, clip_file, lambda s: s.state.transcript.finals >= 1, "a first final")
    session = drop.session
    assert drop.clean, session.state.connection.error
    assert (
        session.state.connection.reconnects == 1
        and len(session.state.connection.request_ids) == 2
        and drop.connections == 2
    )
    assert session.state.audio.lost == 0.0 and session.state.audio.cursor >= 13.9  # every second of the file was sent
    assert drop.committed <= session.state.connection.offset <= drop.cursor + 0.2  # resumed from the last final
    finals = [line for line in session.state.transcript.lines if line.kind == "final"]
    assert all(b.start >= a.start for a, b in pairwise(finals)) and finals[-1].start > session.state.connection.offset
    marks = [line for line in session.state.transcript.lines if line.kind == "reconnect"]
    assert (
        len(marks) == 1
        and marks[0].start == session.state.connection.offset
        and session.state.connection.request_ids[1] in marks[0].text
    )
    assert (
        len(session.state.connection.gaps) == 1 and 0.1 < session.state.connection.gaps[0] < 5.0
    )  # the outage, visible on screen
    warnings = [e.text for e in session.state.log.entries if e.level == "warning"]
    assert any(w.startswith("connection lost (") and "reconnecting in" in w for w in warnings), warnings


async def test_the_utterance_in_flight_at_a_drop_is_sent_again_and_not_lost(server, clip_file):
    drop = await drop_once(
        server, clip_file, lambda s: s.state.transcript.finals >= 1 and s.state.transcript.interims(), "words in flight"
    )
    session = drop.session
    assert drop.clean, session.state.connection.error
    assert session.state.connection.reconnects == 1 and session.state.audio.lost == 0.0
    source = FileSource(clip_file("weather", seconds=14.0), realtime=False)
    once = hashlib.sha256(b"".join([chunk.data async for chunk in source.chunks()])).hexdigest()
    manifest = session.state.manifest
    assert manifest is not None and manifest.audio_sha256 == once  # the audio sent again is not hashed twice
    assert manifest.audio_seconds == round(session.state.audio.cursor, 3) and len(manifest.request_ids) == 2
    assert (
        session.state.connection.offset == drop.committed
    )  # the new connection starts where the last final ended, to the sample
    assert session.state.audio.resent >= drop.cursor - drop.committed - 0.2 > 0
    finals = [line for line in session.state.transcript.lines if line.kind == "final"]
    assert all(b.start >= a.end - 0.01 for a, b in pairwise(finals))  # nothing transcribed twice
    after = {w.strip(".,?!") for line in finals if line.start >= drop.committed for w in line.text.lower().split()}
    found = [word for word in drop.in_flight if word.strip(".,?!") in after]
    assert drop.in_flight and len(found) >= len(drop.in_flight) / 2, (drop.in_flight, after)  # finals now


async def test_it_gives_up_after_the_attempts_with_a_clear_error(server, clip_file):
    proxy = FaultProxy(server.url).start()
    try:
        config = SessionConfig("g", proxy.url, OPTIONS, reconnect_attempts=2, reconnect_backoff=0.1,
                               connect_timeout=2.0)  # fmt: skip
        session = LiveSession(config, FileSource(clip_file(seconds=20.0)))
        task = asyncio.create_task(session.run())
        await wait_for(
            lambda: session.state.connection.phase is State.STREAMING and session.state.audio.cursor > 1.0,
            20,
            "streaming",
        )
        proxy.refuse()
        proxy.drop()
        clean = await asyncio.wait_for(task, 30)
    finally:
        proxy.stop()
    assert not clean and session.state.connection.phase is State.ERROR
    assert (
        session.state.connection.error.startswith("gave up after 2 reconnect attempts: ")
        and "Check the network" in session.state.connection.error
    )


async def test_a_live_source_that_ends_is_opened_again_while_keepalive_holds_the_connection(server):
    parts = [clip_pcm("weather")[i * 32000 * 3 : (i + 1) * 32000 * 3] for i in range(2)]
    served = []

    async def radio(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        if len(served) >= len(parts):  # the station is gone for good
            writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            writer.close()
            return
        body = encode(parts[len(served)], 16000, "wav", "pcm_s16le")
        served.append(len(body))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: audio/wav\r\n\r\n")
        for i in range(0, len(body), 3200):  # in real time, then the stream ends
            writer.write(body[i : i + 3200])
            await writer.drain()
            await asyncio.sleep(0.1)
        writer.close()

    async with http_server(radio) as url:
        source = HttpSource(f"{url}/live.wav")
        config = SessionConfig("radio", server.url, OPTIONS, reconnect_attempts=2, reconnect_backoff=0.2)
        session = LiveSession(config, source)
        clean = await asyncio.wait_for(session.run(), 60)
    assert not clean and session.state.connection.error.startswith(f"{url}/live.wav answered HTTP 404")
    assert "gave up after 2 attempts to open it again" in session.state.connection.error
    assert len(served) == 2 and session.state.audio.cursor >= 5.8  # both halves were sent, on one timeline
    assert (
        session.state.connection.reconnects == 0 and len(session.state.connection.request_ids) == 1
    )  # the connection itself held
    warnings = [e.text for e in session.state.log.entries if e.level == "warning"]
    assert any(w.startswith("source: the stream ended; opening it again in") for w in warnings), warnings
    finals = [line for line in session.state.transcript.lines if line.kind == "final"]
    assert finals and finals[-1].end > 3.0  # words from the second half, after the reopen
