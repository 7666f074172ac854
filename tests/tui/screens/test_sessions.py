"""The sessions screen: recordings listed off the event loop, Enter chooses one, an empty folder says so."""

from __future__ import annotations

from textual.widgets import DataTable, Label

from dgtui.tui.screens.sessions import SessionsScreen
from tests.support.recordings import recording
from tests.tui.screens.conftest import Host


async def test_recordings_are_listed_newest_first_and_enter_chooses_one(tmp_path):
    older = recording(tmp_path, "radio", ["aaaa-1"], 30.0, wall=1764600000.0)
    newer = recording(tmp_path, "call", ["bbbb-2"], 12.5, wall=1764700000.0)
    app = Host(SessionsScreen(tmp_path))
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.screen.query_one(DataTable)
        for _ in range(100):  # listed on a worker: bounded wait
            if table.row_count == 2:
                break
            await pilot.pause(0.05)
        assert table.row_count == 2 and table.get_row_at(0)[1] == "call"
        await pilot.press("down", "enter")
        await pilot.pause()
    assert app.results == [older] and newer != older


async def test_an_empty_folder_and_recording_off_say_so(tmp_path):
    app = Host(SessionsScreen(tmp_path))
    async with app.run_test(size=(120, 30)) as pilot:
        label = app.screen.query_one("#sessions-folder", Label)
        for _ in range(100):
            if "no recordings" in str(label.render()):
                break
            await pilot.pause(0.05)
        assert str(label.render()) == f"no recordings in {tmp_path}"
        await pilot.press("escape")
    off = Host(SessionsScreen(None))
    async with off.run_test(size=(120, 30)) as pilot:
        await pilot.pause(0.1)
        assert str(off.screen.query_one("#sessions-folder", Label).render()) == "recording is off"
