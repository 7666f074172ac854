"""Configure a Flux stream mid-stream: the fields read and checked before anything is sent."""

from __future__ import annotations

import pytest
from textual.app import App
from textual.widgets import Input, Label

from dgtui.tui.screens.configure import ConfigureScreen, parse_configure


def test_the_fields_are_read_checked_and_empty_ones_keep_the_servers_values():
    values = {"eot_threshold": "0.8", "eager_eot_threshold": "", "eot_timeout_ms": "3000"}
    assert parse_configure(values, "dgtui, Deepgram") == {"eot_threshold": 0.8, "eot_timeout_ms": 3000,
                                                          "keyterms": ["dgtui", "Deepgram"]}  # fmt: skip
    for bad, words in [({"eot_threshold": "high"}, "is not a number"), ({"eot_threshold": "1.5"}, "out of range"),
                       ({"eot_threshold": "0.6", "eager_eot_threshold": "0.7"}, "must not be above"),
                       ({}, "nothing to change")]:  # fmt: skip
        with pytest.raises(ValueError, match=words):
            parse_configure(bad, "")


async def test_the_screen_sends_what_was_typed_and_says_what_is_wrong():
    sent: list[dict] = []

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(ConfigureScreen("agent", {"eot_threshold": 0.7}, sent.append))

    app = Host()
    async with app.run_test() as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ConfigureScreen)
        field = screen.query_one("#eot_threshold", Input)
        field.focus()
        field.value = "2"
        await pilot.press("enter")
        await pilot.pause()
        assert sent == [] and isinstance(app.screen, ConfigureScreen)  # out of range: stays, says why
        assert "out of range" in str(screen.query_one("#error", Label).render())
        field.value = "0.8"
        await pilot.press("enter")
        await pilot.pause()
        assert sent and sent[-1]["eot_threshold"] == 0.8
