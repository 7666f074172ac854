"""A stream's tab: its parts drawn from the state at a tick, the inspector swapped in, the transcript searched."""

from __future__ import annotations

from dgtui.tui.widgets.stream_view import StreamView
from tests.support.scenes import scene
from tests.tui.widgets.conftest import Host


async def test_a_tick_draws_the_transcript_and_the_inspector_swaps_with_the_log():
    (weather, *_), clock = scene(20.0)
    view = StreamView(weather.state)
    async with Host(view).run_test(size=(140, 42)) as pilot:
        view.render_state(clock())
        await pilot.pause()
        assert view.transcript.row_count > 0 and any("weather" in row.lower() for row in view.transcript.plain_rows())
        assert view.toggle_inspector() is True and view.bottom.current == "inspector"
        assert view.toggle_inspector() is False
        view.start_search()
        await pilot.pause()
        assert view.search_input.display
        view.search_input.value = "rain"
        await pilot.press("enter")
        await pilot.pause()
        assert view.transcript.find("rain") >= 1
        view.key_escape()
        assert not view.search_input.display
