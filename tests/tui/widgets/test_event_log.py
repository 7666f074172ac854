"""The event log and the raw-message inspector: only new lines written, each message listed and shown as JSON."""

from __future__ import annotations

from textual.widgets import OptionList

from dgtui.state.events import Note
from dgtui.tui.widgets.event_log import EventLog, RawInspector
from tests.support.scenes import scene
from tests.tui.widgets.conftest import Host


async def test_the_log_writes_only_what_is_new():
    (weather, *_), _ = scene(12.0)
    log = EventLog()
    async with Host(log).run_test(size=(120, 20)) as pilot:
        await pilot.pause()
        log.show(weather.state)
        await pilot.pause()
        written = len(log.lines)
        assert written >= 3  # connected, state, ...
        log.show(weather.state)
        assert len(log.lines) == written  # nothing new: nothing written
        weather.state.apply(Note("weather", "a new line"))
        log.show(weather.state)
        await pilot.pause()
        assert len(log.lines) > written and "a new line" in log.lines[-1].text


async def test_the_inspector_lists_the_raw_messages_and_shows_one_as_json():
    (weather, *_), _ = scene(12.0)
    inspector = RawInspector()
    async with Host(inspector).run_test(size=(140, 30)) as pilot:
        inspector.show(weather.state)
        await pilot.pause()
        options = inspector.query_one(OptionList)
        assert options.option_count == len(weather.state.log.raw)
        options.focus()
        options.highlighted = options.option_count - 1
        await pilot.pause()
        assert inspector.shown is weather.state.log.raw[-1]  # the highlighted message, shown as JSON beside
