"""The new-stream dialog: a source, flags and a backend asked of the opener; its error keeps the dialog open."""

from __future__ import annotations

from textual.widgets import Input, Label, Select

from dgtui.tui.screens.new_stream import NewStreamScreen, StreamRequest, backends
from tests.tui.screens.conftest import Host


def test_the_backends_name_where_the_key_comes_from():
    assert ("Deepgram (MY_KEY)", "deepgram") in backends("MY_KEY") and backends("K")[0][1] == "default"


async def test_a_request_the_opener_refuses_stays_and_one_it_takes_closes_the_dialog():
    asked: list[StreamRequest] = []

    def opener(request: StreamRequest) -> str | None:
        asked.append(request)
        return None if request.source == "talk.wav" else f"{request.source}: no such file"

    app = Host(NewStreamScreen(opener, key_name="MY_KEY"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert not screen.query_one("#url", Input).display  # shown only for the URL backend
        screen.query_one("#backend", Select).value = "url"
        await pilot.pause()
        assert screen.query_one("#url", Input).display
        screen.query_one("#source", Input).value = "gone.wav"
        screen.query_one("#url", Input).value = " ws://h/v1/listen "
        await pilot.click("#start")
        await pilot.pause()
        assert "gone.wav: no such file" in str(screen.query_one("#error", Label).render())
        source = screen.query_one("#source", Input)
        source.value = "talk.wav"
        screen.query_one("#flags", Input).value = "--diarize"
        source.focus()
        await pilot.press("enter")  # Enter in a field starts it too
        await pilot.pause()
    assert asked[-1] == StreamRequest("talk.wav", "--diarize", "url", "ws://h/v1/listen")
    assert app.results == [asked[-1]]
