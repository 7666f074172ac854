"""Every key action, driven through Pilot on scripted streams (exact messages, frozen clock)."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from textual.widgets import Input

from dgtui.recordings.player import PlayerRunner
from dgtui.state.events import State
from dgtui.tui.app import DgtuiApp
from dgtui.tui.keys import KEYS
from dgtui.tui.screens.export import ExportScreen
from dgtui.tui.screens.help import HelpScreen
from dgtui.tui.screens.new_stream import NewStreamScreen
from dgtui.tui.widgets.stream_view import StreamView
from dgtui.tui.widgets.wall import StreamWall
from tests.support.scenes import many_scene, scene

SIZE = (140, 42)


def make_app(at: float = 9.5, tmp_path: Path | None = None, **kwargs) -> DgtuiApp:
    sessions, clock = scene(at)
    return DgtuiApp(PlayerRunner(sessions), backend_label="scripted", clock=clock, run_streams=False,
                    export_dir=tmp_path, **kwargs)  # fmt: skip


async def test_number_keys_brackets_and_clicks_switch_streams():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert app.tabs.active == "overview"
        await pilot.press("2")
        assert app.current().name == "council"
        await pilot.press("right_square_bracket")
        assert app.current().name == "support"
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert app.current().name == "weather"
        await pilot.press("0")
        assert app.tabs.active == "overview"
        await pilot.press("left_square_bracket")  # wraps around to the last stream
        assert app.current().name == "radio"
        await pilot.press("9")  # no such stream: stays
        assert app.current().name == "radio"
        await pilot.click("#--content-tab-stream-2")  # the mouse works too
        assert app.current().name == "council"


async def test_the_wall_shows_every_stream_and_arrows_select_a_card():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        wall = app.overview
        assert wall.names == ["weather", "council", "support", "radio"]
        assert wall.columns == 2 and not wall.compact  # 140 columns: two cards a row
        await pilot.press("right")
        assert app.current().name == "council"  # actions on the Overview go to the selected card's stream
        await pilot.press("down", "enter")  # down moves a row: two cards
        assert app.tabs.active != "overview" and app.current().name == "radio"
        await pilot.press("0")
        await pilot.click(StreamWall, offset=(10, wall.card_height + 1))  # the second row's first card
        assert app.current().name == "support"


async def test_a_wall_that_does_not_fit_falls_back_to_rows_that_still_show_words():
    sessions, clock = many_scene(48, 10.2)
    app = DgtuiApp(PlayerRunner(sessions), clock=clock, run_streams=False)
    async with app.run_test(size=SIZE) as pilot:
        wall = app.overview
        assert wall.row_count == 48 and wall.compact and wall.columns == 2
        await pilot.press(*["down"] * 44)  # one row a stream, scrolled to keep the selection in view
        assert wall.selected == 44 and wall.scroll_offset.y > 0
        await pilot.pause()
        text = app.export_screenshot().replace("&#160;", " ")
        assert "weather-45" in text and "latest words" in text  # the header line stays when rows scroll
        assert "Temperatures will reach" in wall.render_line(wall.size.height - 1).text
        await pilot.press("enter")
        assert app.current().name == "weather-45"


async def test_pause_resume_finalize_and_reconnect_reach_the_session():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1")
        weather = app.current()
        await pilot.press("p")
        assert weather.state.connection.phase is State.PAUSED
        await pilot.press("p")
        assert weather.state.connection.phase is State.STREAMING
        await pilot.press("f")
        assert weather.finalize_requests == 1
        await pilot.press("r")
        assert weather.state.connection.reconnects == 1
        await pilot.pause()
        texts = [entry.text for entry in weather.state.log.entries]
        assert "state: paused" in texts and "Finalize sent" in texts and any("reconnecting" in t for t in texts)
        await pilot.press("4", "p", "r")  # the failed stream neither pauses nor reconnects
        radio = app.current()
        assert radio.state.connection.phase is State.ERROR and radio.state.connection.reconnects == 0


async def test_actions_on_the_overview_apply_to_the_highlighted_row():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("right", "f")
        assert app.runner.sessions[1].finalize_requests == 1


async def test_interim_toggle_hides_and_shows_the_interim_line():
    app = make_app(at=10.2)  # mid-utterance: an interim is on screen
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1")
        await pilot.pause()
        view = app.current_view()
        assert any(row.startswith("00:09.0 … Temperatures") for row in view.transcript.plain_rows())
        await pilot.press("i")
        assert not any("…" in row for row in view.transcript.plain_rows())
        await pilot.press("i")
        await pilot.pause()
        assert any("… Temperatures" in row for row in view.transcript.plain_rows())


async def test_inspector_shows_the_json_of_a_message():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "j")
        await pilot.pause()
        view = app.current_view()
        assert view.bottom.current == "inspector"
        options = view.inspector.query_one("#raw-list")
        assert options.option_count == len(view.session.log.raw)
        options.focus()
        await pilot.press("up", "up")  # SpeechStarted, UtteranceEnd, then the final Results before them
        await pilot.pause()
        assert view.inspector.shown is not None and view.inspector.shown.kind == "Results"
        assert '"type": "Results"' in view.inspector.shown.raw
        await pilot.press("j")
        assert view.bottom.current == "events"


async def test_search_highlights_and_steps_through_matches():
    app = make_app(at=14.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "slash")
        view = app.current_view()
        assert view.search_input.display and isinstance(app.focused, Input)
        await pilot.press(*"the", "enter")
        transcript = view.transcript
        assert len(transcript.matches) >= 2 and transcript.match_index == len(transcript.matches) - 1
        await pilot.press("n")
        assert transcript.match_index == 0
        await pilot.press("N")
        assert transcript.match_index == len(transcript.matches) - 1
        await pilot.press("escape")
        assert not view.search_input.display


async def test_follow_stops_on_scroll_up_counts_new_lines_and_end_jumps_back():
    sessions, clock = scene(4.0)
    app = DgtuiApp(PlayerRunner(sessions), clock=clock, run_streams=False)
    async with app.run_test(size=(120, 16)) as pilot:  # a short screen: the transcript overflows soon
        await pilot.press("1")
        view = app.current_view()
        weather = sessions[0]
        for at in range(5, 40):
            clock.set(at)
            weather.advance(at)
            app.render_now()
            await pilot.pause()
        transcript = view.transcript
        assert transcript.follow and transcript.is_vertical_scroll_end
        transcript.scroll_to(y=0, animate=False)
        await pilot.pause()
        app.render_now()
        weather.steps.extend(_more_speech(weather, 41.0))
        clock.set(60)
        weather.advance(60)
        app.render_now()
        await pilot.pause()
        assert not transcript.follow and transcript.new_lines > 0
        assert view.hint.display and "new line" in str(view.hint.render())
        await pilot.press("end")
        await pilot.pause()
        assert transcript.follow and transcript.new_lines == 0 and transcript.is_vertical_scroll_end
        app.render_now()
        assert not view.hint.display


def _more_speech(session, start: float):
    from tests.support.script import conversation

    return list(conversation(["And finally the headlines once more."], start=start))


async def test_export_dialog_writes_each_format(tmp_path: Path):
    app = make_app(at=14.0, tmp_path=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "e")
        dialog = app.screen
        assert isinstance(dialog, ExportScreen)
        assert dialog.query_one("#path", Input).value == str(tmp_path / "weather-3f1c9a52.txt")
        await pilot.click("#start")
        await app.screen.workers.wait_for_complete()  # the file is written on a thread
        await pilot.pause()
        assert not isinstance(app.screen, ExportScreen)
        text = (tmp_path / "weather-3f1c9a52.txt").read_text()
        assert text.splitlines()[0] == "[00:00:00.600] Good morning, here is the weather for Tuesday."
        for fmt, first in (("srt", "1\n00:00:00,600 --> "), ("vtt", "WEBVTT\n"), ("json", "{")):
            await pilot.press("e")
            app.screen.query_one("#format").value = fmt
            await pilot.pause()
            assert app.screen.query_one("#path", Input).value.endswith(f".{fmt}")
            await pilot.click("#start")
            await app.screen.workers.wait_for_complete()
            await pilot.pause()
            assert (tmp_path / f"weather-3f1c9a52.{fmt}").read_text().startswith(first), fmt


async def test_export_to_an_unwritable_place_keeps_the_dialog_with_the_reason(tmp_path: Path):
    app = make_app(at=14.0, tmp_path=tmp_path / "missing")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "e")
        await pilot.click("#start")
        await app.screen.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        error = str(app.screen.query_one("#error").render())
        assert "Could not export" in error and "Check the directory" in error


async def test_close_stream_sends_closestream_and_removes_its_tab():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        council = app.current()
        await pilot.press("x")
        await pilot.pause()
        assert council.stopped and council not in app.panes.values()
        assert [s.name for s in app.panes.values()] == ["weather", "support", "radio"]
        assert app.overview.names == ["weather", "support", "radio"]


async def test_help_screen_lists_every_key_and_closes():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=120, record=True, file=io.StringIO())
        console.print(app.screen.table)
        text = console.export_text()
        for key in KEYS:
            assert key.description in text, key.id
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_command_palette_offers_every_action():
    app = make_app()
    async with app.run_test(size=SIZE):
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for key in KEYS:
            if key.id not in ("quit", "stream"):
                assert key.description in titles and set(key.aliases) <= set(titles), key.id
        assert "ForceEndTurn: end the Flux turn now" in titles  # f by the name Flux gives it
        assert "Go to stream 2: council" in titles


async def test_palette_command_runs_its_action():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1")
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "Finalize")
        await command.callback()
        assert app.current().finalize_requests == 1


async def test_new_stream_without_a_live_backend_says_so():
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("a")
        assert not isinstance(app.screen, NewStreamScreen)
        assert any("needs a live backend" in n.message for n in app._notifications)


async def test_new_stream_dialog_keeps_its_error_until_the_request_works():
    opened = []

    def opener(request):
        if not request.source.endswith(".ogg"):
            raise ValueError(f"{request.source}: no such file. Check the path.")
        session = scene(1.0)[0][0]
        opened.append(request)
        return session

    app = make_app(opener=opener)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")
        assert isinstance(app.screen, NewStreamScreen)
        await pilot.press(*"nope.wav", "enter")
        assert isinstance(app.screen, NewStreamScreen)
        assert "no such file" in str(app.screen.query_one("#error").render())
        app.screen.query_one("#source", Input).value = "more.ogg"
        await pilot.click("#start")
        await pilot.pause()
        assert not isinstance(app.screen, NewStreamScreen) and opened[0].source == "more.ogg"
        assert len(app.panes) == 5 and app.tabs.active == list(app.panes)[-1]


async def test_quit_stops_every_stream_then_exits():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause(0.2)
    assert all(s.stopped for s in app.runner.sessions)
    assert app.return_value == 0


async def test_stream_view_count_matches_sessions():
    app = make_app()
    async with app.run_test(size=SIZE):
        assert len(app.query(StreamView)) == 4


async def test_a_small_terminal_gives_the_transcript_the_space_and_l_brings_the_panels_back():
    app = make_app(10.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
        await pilot.pause()
        view = app.current_view()
        side, bottom = view.query_one(".side"), view.query_one(".bottom")
        assert not side.display and not bottom.display
        assert view.transcript.size.height >= 12 and view.transcript.size.width >= 70  # the speech has the room
        await pilot.press("l")
        await pilot.pause()
        assert side.display and bottom.display
        await pilot.press("l")
        await pilot.pause()
        assert not side.display and not bottom.display
        await pilot.press("j")  # the inspector needs the bottom: it comes back with it
        await pilot.pause()
        assert bottom.display and view.bottom.current == "inspector"
    app = make_app(10.2)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1")
        await pilot.pause()
        view = app.current_view()
        side = view.query_one(".side")
        assert side.display  # a large terminal shows them ...
        await pilot.press("l")
        await pilot.pause()
        assert not side.display  # ... and l hides them
