"""The help screen lists every key of the key table, and the palette."""

from __future__ import annotations

from dgtui.tui.keys import KEYS
from dgtui.tui.screens.help import HelpScreen, key_rows
from tests.tui.screens.conftest import Host


def test_every_key_is_listed_with_what_it_does():
    rows = key_rows()
    assert len(rows) == len(KEYS) + 1 and rows[-1] == (
        "Palette",
        "ctrl+p",
        "Command palette: every action above, by name",
    )
    assert all(description for _, _, description in rows)


async def test_the_screen_opens_and_escape_closes_it():
    app = Host(HelpScreen())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen) and app.results == [None]
