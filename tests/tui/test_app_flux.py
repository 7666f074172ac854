"""A Flux stream in the app: its tab, the Configure dialog, ForceEndTurn on f."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Label

from dgtui.recordings.player import PlayerRunner
from dgtui.tui.app import DgtuiApp
from dgtui.tui.screens.configure import ConfigureScreen, parse_configure
from tests.support.scenes import flux_scene

SIZE = (140, 42)


def make_app(at: float = 7.0) -> DgtuiApp:
    sessions, clock = flux_scene(at)
    return DgtuiApp(PlayerRunner(sessions), clock=clock, run_streams=False, opener=lambda request: None)


def test_configure_fields_are_checked_before_anything_is_sent():
    assert parse_configure({"eot_threshold": "0.8", "eager_eot_threshold": "", "eot_timeout_ms": "3000"}, "a, b") == {
        "eot_threshold": 0.8, "eot_timeout_ms": 3000, "keyterms": ["a", "b"]
    }  # fmt: skip
    for values, words in [
        ({"eot_threshold": "0.3"}, r"out of range \(0.5 to 1\)"),
        ({"eot_threshold": "0.6", "eager_eot_threshold": "0.8"}, "must not be above"),
        ({"eot_timeout_ms": "soon"}, "not a number"),
        ({}, "nothing to change"),
    ]:
        with pytest.raises(ValueError, match=words):
            parse_configure(values, "")


async def test_the_configure_dialog_sends_what_it_checked():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "c")
        await pilot.pause()
        assert isinstance(app.screen, ConfigureScreen)
        assert app.screen.query_one("#eager_eot_threshold", Input).value == "0.4"  # the stream's settings
        app.screen.query_one("#eot_threshold", Input).value = "0.3"
        await pilot.press("enter")
        await pilot.pause()
        assert "out of range" in str(app.screen.query_one("#error", Label).render())
        app.screen.query_one("#eot_threshold", Input).value = "0.85"
        await pilot.press("enter")
        await pilot.pause()
        played = app.runner.sessions[0]
        assert played.configures == [{"eot_threshold": 0.85, "eager_eot_threshold": 0.4, "eot_timeout_ms": 5000}]
        await pilot.press("2", "c")  # a Nova stream has no turn thresholds
        await pilot.pause()
        assert not isinstance(app.screen, ConfigureScreen)
        await pilot.press("1", "f")
        assert played.finalize_requests == 1  # f is ForceEndTurn on Flux
        await pilot.press("q")


def test_configure_dialog(snap_compare):
    assert snap_compare(make_app(), press=["1", "c"], terminal_size=SIZE)
