"""The export dialog: the file's suffix follows the format, the exporter's error keeps it open, success closes it."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Label, Select

from dgtui.tui.screens.export import ExportScreen
from tests.tui.screens.conftest import Host


async def test_the_path_follows_the_format_and_an_error_keeps_the_dialog_open(tmp_path):
    calls: list[tuple[str, Path]] = []

    async def exporter(fmt: str, path: Path) -> str | None:
        calls.append((fmt, path))
        return "the folder is read-only" if len(calls) == 1 else None

    app = Host(ExportScreen(tmp_path / "talk", "talk.wav", exporter))
    async with app.run_test() as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.query_one("#path", Input).value == str(tmp_path / "talk.txt")
        screen.query_one("#format", Select).value = "srt"
        await pilot.pause()
        assert screen.query_one("#path", Input).value == str(tmp_path / "talk.srt")
        await pilot.click("#start")
        await pilot.pause(0.2)
        assert "read-only" in str(screen.query_one("#error", Label).render()) and app.screen is screen
        await pilot.click("#start")
        await pilot.pause(0.2)
    assert calls == [("srt", tmp_path / "talk.srt")] * 2 and app.results == [tmp_path / "talk.srt"]
