"""The real app against the real local server: a bundled clip transcribed on screen, the demo launch, streams
added from the dialog, a failing stream beside a working one, and a reconnect."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from itertools import pairwise

import pytest
from textual.widgets import Input

from dgtui.commands.cli import build_tui_parser, make_app
from dgtui.data import clip
from dgtui.state.events import State
from dgtui.tui.app import DgtuiApp
from dgtui.tui.screens.new_stream import NewStreamScreen
from tests.conftest import TEST_KEY

SIZE = (140, 42)


def app_for(*argv: str) -> DgtuiApp:
    app = make_app(build_tui_parser().parse_args(list(argv)))
    assert app is not None
    return app


async def until(pilot, condition: Callable[[], bool], timeout: float = 60.0, what: str = "") -> None:
    """Poll (bounded) while the app runs."""
    for _ in range(int(timeout / 0.2)):
        if condition():
            return
        await pilot.pause(0.2)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what or condition}")


def screen_text(app: DgtuiApp) -> str:
    return app.export_screenshot().replace("&#160;", " ")


async def test_a_clip_is_transcribed_on_screen_and_closes_with_its_metadata(server):
    weather = clip("weather")
    app = app_for(str(weather.path), "--url", server.url, "--fast")
    async with app.run_test(size=SIZE) as pilot:
        session = app.runner.sessions[0]
        await pilot.press("1")
        await until(pilot, lambda: session.state.connection.phase is State.CLOSED, what="the stream to end")
        assert (
            session.state.clean
            and session.state.connection.metadata is not None
            and session.state.connection.request_id
        )
        await pilot.pause(0.3)
        text = screen_text(app)
        rows = " ".join(app.current_view().transcript.plain_rows()).lower()
        reference = weather.reference.lower().replace(".", "").replace(",", "").split()
        heard = [w for w in reference if w in rows]
        assert len(heard) >= 0.7 * len(reference), rows
        assert "end of turn" in text and "closed" in text
        assert session.state.connection.request_id[:20] in text  # the metadata panel (the id wraps)
        assert "Metadata" in text and f"{session.state.connection.metadata.duration:.2f} s" in text
        await pilot.press("q")
        await pilot.pause(0.5)
    assert app.return_value == 0


async def test_demo_without_sources_runs_the_clips_on_the_embedded_engine(monkeypatch):
    monkeypatch.delenv("DEEPGRAM_API_KEY", raising=False)
    app = app_for()
    assert "local engine" in app.backend_label and app.notice and "DEEPGRAM_API_KEY" in app.notice
    async with app.run_test(size=SIZE) as pilot:
        sessions = app.runner.sessions
        assert [s.name for s in sessions] == ["weather", "council", "support", "science"]
        assert "Demo on the local engine (offline)" in screen_text(app)
        await until(pilot, lambda: all(s.state.transcript.finals for s in sessions), 90, "a final on every stream")
        await pilot.pause(0.3)
        first_screen = screen_text(app)  # the Overview: speech from every stream, request ids, speech_final counts
        for session in sessions:
            last_words = [line.text for line in session.state.transcript.lines if line.kind == "final"][-1].split()[-2:]
            assert " ".join(last_words) in first_screen, (session.name, last_words)
            assert session.state.connection.request_id[:8] in first_screen  # its short request id
        assert "speech_final" in first_screen
        assert all(s.state.connection.url.startswith("ws://127.0.0.1:") for s in sessions)
        await pilot.press("q")
        await until(
            pilot, lambda: all(s.state.connection.phase is State.CLOSED for s in sessions), 30, "every stream to close"
        )
        assert all(s.state.clean for s in sessions), [s.state.connection.error for s in sessions]


async def test_streams_added_from_the_dialog_and_a_failing_one_does_not_stop_the_others(server, keyed_server):
    app = app_for(str(clip("council").path), "--url", server.url)
    async with app.run_test(size=SIZE) as pilot:
        first = app.runner.sessions[0]
        await until(pilot, lambda: first.state.connection.phase is State.STREAMING, what="the first stream")
        await pilot.press("a")
        dialog = app.screen
        assert isinstance(dialog, NewStreamScreen)
        dialog.query_one("#source", Input).value = str(clip("support").path)
        dialog.query_one("#flags", Input).value = "--fast --no-smart-format"
        await pilot.click("#start")
        await pilot.pause()
        added = app.runner.sessions[1]
        assert added.name == "support" and added.state.setup.options["smart_format"] is False
        assert added.state.connection.url.startswith(server.url)  # the run's backend
        assert app.current() is added
        await pilot.press("a")
        dialog = app.screen
        dialog.query_one("#source", Input).value = str(clip("science").path)
        dialog.query_one("#backend").value = "url"
        await pilot.pause()
        dialog.query_one("#url", Input).value = keyed_server.url  # needs a key we do not have
        await pilot.click("#start")
        await until(
            pilot,
            lambda: len(app.runner.sessions) == 3 and app.runner.sessions[2].state.connection.phase is State.ERROR,
        )
        refused = app.runner.sessions[2]
        assert "401" in (refused.state.connection.error or "")
        await pilot.pause(0.3)
        assert "401" in screen_text(app)  # shown in its tab
        await until(
            pilot,
            lambda: added.state.connection.phase is State.CLOSED and first.state.transcript.finals > 0,
            what="the others",
        )
        assert first.state.connection.phase is State.STREAMING and added.state.clean
        await pilot.press("a")
        app.screen.query_one("#source", Input).value = "/nonexistent/audio.wav"
        await pilot.click("#start")
        await pilot.pause()
        assert isinstance(app.screen, NewStreamScreen)
        assert "/nonexistent/audio.wav" in str(app.screen.query_one("#error").render())
        await pilot.press("escape")
        await pilot.press("q")
        await until(pilot, lambda: first.state.connection.phase is State.CLOSED, 30, "the first stream to close")
        assert first.state.clean


async def test_reconnect_pause_and_finalize_on_a_live_stream(server):
    app = app_for(str(clip("weather").path), "--url", server.url)
    async with app.run_test(size=SIZE) as pilot:
        session = app.runner.sessions[0]
        await pilot.press("1")
        await until(pilot, lambda: session.state.transcript.finals >= 1, what="a first final")
        await pilot.press("r")
        await until(
            pilot,
            lambda: session.state.connection.reconnects == 1 and session.state.connection.phase is State.STREAMING,
            what="reconnected",
        )
        offset = session.state.connection.offset
        assert (
            offset > 1.0
            and len(session.state.connection.request_ids) == 2
            and session.state.connection.request_ids[0] != session.state.connection.request_ids[1]
        )
        finals_before = session.state.transcript.finals
        await until(
            pilot, lambda: session.state.transcript.finals > finals_before + 1, what="finals after the reconnect"
        )
        lines = [line for line in session.state.transcript.lines if line.kind == "final"]
        assert all(b.start >= a.start for a, b in pairwise(lines))  # one timeline
        assert lines[-1].start > offset
        assert session.state.metrics.latency.last < 2.0  # the shift keeps latency meaningful
        await pilot.press("p")
        assert session.state.connection.phase is State.PAUSED
        paused_at = session.state.audio.cursor
        await pilot.pause(1.5)
        assert session.state.audio.cursor - paused_at <= 0.2  # at most the chunk already on its way
        await pilot.press("p")
        await until(pilot, lambda: session.state.audio.cursor > paused_at + 0.5, what="audio flowing again")
        await pilot.press("f")
        await until(pilot, lambda: session.state.lights.counts["from_finalize"] >= 1, what="a result from Finalize")
        await pilot.press("q")
        await until(pilot, lambda: session.state.connection.phase is State.CLOSED, 30, "the stream to close")


async def test_a_source_that_cannot_be_opened_gets_its_own_tab_with_the_reason(server):
    app = app_for("/nonexistent.wav", str(clip("weather").path), "--url", server.url, "--fast")
    async with app.run_test(size=SIZE) as pilot:
        broken, good = app.runner.sessions
        await until(pilot, lambda: broken.state.connection.phase is State.ERROR, what="the broken stream's error")
        await pilot.press("1")
        await pilot.pause(0.5)
        assert "/nonexistent.wav: no such file. Check the path." in screen_text(app)
        await until(pilot, lambda: good.state.connection.phase is State.CLOSED, what="the other stream to end")
        assert good.state.clean and good.state.transcript.finals
        await pilot.press("q")
        await pilot.pause(0.5)


@pytest.mark.parametrize("argv", [["--url", "ftp://x"], ["/nonexistent.wav"]])
def test_bad_arguments_fail_before_the_app_starts(argv, capsys):
    assert make_app(build_tui_parser().parse_args(argv)) is None
    assert "dgtui:" in capsys.readouterr().err


def test_a_key_is_never_shown(monkeypatch, server):
    monkeypatch.setenv("DEEPGRAM_API_KEY", TEST_KEY)
    app = app_for(str(clip("weather").path), "--url", server.url + f"?token={TEST_KEY}")
    assert TEST_KEY not in app.backend_label
    assert all(TEST_KEY not in s.state.connection.url for s in app.runner.sessions)
    asyncio.run(_screens_without(app, TEST_KEY))


async def _screens_without(app: DgtuiApp, secret: str) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1")
        await pilot.pause(1.0)
        assert secret not in screen_text(app)
        await pilot.press("q")
        await pilot.pause(0.5)
