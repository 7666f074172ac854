"""Live sessions end to end: against the real local server, and against scripted servers for exact sequences."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl, urlsplit

import pytest

from dgtui.audio.base import SourceSettings
from dgtui.audio.local import FileSource
from dgtui.audio.open import open_source
from dgtui.commands.cli import build_parser
from dgtui.config.flags import options_from_args
from dgtui.live.session import LiveSession, SessionConfig
from dgtui.protocol.messages import Results
from dgtui.state.events import Closed, Connected, Manifest, MessageReceived, SessionError, State, StateChanged
from tests.conftest import TEST_KEY
from tests.support.audio import clip_pcm, encode
from tests.support.fake import METADATA, scripted_server, until_close_stream


async def test_real_time_pacing_follows_the_wall_clock(server, clip_file):
    events = []
    config = SessionConfig("pace", server.url, {"interim_results": True})
    session = LiveSession(config, FileSource(clip_file(seconds=4.0)), [events.append])
    assert await session.run(), session.state.connection.error
    start = session.state.metrics.first_audio_at
    offsets = [e.cursor - (e.received_at - start) for e in events if isinstance(e, MessageReceived)]
    assert len(offsets) > 10
    # The cursor never runs ahead of the wall clock by more than a chunk, nor falls behind it.
    assert max(offsets) <= 0.1 + 0.05 and min(offsets) >= -0.4, (min(offsets), max(offsets))


async def test_session_transcribes_and_reports_everything(server, clip_file):
    events = []
    session = LiveSession(
        SessionConfig(
            "council",
            server.url,
            {"interim_results": True, "punctuate": True, "utterance_end_ms": 1000, "vad_events": True},
        ),
        FileSource(clip_file(seconds=6.0), realtime=False),
        [events.append],
    )
    assert await session.run(), session.state.connection.error
    connected = next(e for e in events if isinstance(e, Connected))
    assert (
        connected.request_id == session.state.connection.request_id
        and connected.timings.tcp >= 0
        and connected.timings.upgrade > 0
    )
    assert "train line" in session.state.transcript.text().lower()
    assert (
        session.state.connection.metadata is not None
        and session.state.connection.metadata.request_id == session.state.connection.request_id
    )
    assert session.state.connection.model_info["arch"] == "pocketsphinx"
    states = [e.state for e in events if isinstance(e, StateChanged)]
    assert states == [State.CONNECTING, State.STREAMING, State.CLOSING, State.CLOSED]
    closed, manifest = events[-2:]  # the manifest comes last, once the stream is over
    assert isinstance(closed, Closed) and closed.clean and closed.code == 1000
    assert isinstance(manifest, Manifest) and manifest.audio_seconds == 6.0 and manifest.pacing == "unpaced"
    summary = session.state.metrics.summary()
    assert summary["messages"]["Metadata"] == 1 and summary["ttft_s"] is not None
    assert summary["audio_seconds"] == pytest.approx(6.0, abs=0.01)


def test_every_flag_reaches_the_query_string():
    args = build_parser().parse_args(
        [
            "stream",
            "x.wav",
            "--model",
            "nova-2",
            "--language",
            "en-US",
            "--no-interim-results",
            "--endpointing",
            "false",
            "--punctuate",
            "--no-smart-format",
            "--diarize",
            "--multichannel",
            "--channels",
            "2",
            "--keyterm",
            "customer service",
            "--keyterm",
            "Deepgram",
            "--keywords",
            "train:2",
            "--numerals",
            "--profanity-filter",
            "--redact",
            "pci",
            "--redact",
            "ssn",
            "--tag",
            "t1",
            "--extra",
            "team:news",
            "--search",
            "council",
            "--replace",
            "a:b",
            "--filler-words",
            "--no-delay",
            "--dictation",
            "--detect-entities",
            "--mip-opt-out",
            "--no-vad-events",
            "--diarize-model",
            "latest",
            "--model-version",
            "latest",
            "--param",
            "future_flag=on",
            "--param",
            "model=nova-3-medical",
        ]
    )
    options = options_from_args(args)
    config = SessionConfig("x", "ws://127.0.0.1:1/v1/listen", options)
    query = parse_qsl(urlsplit(config.full_url({"encoding": "linear16", "sample_rate": 16000})).query)
    pairs = set(query)
    expected = {
        ("model", "nova-3-medical"),
        ("language", "en-US"),
        ("interim_results", "false"),
        ("endpointing", "false"),
        ("punctuate", "true"),
        ("smart_format", "false"),
        ("diarize", "true"),
        ("multichannel", "true"),
        ("channels", "2"),
        ("keyterm", "customer service"),
        ("keyterm", "Deepgram"),
        ("keywords", "train:2"),
        ("numerals", "true"),
        ("profanity_filter", "true"),
        ("redact", "pci"),
        ("redact", "ssn"),
        ("tag", "t1"),
        ("extra", "team:news"),
        ("search", "council"),
        ("replace", "a:b"),
        ("filler_words", "true"),
        ("no_delay", "true"),
        ("dictation", "true"),
        ("detect_entities", "true"),
        ("mip_opt_out", "true"),
        ("vad_events", "false"),
        ("diarize_model", "latest"),
        ("version", "latest"),
        ("future_flag", "on"),
        ("encoding", "linear16"),
        ("sample_rate", "16000"),
    }
    assert expected <= pairs, expected - pairs
    assert not any(k == "utterance_end_ms" for k, _ in query)  # needs interim results, which are off
    defaults = options_from_args(build_parser().parse_args(["stream", "x.wav"]))
    assert defaults == {
        "model": "nova-3",
        "interim_results": True,
        "smart_format": True,
        "vad_events": True,
        "utterance_end_ms": 1000,
    }


async def test_options_travel_over_the_wire():
    async def script(connection):
        await until_close_stream(connection)
        await connection.send(METADATA)
        await connection.close()

    async with scripted_server(script) as (url, paths):
        source = open_source("-", SourceSettings(encoding="linear16", sample_rate=16000))
        source.stream = __import__("io").BytesIO(clip_pcm("weather")[:3200])  # type: ignore[attr-defined]
        session = LiveSession(SessionConfig("w", url, {"keyterm": ["a b", "c"], "endpointing": 300}), source)
        assert await session.run(), session.state.connection.error
    assert ("keyterm", "a b") in parse_qsl(urlsplit(paths[0]).query)
    assert "endpointing=300" in paths[0] and "encoding=linear16" in paths[0]


async def test_handshake_failures_quote_status_header_and_body(keyed_server, server, clip_file):
    no_key = LiveSession(SessionConfig("k", keyed_server.url), FileSource(clip_file(seconds=1.0)))
    assert not await no_key.run()
    assert (
        "HTTP 401" in no_key.state.connection.error
        and "dg-error: Invalid credentials." in no_key.state.connection.error
    )
    assert (
        "INVALID_AUTH" in no_key.state.connection.error
        and no_key.state.connection.request_id in no_key.state.connection.error
    )
    assert "the API key was refused; check the key" in no_key.state.connection.error  # what to do, in settings terms
    bad_query = LiveSession(
        SessionConfig("q", server.url, {"interim_results": "True"}), FileSource(clip_file(seconds=1.0))
    )
    assert not await bad_query.run()
    assert "HTTP 400" in bad_query.state.connection.error and "interim_results" in bad_query.state.connection.error
    keyed = LiveSession(
        SessionConfig("ok", keyed_server.url, api_key=TEST_KEY),
        FileSource(clip_file(seconds=1.0), realtime=False),
    )
    assert await keyed.run(), keyed.state.connection.error
    refused = LiveSession(SessionConfig("r", "ws://127.0.0.1:9/v1/listen"), FileSource(clip_file(seconds=1.0)))
    assert not await refused.run()
    assert "connection refused" in refused.state.connection.error


async def test_pause_holds_the_stream_with_keepalive(make_server, clip_file):
    short = make_server(idle_timeout=1.0)
    session = LiveSession(SessionConfig("p", short.url, keepalive_interval=0.3), FileSource(clip_file(seconds=3.0)))
    runner = asyncio.create_task(session.run())
    await asyncio.sleep(1.0)
    session.pause()
    cursor_at_pause = session.state.audio.cursor
    await asyncio.sleep(2.5)  # longer than the server's idle timeout
    assert session.state.connection.phase is State.PAUSED and session.state.audio.cursor == cursor_at_pause
    session.resume()
    assert await asyncio.wait_for(runner, 30), session.state.connection.error
    assert session.state.connection.close_code == 1000


async def test_finalize_request_gets_a_from_finalize_result(server, clip_file):
    events = []
    session = LiveSession(
        SessionConfig("f", server.url, {"endpointing": False, "interim_results": True}),
        FileSource(clip_file(seconds=4.0)),
        [events.append],
    )
    runner = asyncio.create_task(session.run())
    await asyncio.sleep(2.0)
    session.request_finalize()
    assert await asyncio.wait_for(runner, 30)
    flushed = [
        e.message
        for e in events
        if isinstance(e, MessageReceived) and isinstance(e.message, Results) and e.message.from_finalize
    ]
    assert flushed and flushed[0].is_final


async def test_stop_sends_closestream_and_waits_for_the_flush(server, clip_file):
    session = LiveSession(SessionConfig("s", server.url), FileSource(clip_file(seconds=6.0)))
    runner = asyncio.create_task(session.run())
    await asyncio.sleep(1.5)
    session.stop()
    assert await asyncio.wait_for(runner, 20)
    assert session.state.connection.metadata is not None and session.state.audio.cursor < 3.0


async def test_malformed_and_unknown_messages_do_not_stop_the_stream(clip_file):
    async def script(connection):
        await connection.send("{not json")
        await connection.send('{"type":"FutureThing","x":1}')
        await until_close_stream(connection)
        await connection.send(METADATA)
        await connection.close()

    events = []
    async with scripted_server(script) as (url, _):
        session = LiveSession(
            SessionConfig("m", url), FileSource(clip_file(seconds=1.0), realtime=False), [events.append]
        )
        assert await session.run()
    errors = [e for e in events if isinstance(e, SessionError)]
    assert len(errors) == 1 and "not JSON" in errors[0].message
    assert session.state.metrics.messages["FutureThing"] == 1


@pytest.mark.parametrize(
    ("code", "reason", "expected"),
    [
        (
            1011,
            "Deepgram did not provide a response message within the timeout window. See https://dpgr.am/net0000",
            "NET-0000",
        ),
        (
            1011,
            "Deepgram did not receive audio data or a text message within the timeout window. See https://dpgr.am/net0001",
            "NET-0001",
        ),
        (1008, "DATA-0000", "could not decode the audio"),
    ],
)
async def test_error_closes_are_explained(clip_file, code, reason, expected):
    async def script(connection):
        await connection.send(METADATA)
        await connection.close(code, reason)

    events = []
    async with scripted_server(script) as (url, _):
        config = SessionConfig("e", url, reconnect_attempts=0)  # this connection's own close, no retry
        session = LiveSession(config, FileSource(clip_file(seconds=3.0)), [events.append])
        assert not await session.run()
    assert expected in session.state.connection.error
    closed = next(event for event in reversed(events) if isinstance(event, Closed))
    assert isinstance(closed, Closed) and closed.code == code and not closed.clean
    assert isinstance(events[-1], Manifest)  # a failed stream still says what it sent


async def test_server_that_never_closes_is_bounded(clip_file):
    async def script(connection):
        await until_close_stream(connection)
        await connection.wait_closed()  # never answers; the client gives up and closes

    async with scripted_server(script) as (url, _):
        session = LiveSession(
            SessionConfig("n", url, close_timeout=1.0), FileSource(clip_file(seconds=1.0), realtime=False)
        )
        assert not await asyncio.wait_for(session.run(), 15)
    assert "did not close the stream within 1 s" in session.state.connection.error


async def test_passthrough_sends_the_container_and_is_transcribed(server, tmp_path):
    path = tmp_path / "council.mp3"
    path.write_bytes(encode(clip_pcm("council")[: 32000 * 6], 16000, "mp3", "libmp3lame", out_rate=44100))
    session = LiveSession(SessionConfig("pt", server.url), FileSource(path, realtime=False, passthrough=True))
    assert "encoding" not in session.state.connection.url
    assert await session.run(), session.state.connection.error
    assert "train line" in session.state.transcript.text().lower()
    assert session.state.connection.metadata.duration == pytest.approx(6.0, abs=0.1)


async def test_keepalive_holds_the_connection_while_a_live_source_stalls(make_server):
    import os

    from dgtui.audio.local import StdinSource

    short = make_server(idle_timeout=1.0)
    read_end, write_end = os.pipe()
    source = StdinSource(encoding="linear16", sample_rate=16000, stream=os.fdopen(read_end, "rb", buffering=0))
    session = LiveSession(SessionConfig("stall", short.url, keepalive_interval=0.3), source)
    runner = asyncio.create_task(session.run())
    pcm = clip_pcm("council")
    with os.fdopen(write_end, "wb") as pipe:  # written from a thread: a full pipe must not block the loop
        await asyncio.to_thread(pipe.write, pcm[: 32000 * 2])
        await asyncio.to_thread(pipe.flush)
        await asyncio.sleep(2.5)  # the source gives nothing for longer than the server's idle timeout
        await asyncio.to_thread(pipe.write, pcm[32000 * 2 : 32000 * 5])
    assert await asyncio.wait_for(runner, 30), session.state.connection.error
    assert session.state.audio.cursor == pytest.approx(5.0)


async def test_a_bug_while_sending_ends_the_stream_with_an_internal_error_not_a_reconnect_loop(server, clip_file):
    class Breaking:
        """A file whose reading breaks after two chunks, as a bug in a decoder would."""

        def __init__(self) -> None:
            self.file = FileSource(clip_file(seconds=3.0), realtime=False)

        def __getattr__(self, name: str):
            return getattr(self.file, name)

        async def chunks(self):
            count = 0
            async for chunk in self.file.chunks():
                count += 1
                if count > 2:
                    raise RuntimeError("boom")
                yield chunk

    session = LiveSession(SessionConfig("b", server.url, {"interim_results": True}), Breaking())  # type: ignore[arg-type]
    assert not await asyncio.wait_for(session.run(), 30)
    assert session.state.connection.error.startswith(
        "internal error while sending audio: RuntimeError: boom. This is a dgtui bug"
    )
    assert session.state.connection.reconnects == 0 and session.state.connection.phase is State.ERROR
