"""``dgtui stream --json`` can be followed across a reconnect: the server is killed mid-stream and started again
on the same port, and the transcript a script rebuilds from the JSON lines alone (with the documented
``dgtui.Reconnected`` offset) is the session's own, timestamps included."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import pytest

from dgtui.audio.local import FileSource
from dgtui.headless.printer import Printer
from dgtui.live.session import LiveSession, SessionConfig
from dgtui.recordings.reader import read_recording
from dgtui.recordings.replay import load
from dgtui.recordings.writer import record
from dgtui.server.app import ServerConfig
from tests.support.server import ServerThread

OPTIONS = {"interim_results": True, "punctuate": True}


def rebuild(lines: list[dict[str, Any]]) -> list[tuple[float, float, str]]:
    """The README's recipe: finals on one timeline from --json alone.

    Each connection counts audio from zero: add the ``offset_s`` of the last ``dgtui.Reconnected`` to every time of
    the messages after it (a line starts at its first word and ends where its window ends). After a drop
    the audio since the last final is sent again, so a final that ends no later than its channel's previous final
    is a repeat: skip its words.
    """
    offset, last_end, finals = 0.0, {}, []
    for line in lines:
        if line["type"] == "dgtui.Reconnected":
            offset = line["offset_s"]
        elif line["type"] == "Results" and line["is_final"]:
            channel = line["channel_index"][0]
            best = line["channel"]["alternatives"][0]
            start = (best["words"][0]["start"] if best["words"] else line["start"]) + offset  # where speech starts
            end = line["start"] + line["duration"] + offset
            text = best["transcript"]
            previous = last_end.get(channel)
            last_end[channel] = end if previous is None else max(previous, end)
            if text and (previous is None or end > previous + 0.001):
                finals.append((start, end, text))
    return finals


async def test_the_transcript_rebuilt_from_json_across_a_server_restart(clip_file, tmp_path):
    first = ServerThread(ServerConfig(workers=1, admission=False)).start()
    port = int(first.url.rsplit(":", 1)[1].split("/")[0])
    second: ServerThread | None = None
    out = io.StringIO()
    config = SessionConfig("w", first.url, OPTIONS, reconnect_attempts=8, reconnect_backoff=0.3)
    session = LiveSession(config, FileSource(clip_file("weather", seconds=14.0)))
    session.state.subscribe(Printer(out, json_mode=True, show_interim=False, prefix=False))
    session.source.hooks = session.source_hooks()
    recorder = record(session, tmp_path)
    try:
        task = asyncio.create_task(session.run())
        for _ in range(400):
            if session.state.transcript.finals >= 1 and session.state.audio.cursor >= 4.0:
                break
            await asyncio.sleep(0.05)
        await asyncio.to_thread(first.stop)  # the server goes away mid-stream ...
        second = await asyncio.to_thread(
            lambda: ServerThread(ServerConfig(workers=1, admission=False), port=port).start()
        )
        clean = await asyncio.wait_for(task, 90)  # ... and comes back on the same port
    finally:
        recorder.close()
        for thread in (first, second):
            if thread is not None:
                thread.stop()
    assert clean, session.state.connection.error
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    types = [line["type"] for line in lines]
    reconnected = [line for line in lines if line["type"] == "dgtui.Reconnected"]
    # attempts while the server was down were refused; each one that got through says Connected and Reconnected
    assert reconnected and types.count("dgtui.Connected") == len(reconnected) + 1
    assert session.state.connection.reconnects >= len(reconnected)
    reconnecting = lines[types.index("dgtui.Reconnecting")]
    assert reconnecting["attempt"] == 1 and reconnecting["max_attempts"] == 8 and reconnecting["backoff_s"] > 0
    assert reconnecting["reason"]
    assert [line["request_id"] for line in reconnected] == session.state.connection.request_ids[1:]
    assert reconnected[-1]["offset_s"] == pytest.approx(session.state.connection.offset)
    assert sum(line["gap_s"] for line in reconnected) == pytest.approx(sum(session.state.connection.gaps), abs=1e-5)
    assert sum(line["audio_resent_s"] for line in reconnected) == pytest.approx(session.state.audio.resent, abs=1e-5)
    own = [(line.start, line.end, line.text) for line in session.state.transcript.lines if line.kind == "final"]
    rebuilt = rebuild(lines)
    assert [text for _, _, text in rebuilt] == [text for _, _, text in own]
    times = [t for start, end, _ in rebuilt for t in (start, end)]
    assert times == pytest.approx([t for start, end, _ in own for t in (start, end)], abs=1e-6)
    assert rebuilt[-1][1] > reconnected[0]["offset_s"]  # finals after the restart, on the one timeline

    # The recording keeps the same events, and a replay shows the source's kind and the reconnects again.
    _, recorded = read_recording(recorder.path)
    kinds = [line["type"] for line in recorded]
    assert "dgtui.Source" in kinds and "dgtui.Reconnecting" in kinds and "dgtui.Reconnected" in kinds
    # One encoding: the recording holds the same dgtui events, in the same order, as --json printed.
    printed = [t for t in types if t.startswith("dgtui.") and t != "dgtui.Summary"]
    assert [t for t in kinds if t != "message"] == printed
    replayed = load(recorder.path)
    assert (
        replayed.state.audio.source_kind == "file"
        and replayed.state.connection.reconnects == session.state.connection.reconnects
    )
    assert [line.text for line in replayed.state.transcript.lines if line.kind == "final"] == [t for _, _, t in own]


def test_each_of_several_streams_prints_with_its_id_and_its_raw_messages_whole():
    from dgtui.state.events import MessageReceived, StateChanged
    from dgtui.state.events import State as Phase
    from dgtui.state.setup import Setup
    from dgtui.state.stream import StreamState

    out = io.StringIO()
    printer = Printer(out, json_mode=True, show_interim=False, prefix=True)
    raw = '{"type":"Results",  "is_final":true, "channel":{"alternatives":[{"transcript":"a  b"}]}}'
    printer.for_stream(7)(MessageReceived("call", raw, None, 1.0, 0.5))
    printer.for_stream(8)(StateChanged("other", Phase.CLOSED))
    first, second = out.getvalue().splitlines()
    assert first == '{"stream":7,"message":' + raw + "}" and json.loads(first)["message"] == json.loads(raw)
    assert json.loads(second) == {"stream": 8, "type": "dgtui.State", "name": "other", "state": "closed"}
    plain = io.StringIO()
    state = StreamState(Setup("call"), clock=lambda: 1.0)
    state.subscribe(Printer(plain, json_mode=False, show_interim=False, prefix=True).for_stream(7))
    state.apply(MessageReceived("call", raw, None, 1.0, 0.5))
    assert plain.getvalue() == "[call] a  b\n"  # finals per stream, named
