"""The app's garbage-collector policy holds while it runs and is undone when it stops."""

from __future__ import annotations

import gc

from dgtui.recordings.player import PlayerRunner
from dgtui.tui.app import DgtuiApp
from dgtui.tui.heap import FULL_PASS_EVERY


async def test_the_app_freezes_its_start_up_heap_and_gives_the_collector_back() -> None:
    before = gc.get_threshold()
    app = DgtuiApp(PlayerRunner([]), backend_label="test", run_streams=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[2] == FULL_PASS_EVERY
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
