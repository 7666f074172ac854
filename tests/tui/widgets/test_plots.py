"""Plots: a stream's latency over its audio with its reconnects, a comparison's distributions and word error rate
per segment; shown with g (in place of the transcript where the terminal is short), drawn only when they change."""

from __future__ import annotations

from dgtui.recordings.player import PlayerRunner
from dgtui.state.events import Control
from dgtui.tui.app import DgtuiApp
from dgtui.tui.widgets.compare_view import CompareView
from dgtui.tui.widgets.plots import DistributionPlot, LatencyPlot, SegmentErrorPlot, cdf_points
from dgtui.tui.widgets.stream_view import StreamView
from tests.support.scenes import lane_scene, scene
from tests.tui.widgets.conftest import Host


async def test_g_shows_the_latency_over_the_audio_with_the_reconnects_marked():
    (weather, *_), clock = scene(30.0)
    weather.state.apply(Control("weather", "reconnect", 20.0))
    view = StreamView(weather.state)
    async with Host(view).run_test(size=(140, 42)) as pilot:
        view.render_state(clock())
        await pilot.pause()
        plot = view.query_one(LatencyPlot)
        assert not plot.display and not view.showing_plots
        assert view.toggle_plots() is True
        await pilot.pause()
        assert plot.display and view.transcript.display  # a tall terminal: under the transcript
        text = plot.plt.build()
        assert "interim" in text and "final" in text and "end of turn" in text and "audio (s)" in text
        timeline = weather.state.metrics.timeline
        assert list(timeline.reconnects) == [30.0] and len(timeline.points("interim")) >= 3
        assert not plot.due(timeline.version)  # nothing new: not drawn again
        assert view.toggle_plots() is False


async def test_a_short_terminal_shows_the_plot_in_place_of_the_transcript_and_g_elsewhere_says_where():
    sessions, clock = scene(30.0)
    app = DgtuiApp(PlayerRunner(sessions), clock=clock, run_streams=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("g")  # on the Overview: nothing to plot, and it says where to go
        await pilot.pause()
        assert any("for plots" in str(n.message) for n in app._notifications)
        await pilot.press("1", "g")
        await pilot.pause()
        view = app.current_view()
        assert view is not None and view.showing_plots
        assert view.query_one(LatencyPlot).display and not view.transcript.display


async def test_a_comparison_plots_each_lanes_distribution_and_its_errors_per_segment():
    sessions, clock, group = lane_scene(30.0)
    view = CompareView(group, [s.state for s in sessions])
    async with Host(view).run_test(size=(140, 42)) as pilot:
        view.render_state(clock())
        assert view.toggle_plots() is True
        await pilot.pause()
        distribution, errors = (
            view.query_one(DistributionPlot).plt.build(),
            view.query_one(SegmentErrorPlot).plt.build(),
        )
        assert "fast" in distribution and "slow" in distribution and "share" in distribution
        assert "word error rate per segment" in errors and "slow" in errors


def test_a_cdf_climbs_to_one():
    (weather, *_), _ = scene(30.0)
    xs, ys = cdf_points(weather.state.metrics.latency)
    assert xs == sorted(xs) and ys[-1] == 1.0 and all(0 < y <= 1 for y in ys)
