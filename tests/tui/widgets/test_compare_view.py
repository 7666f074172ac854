"""The comparison tab: its table fits the width by rank, the best marked; the finals lined up by time on v."""

from __future__ import annotations

from dgtui.tui.widgets.compare_view import CompareView, comparison_of, comparison_table, fitting_columns
from tests.support.scenes import lane_scene
from tests.tui.widgets.conftest import Host


def test_the_table_keeps_the_columns_that_decide_where_space_is_short():
    sessions, _, group = lane_scene(30.0)
    comparison = comparison_of(group, [s.state for s in sessions])
    wide, narrow = fitting_columns(comparison, 200), fitting_columns(comparison, 80)
    assert len(narrow) < len(wide) and all(c.short for c in narrow)
    assert next(c.heading for c in fitting_columns(comparison, 110)) == "WER"
    table = comparison_table(comparison, 140)
    assert table.row_count == 2 and table.columns[0].header == "lane"


async def test_v_swaps_the_live_transcripts_for_the_finals_lined_up():
    sessions, clock, group = lane_scene(30.0)
    view = CompareView(group, [s.state for s in sessions])
    async with Host(view).run_test(size=(140, 42)) as pilot:
        view.render_state(clock())
        await pilot.pause()
        assert not view.showing_aligned
        view.toggle_aligned()
        view.render_state(clock())
        await pilot.pause()
        assert view.showing_aligned
