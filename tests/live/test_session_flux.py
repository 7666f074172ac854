"""A Flux stream (``/v2/listen``) in the session layer: against the real local server, and against a scripted
server for the exact sequences the engine does not produce (eager then resumed, a sequence gap, a Warning, a
fatal Error)."""

from __future__ import annotations

import asyncio
import json

import pytest

from dgtui.audio.local import FileSource
from dgtui.data import clip
from dgtui.live.session import LiveSession, SessionConfig
from dgtui.protocol.flux import FORCE_END_TURN
from dgtui.state.events import Control, MessageReceived
from tests.support.fake import scripted_server
from tests.support.wer import word_error_rate

FLUX = {"model": "flux-general-en"}


async def test_a_flux_stream_against_the_local_server_ends_clean_with_turns(server, clip_file):
    events = []
    config = SessionConfig("f", server.url, {**FLUX, "eager_eot_threshold": 0.4})
    session = LiveSession(config, FileSource(clip_file("council", seconds=12.0), realtime=False), [events.append])
    assert config.flux and "/v2/listen?" in config.full_url({})  # the Flux model routes to /v2/listen
    assert await session.run(), session.state.connection.error
    state = session.state
    assert state.flux and state.connection.close_code == 1005 and state.clean  # closed without a status code: clean
    turns = state.turns.metrics
    assert turns.events["EndOfTurn"] >= 2 and turns.events["StartOfTurn"] == turns.events["EndOfTurn"]
    assert set(turns.triggers) <= {"model", "manual"}
    assert word_error_rate(" ".join(clip("council").reference.split()[:30]), state.transcript.text()) <= 0.35
    ends = [line for line in state.transcript.lines if line.kind == "end_of_turn"]
    assert ends and ends[0].text.startswith("EndOfTurn #0 · model")
    summary = turns.summary(state.metrics.audio_seconds)
    assert summary["end_of_turn_audio"]["p50"] is not None and summary["end_of_turn_wall"]["p50"] is not None
    assert state.lights.lit("EndOfTurn", state.lights.at["EndOfTurn"]) and state.setup.flags[0] == "StartOfTurn"
    assert not [m for m in events if isinstance(m, MessageReceived) and "Metadata" in m.raw]


def turn(seq: int, event: str, text: str, end: float, index: int = 0, **extra) -> str:
    words = [
        {"word": w, "confidence": 0.9, "start": 0.2 + i * 0.3, "end": 0.45 + i * 0.3}
        for i, w in enumerate(text.split())
    ]
    return json.dumps({"type": "TurnInfo", "request_id": "r", "sequence_id": seq, "event": event, "turn_index": index,
                       "audio_window_start": 0.0, "audio_window_end": end, "transcript": text, "words": words,
                       "end_of_turn_confidence": extra.pop("confidence", 0.1), **extra})  # fmt: skip


async def test_the_turn_open_when_the_audio_ends_is_forced_to_end_before_close_stream(server, clip_file):
    events = []
    path = clip_file("council", seconds=3.0)  # mid-sentence: the first turn is open when the file ends
    session = LiveSession(SessionConfig("f", server.url, FLUX), FileSource(path), [events.append])
    assert await session.run(), session.state.connection.error
    assert [e.action for e in events if isinstance(e, Control)] == ["force_end_turn"]
    assert dict(session.state.turns.metrics.triggers) == {"manual": 1}
    assert "train" not in session.state.transcript.text() and "city council" in session.state.transcript.text().lower()


async def flux_stream(script, path) -> tuple[LiveSession, list[str]]:
    sent: list[str] = []

    async def handler(connection):
        async def read():
            async for frame in connection:
                if isinstance(frame, str):
                    sent.append(frame)
                    if '"CloseStream"' in frame:
                        return

        reader = asyncio.create_task(read())
        await script(connection)
        await reader
        await connection.close()  # websockets sends 1000 here; Deepgram's 1005 is tested on the real server

    async with scripted_server(handler) as (url, paths):
        session = LiveSession(
            SessionConfig("s", url, FLUX, reconnect_attempts=0),
            FileSource(path, realtime=False),
        )
        await session.run()
    assert paths[0].startswith("/v2/listen?model=flux-general-en")
    return session, sent


async def test_eager_then_resumed_then_end_with_a_sequence_gap_and_a_warning(clip_file):
    async def script(ws):
        for message in [
            '{"type":"Connected","request_id":"r","sequence_id":0}',
            turn(1, "StartOfTurn", "book", 0.5),
            turn(2, "EagerEndOfTurn", "book a", 1.0, confidence=0.5),
            turn(3, "TurnResumed", "book a table", 1.25, confidence=0.2),
            turn(5, "EndOfTurn", "book a table", 1.75, confidence=0.85, trigger="model"),  # 4 never came
            '{"type":"Warning","request_id":"r","sequence_id":6,"code":"FORCE_END_TURN_NO_ACTIVE_TURN",'
            '"description":"no turn"}',
        ]:
            await ws.send(message)

    session, sent = await flux_stream(script, clip_file("weather", seconds=2.0))
    state = session.state
    assert state.turns.metrics.events["TurnResumed"] == 1 and state.turns.metrics.resumed_rate == 1.0
    log = " ".join(entry.text for entry in state.log.entries)
    assert "sequence_id gap: expected 4, got 5" in log and "FORCE_END_TURN_NO_ACTIVE_TURN" in log
    end = next(line for line in state.transcript.lines if line.kind == "end_of_turn")
    assert end.text == "EndOfTurn #0 · model · eager, resumed ×1 · confidence 0.85"
    assert state.connection.error is None and "KeepAlive" not in " ".join(sent)  # pings, never KeepAlive, on Flux
    assert sent[-2:] == [FORCE_END_TURN, '{"type":"CloseStream"}']  # always: a turn may be under way unreported


async def test_a_fatal_error_mid_stream_ends_it_with_the_servers_words(clip_file):
    async def script(ws):
        await ws.send('{"type":"Connected","request_id":"r","sequence_id":0}')
        await ws.send(turn(1, "StartOfTurn", "hello", 0.5))
        await ws.send('{"type":"Error","sequence_id":2,"code":"INTERNAL_SERVER_ERROR","description":"boom"}')
        await ws.close(1011, "INTERNAL_SERVER_ERROR")

    session, _ = await flux_stream(script, clip_file("weather", seconds=2.0))
    assert session.state.connection.error == "server error INTERNAL_SERVER_ERROR: boom" and not session.state.clean


async def test_an_open_turn_is_ended_before_close_stream(clip_file):
    async def script(ws):
        await ws.send('{"type":"Connected","request_id":"r","sequence_id":0}')
        await ws.send(turn(1, "StartOfTurn", "still talking", 0.5))

    _, sent = await flux_stream(script, clip_file("weather", seconds=3.0))
    assert sent[-2:] == [FORCE_END_TURN, '{"type":"CloseStream"}']


async def test_configure_mid_stream_is_answered_and_the_thresholds_shown(server, clip_file):
    session = LiveSession(SessionConfig("f", server.url, FLUX), FileSource(clip_file("council", seconds=3.0)))
    task = asyncio.create_task(session.run())
    async with asyncio.timeout(20):
        while session.state.connection.request_id is None:
            await asyncio.sleep(0.05)
    session.configure({"eot_threshold": 0.8, "eager_eot_threshold": 0.5, "keyterms": ["council"]})
    session.configure({"eot_threshold": 0.2})  # out of range: the server refuses, the stream goes on
    assert await task, session.state.connection.error
    state = session.state
    assert state.turns.thresholds == {"eot_threshold": 0.8, "eager_eot_threshold": 0.5, "eot_timeout_ms": 5000}
    log = [entry.text for entry in state.log.entries]
    assert any(text.startswith("ConfigureSuccess: eot_threshold 0.8") for text in log)
    assert any(text.startswith("ConfigureFailure INVALID_CONFIGURATION") for text in log)


async def test_a_flux_recording_replays_and_exports_one_cue_per_turn(server, clip_file, tmp_path):
    from dgtui.recordings.export import export_recording
    from dgtui.recordings.replay import load
    from dgtui.recordings.writer import record

    session = LiveSession(SessionConfig("f", server.url, FLUX), FileSource(clip_file("weather", 15.0), realtime=False))
    recorder = record(session, tmp_path)
    assert await session.run(), session.state.connection.error
    recorder.close()
    replayed = load(recorder.path)
    assert replayed.state.flux and replayed.state.transcript.text() == session.state.transcript.text()
    assert replayed.state.turns.metrics.events == session.state.turns.metrics.events
    srt = export_recording(recorder.path, "srt")
    turns = session.state.turns.metrics.events["EndOfTurn"]
    assert turns >= 2 and srt.count(" --> ") == turns  # one cue per turn
    assert "weather report" in srt.replace("\n", " ").lower()


async def test_a_dropped_flux_stream_resends_from_the_last_end_of_turn_on_one_timeline(server, clip_file):
    from tests.support.proxy import FaultProxy

    proxy = FaultProxy(server.url).start()
    try:
        config = SessionConfig("r", proxy.url, FLUX, reconnect_backoff=0.3)
        session = LiveSession(config, FileSource(clip_file("weather", seconds=14.0)))
        task = asyncio.create_task(session.run())
        async with asyncio.timeout(30):
            while not (session.state.turns.ended >= 1 and session.state.turns.open is not None):
                await asyncio.sleep(0.05)  # a turn ended and the next one is under way
        committed = session.state.committed_until()
        proxy.drop()
        clean = await asyncio.wait_for(task, 60)
    finally:
        proxy.stop()
    state = session.state
    assert clean, state.connection.error
    assert state.connection.reconnects == 1 and committed > 0
    assert state.connection.offset == pytest.approx(
        committed, abs=1e-4
    )  # re-sent from the last EndOfTurn, to the sample
    finals = [line for line in state.transcript.lines if line.kind == "final"]
    assert [line.start for line in finals] == sorted(line.start for line in finals)  # one timeline
    assert "mostly sunny" in state.transcript.text().lower()  # the turn under way at the drop was heard again
