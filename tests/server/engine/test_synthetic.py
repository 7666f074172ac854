"""The synthetic engine (``dgtui serve --engine synthetic``): the real server, VAD and result windows with
placeholder words, for load tests; and a file sent fast through a dropped connection, which loses no audio
because the sender keeps within reach of the server's results."""

from __future__ import annotations

import asyncio
import json

import pytest

from dgtui.audio.local import FileSource
from dgtui.live import session as session_module
from dgtui.live.session import LiveSession, SessionConfig
from dgtui.server.app import ServerConfig
from dgtui.server.engine.synthetic import VOCABULARY, WORD_FRAMES, PlaceholderDecoder
from tests.support.proxy import FaultProxy
from tests.support.server import ServerThread

OPTIONS = {"interim_results": True, "vad_events": True, "utterance_end_ms": 1000}


@pytest.fixture(scope="module")
def synthetic():  # type: ignore[no-untyped-def]
    thread = ServerThread(ServerConfig(workers=1, admission=False, engine="synthetic")).start()
    yield thread
    thread.stop()


def test_the_placeholder_decoder_says_a_word_per_stretch_of_speech():
    decoder = PlaceholderDecoder()
    decoder.start_utt()
    decoder.process_raw(b"\0" * 320 * WORD_FRAMES * 3 + b"\0" * 320)  # three words and a frame
    assert [s.word for s in decoder.seg()] == list(VOCABULARY[:3])
    assert [(s.start_frame, s.end_frame) for s in decoder.seg()][1] == (WORD_FRAMES, 2 * WORD_FRAMES - 1)
    decoder.start_utt()  # the next utterance goes on through the words
    decoder.process_raw(b"\0" * 320 * WORD_FRAMES)
    assert [s.word for s in decoder.seg()] == [VOCABULARY[3]]


def test_the_synthetic_engine_answers_in_deepgrams_shape_with_its_own_name(synthetic, clip_file):
    config = SessionConfig("s", synthetic.url, OPTIONS)
    session = LiveSession(config, FileSource(clip_file("weather", seconds=12.0), realtime=False))
    assert asyncio.run(session.run()) is True
    state = session.state
    kinds = {json.loads(m.raw)["type"] for m in state.log.raw}
    assert {"Results", "SpeechStarted", "UtteranceEnd", "Metadata"} <= kinds
    words = state.transcript.text().lower().split()
    assert len(words) >= 10 and set(words) <= set(VOCABULARY)
    metadata = next(json.loads(m.raw) for m in state.log.raw if m.kind == "Metadata")
    assert [info["name"] for info in metadata["model_info"].values()] == ["synthetic-placeholder"]
    assert metadata["duration"] == pytest.approx(12.0, abs=0.01)


def test_a_file_sent_fast_loses_no_audio_when_the_connection_drops(synthetic, clip_file):
    """Sent fast, a file used to run far ahead of the server: a drop then lost what the 30 s resend buffer no
    longer held. Now it keeps within 5 s of the server's results, so everything not final is sent again."""

    async def run() -> LiveSession:
        proxy = FaultProxy(synthetic.url).start()
        try:
            config = SessionConfig("f", proxy.url, OPTIONS, duration=600.0, reconnect_backoff=0.2)
            source = FileSource(clip_file("weather", seconds=14.0), realtime=False, loop=True)
            session = LiveSession(config, source)
            source.hooks = session.source_hooks()  # as the runner wires it: a file
            task = asyncio.create_task(session.run())
            for _ in range(400):  # bounded: 20 s
                if session.state.audio.cursor > 200:
                    break
                await asyncio.sleep(0.05)
            ahead = session.state.audio.cursor - session.state.committed_until()
            proxy.drop()
            assert await asyncio.wait_for(task, 60) is True
        finally:
            proxy.stop()
        assert ahead < session.config.buffer_seconds
        return session

    session = asyncio.run(run())
    assert session.state.connection.reconnects == 1 and session.state.audio.lost == 0.0
    assert 0 < session.state.audio.resent < session.config.buffer_seconds
    assert session.state.audio.cursor == pytest.approx(600.0, abs=0.2)


def test_a_server_that_reports_nothing_gets_the_file_unpaced(monkeypatch, clip_file):
    """The wait for the server is bounded: with no results at all, the sender says so and sends the rest."""
    monkeypatch.setattr(session_module, "FAST_STALL_S", 0.3)

    async def run() -> LiveSession:
        import websockets

        async def silent(ws) -> None:  # type: ignore[no-untyped-def]
            async for message in ws:
                if isinstance(message, str) and "CloseStream" in message:
                    return

        async with websockets.serve(silent, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            config = SessionConfig("q", f"ws://127.0.0.1:{port}/v1/listen", OPTIONS, close_timeout=2.0)
            source = FileSource(clip_file("weather", seconds=14.0), realtime=False)
            session = LiveSession(config, source)
            source.hooks = session.source_hooks()
            await asyncio.wait_for(session.run(), 30)
        return session

    session = asyncio.run(run())
    assert session.state.audio.cursor == pytest.approx(14.0, abs=0.11)
    assert any("reported no progress for 0.3 s: the rest goes unpaced" in e.text for e in session.state.log.entries)
