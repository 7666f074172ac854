"""Recordings: a real session recorded and replayed gives the same transcript and metrics; a killed process
leaves a valid file; a full disk or an unwritable directory is a message on the stream, which goes on."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from dgtui.recordings.format import RecordingError
from dgtui.recordings.player import PlayedSession
from dgtui.recordings.reader import read_recording
from dgtui.recordings.replay import load
from dgtui.recordings.writer import record as subscribe_recorder
from dgtui.state.events import State
from tests.support.recordings import OPTIONS, record_live
from tests.support.script import connect, conversation


def same_figures(live: dict, replayed: dict, path: str = "") -> None:
    """Equal, up to the 1 µs rounding of the recorded times."""
    assert live.keys() == replayed.keys(), path
    for key, value in live.items():
        other = replayed[key]
        if isinstance(value, dict):
            same_figures(value, other, f"{path}.{key}")
        elif isinstance(value, float) and isinstance(other, float):
            assert other == pytest.approx(value, abs=2e-4), f"{path}.{key}"
        else:
            assert other == value, f"{path}.{key}"


def test_a_recorded_session_replays_to_the_same_transcript_and_metrics(server, tmp_path, clip_file):
    live = asyncio.run(record_live(clip_file(seconds=8.0), server.url, tmp_path, 8.0))
    assert live.state.clean and live.recording_path is not None
    path = live.recording_path
    assert path.parent.parent == tmp_path and path.name == f"{live.name}-{live.state.connection.request_id}.jsonl"
    header, lines = read_recording(path)
    assert header["options"] == OPTIONS and header["url"].startswith(server.url) and header["backend"] == "url"
    messages = [line for line in lines if line["type"] == "message"]
    assert len(messages) == sum(live.state.metrics.messages.values())
    assert all({"wall", "mono", "cursor", "raw"} <= line.keys() for line in messages)
    assert [json.loads(m["raw"])["type"] for m in messages][-1] == "Metadata"
    replayed = load(path)
    assert replayed.state.transcript.text() == live.state.transcript.text() and live.state.transcript.text()
    same_figures(live.state.metrics.summary(), replayed.state.metrics.summary())
    assert (
        replayed.state.connection.request_ids == live.state.connection.request_ids
        and replayed.state.connection.metadata == live.state.connection.metadata
    )
    assert replayed.state.connection.phase is State.CLOSED and replayed.state.connection.close_code == 1000


def test_a_reconnect_is_recorded_and_replayed_on_one_timeline(server, tmp_path, clip_file):
    live = asyncio.run(record_live(clip_file(seconds=9.0), server.url, tmp_path, 9.0, reconnect_after=4.0))
    assert live.state.connection.reconnects == 1 and len(live.state.connection.request_ids) == 2
    _, lines = read_recording(live.recording_path)
    reconnect = [line for line in lines if line["type"] == "dgtui.Control" and line["action"] == "reconnect"]
    assert len(reconnect) == 1 and reconnect[0]["offset_s"] == pytest.approx(live.state.connection.offset)
    replayed = load(live.recording_path)
    assert (
        replayed.state.connection.reconnects == 1
        and replayed.state.connection.request_ids == live.state.connection.request_ids
    )
    assert replayed.state.transcript.text() == live.state.transcript.text()
    same_figures(live.state.metrics.summary(), replayed.state.metrics.summary())


def test_kill_9_leaves_a_valid_file_up_to_its_last_line(server, tmp_path, clip_file):
    wav = clip_file(seconds=20.0)
    process = subprocess.Popen(
        [sys.executable, "-m", "dgtui", "stream", str(wav), "--url", server.url,
         "--record-dir", str(tmp_path / "rec")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        path = None
        while time.monotonic() < deadline:
            files = list((tmp_path / "rec").glob("*/*.jsonl"))
            if files and files[0].read_text().count('"type":"message"') >= 5:
                path = files[0]
                break
            time.sleep(0.1)
        assert path is not None, "the recording never got five messages"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    text = path.read_text()
    assert text.endswith("\n")  # every line was written whole
    header, lines = read_recording(path)
    assert header["type"] == "dgtui.header" and len(lines) >= 5
    assert not any(line["type"] == "dgtui.Closed" for line in lines)  # it really was cut short
    assert load(path).state.transcript.finals >= 0
    path.write_text(text + '{"type":"message","raw":"{\\"ty')  # a line torn mid-write
    assert len(read_recording(path)[1]) == len(lines)
    path.write_text('{"type":"message"}\n' + text)
    with pytest.raises(RecordingError, match="not a dgtui recording"):
        read_recording(path)


def scripted(name: str = "s") -> PlayedSession:
    steps = [connect(0.0, "ws://127.0.0.1:1/v1/listen", "req-1"), *conversation(["hello there", "and again"])]
    return PlayedSession(name, steps, clock=lambda: 0.0)


def test_a_full_disk_is_shown_on_the_stream_which_goes_on(tmp_path):
    session = scripted()
    full = lambda path, mode: open("/dev/full", "wb", buffering=0)  # noqa: E731, SIM115
    recorder = subscribe_recorder(session, tmp_path, opener=full)
    session.advance(100.0, origin=0.0)
    assert recorder.paused is not None and "No space left on device" in recorder.paused  # tried again later
    errors = [e.text for e in session.state.log.entries if e.level == "error"]
    assert any("recording paused" in e and "free some space" in e for e in errors)
    assert (
        session.state.connection.error is None and session.state.transcript.text() == "hello there and again"
    )  # it went on


def test_an_unwritable_directory_is_shown_on_the_stream_which_goes_on(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    session = scripted()
    recorder = subscribe_recorder(session, blocker / "sessions")
    session.advance(100.0, origin=0.0)
    assert recorder.failed is not None and "Not a directory" in recorder.failed and recorder.path is None
    assert any("record to another one" in e.text for e in session.state.log.entries if e.level == "error")
    assert session.state.transcript.text() == "hello there and again"


def test_a_recorder_needs_nothing_but_the_events(tmp_path):
    """Data flows one way: a recorder fed a stream's events from a list, with no session behind it, writes the
    same recording (URL and request id from Connected, the cursor from the audio events)."""
    from dgtui.recordings.writer import Recorder, RecordingHeader

    events = []
    session = scripted()
    session.state.subscribe(events.append)
    session.advance(100.0, origin=0.0)
    recorder = Recorder(RecordingHeader("s", "talk.wav", {"model": "nova-3"}, "url"), tmp_path, mono=lambda: 0.0)
    for event in events:
        recorder.on_event(event)
    recorder.close()
    header, _ = read_recording(recorder.path)
    assert header["url"] == "ws://127.0.0.1:1/v1/listen" and header["source"] == "talk.wav"
    assert recorder.path.name == "s-req-1.jsonl"
    assert load(recorder.path).state.transcript.text() == "hello there and again"
