"""Replays in the app: original timing, pause, speed, jump to the end, the sessions screen; and the key is never
in a recording, an export or the output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import DataTable

from dgtui.recordings.player import PlayedSession, PlayerRunner
from dgtui.recordings.replay import ReplaySession, load
from dgtui.recordings.writer import record
from dgtui.state.controls import Replayable
from dgtui.state.events import State
from dgtui.tui.app import DgtuiApp
from dgtui.tui.screens.export import ExportScreen
from dgtui.tui.screens.sessions import SessionsScreen
from tests.conftest import TEST_KEY
from tests.support.scenes import COUNCIL, LOCAL_URL
from tests.support.script import audio_steps, close, connect, conversation

SIZE = (140, 42)


def make_recording(folder: Path, name: str = "council") -> Path:
    steps = [
        connect(0.0, LOCAL_URL, f"{name}-0001"),
        *audio_steps(16.0),
        *conversation(COUNCIL, request_id=f"{name}-0001"),
        close(16.5),
    ]
    session = PlayedSession(name, steps, source=f"{name}.wav", options={"model": "nova-3"}, clock=lambda: 0.0)
    recorder = record(session, folder, wall=lambda: 1795500000.0)
    session.advance(100.0, origin=0.0)
    recorder.close()
    assert recorder.path is not None
    return recorder.path


async def test_a_replay_plays_pauses_speeds_up_and_jumps_to_the_end(tmp_path):
    path = make_recording(tmp_path)
    session = ReplaySession(path, speed=1.0)
    assert isinstance(session, Replayable)  # what the app checks before speed, jump, and refusing Finalize
    app = DgtuiApp(PlayerRunner([session]), backend_label="replay")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1")
        await pilot.pause(1.2)
        assert 0.8 <= session.script_time() <= 3.0 and session.state.connection.phase is State.STREAMING
        await pilot.press("p")
        held = session.script_time()
        await pilot.pause(0.5)
        assert session.state.connection.phase is State.PAUSED and session.script_time() == held
        await pilot.press("p", "greater_than_sign", "greater_than_sign")
        assert session.speed == 4.0
        await pilot.press("less_than_sign")
        assert session.speed == 2.0
        await pilot.press("f", "r")  # a replay has no connection: nothing is sent, nothing breaks
        assert session.finalize_requests == 0 and session.state.connection.reconnects == 0
        await pilot.press("J")
        await pilot.pause(0.3)
        assert session.done and session.state.connection.phase is State.CLOSED
        rows = " ".join(app.current_view().transcript.plain_rows())
        assert all(sentence in rows for sentence in COUNCIL)
        whole = load(path)  # the same file applied at once: the same figures
        assert session.state.metrics.summary() == whole.state.metrics.summary()
        await pilot.press("e")
        assert isinstance(app.screen, ExportScreen) and "From the recording" in str(app.screen.source)
        await pilot.press("escape", "q")


async def test_the_sessions_screen_opens_a_recording_in_a_new_tab(tmp_path):
    make_recording(tmp_path, "council")
    make_recording(tmp_path, "weather")
    app = DgtuiApp(PlayerRunner([]), backend_label="x", record_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        screen = app.screen
        assert isinstance(screen, SessionsScreen)
        await screen.workers.wait_for_complete()  # the listing reads the folder on a thread
        await pilot.pause()
        assert screen.query_one(DataTable).row_count == 2
        await pilot.press("down", "enter")
        await app.workers.wait_for_complete()  # the recording is read on a thread, then its tab opens
        await pilot.pause(0.3)
        assert not isinstance(app.screen, SessionsScreen)
        opened = app.current()
        assert isinstance(opened, ReplaySession) and opened.name in ("council", "weather")
        await pilot.press("q")


async def test_the_sessions_screen_says_when_there_is_nothing(tmp_path):
    app = DgtuiApp(PlayerRunner([]), backend_label="x", record_dir=tmp_path / "none")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await app.screen.workers.wait_for_complete()
        await pilot.pause()
        assert "no recordings in" in str(app.screen.query_one("#sessions-folder").render())
        await pilot.press("escape")
        assert not isinstance(app.screen, SessionsScreen)


@pytest.mark.parametrize("args, words", [(["missing.jsonl"], "no such file"), (["x", "--speed", "0"], "--speed")])
def test_replay_command_refuses_bad_input(tmp_path, args, words):
    if args[0] == "x":
        args[0] = str(make_recording(tmp_path))
    result = subprocess.run(
        [sys.executable, "-m", "dgtui", "replay", *args], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2 and words in result.stderr and "Traceback" not in result.stderr


def test_the_key_never_reaches_a_recording_an_export_or_the_output(keyed_server, clip_file, tmp_path):
    import os

    wav = clip_file(seconds=4.0)
    folder = tmp_path / "rec"
    env = {**os.environ, "DEEPGRAM_API_KEY": TEST_KEY}
    result = subprocess.run(
        [sys.executable, "-m", "dgtui", "stream", str(wav), "--fast", "--json", "--url",
         f"{keyed_server.url}?token={TEST_KEY}", "--record-dir", str(folder)],
        capture_output=True, text=True, timeout=90, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    recordings = list(folder.glob("*/*.jsonl"))
    assert len(recordings) == 1
    outputs = [result.stdout, result.stderr, recordings[0].read_text()]
    for fmt in ("txt", "srt", "vtt", "json"):
        exported = subprocess.run([sys.executable, "-m", "dgtui", "export", str(recordings[0]), "-f", fmt],
                                  capture_output=True, text=True, timeout=30, env=env)  # fmt: skip
        outputs += [exported.stdout, exported.stderr]
    assert all(TEST_KEY not in text for text in outputs)
    assert "token=***" in recordings[0].read_text()  # the URL is kept, its secret masked
