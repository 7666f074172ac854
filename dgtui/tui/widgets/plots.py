"""Plots in the app (textual-plotext: plotext drawing into a Textual widget; chosen over textual-plot, which took
about 3.5 times as long to draw the same three lines of 600 points):

* a stream's latency over its audio: interim, final and end of turn (each 5 s bucket's mean), reconnects as red
  vertical lines, so a drift over an hour shows at a glance;
* a comparison's lanes: each lane's latency distribution as a CDF, side by side with the word error rate per
  segment over the audio.

Drawn at most once a second, and only when what they show changed: the 10 Hz render budget holds with plots on.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget
from textual_plotext import PlotextPlot

from dgtui.judge.alignment import align, segment_error_rate
from dgtui.judge.compare import LaneGroup
from dgtui.state.metrics import LatencyTimeline
from dgtui.state.stats import Series
from dgtui.state.stream import StreamState
from dgtui.tui.widgets.marks import finals_moved, finished

SERIES = (("interim", "interim", "cyan"), ("final", "final", "green"), ("end_of_turn", "end of turn", "magenta"))
LANE_COLOURS = ("cyan", "red", "green", "magenta", "yellow", "blue")
EVERY_S = 1.0  # a plot is drawn again at most this often


def toggle_plots(view: Widget, draw: Callable[[], None]) -> bool:
    """Show or hide a view's plots (its ``-plots`` class, which the stylesheet reads); drawn at once when shown."""
    view.toggle_class("-plots")
    shown = view.has_class("-plots")
    if shown:
        draw()
    return shown


class ThrottledPlot(PlotextPlot):
    """A plot drawn again only when its key changed, and not more than once every :data:`EVERY_S`."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._key: object = None
        self._drawn_at = 0.0

    def due(self, key: object) -> bool:
        key = (key, self.size)
        if key == self._key or time.monotonic() - self._drawn_at < EVERY_S:
            return False
        self._key, self._drawn_at = key, time.monotonic()
        return True

    def start(self, title: str, xlabel: str, ylabel: str):  # type: ignore[no-untyped-def]
        plt = self.plt
        plt.clear_figure()  # the widget themes it to the app's at each render
        plt.title(title)
        plt.xlabel(xlabel)
        plt.ylabel(ylabel)
        return plt


class LatencyPlot(ThrottledPlot):
    def show(self, state: StreamState) -> None:
        timeline: LatencyTimeline = state.metrics.timeline
        if not self.due(timeline.version):
            return
        plt = self.start("latency over the audio (5 s means; red: reconnects)", "audio (s)", "ms")
        for kind, label, colour in SERIES:
            points = timeline.points(kind)
            if points:
                plt.plot([p[0] for p in points], [p[1] * 1000 for p in points], label=label, color=colour,
                         marker="braille")  # fmt: skip
        for audio in timeline.reconnects:
            plt.vline(audio, "red")
        self.refresh()


def cdf_points(series: Series) -> tuple[list[float], list[float]]:
    """A run's latency distribution as a CDF: milliseconds, and the share of values at or below."""
    seconds, shares = series.cdf()
    return [x * 1000 for x in seconds], shares


class DistributionPlot(ThrottledPlot):
    def show(self, group: LaneGroup, states: list[StreamState]) -> None:
        if not self.due(tuple(state.metrics.latency.count for state in states)):
            return
        plt = self.start("interim latency: share of results within", "ms", "share")
        for index, state in enumerate(states):
            if state.metrics.latency.count:
                xs, ys = cdf_points(state.metrics.latency)
                plt.plot(xs, ys, label=group.lane_name(state.name), color=LANE_COLOURS[index % len(LANE_COLOURS)],
                         marker="braille")  # fmt: skip
        self.refresh()


class SegmentErrorPlot(ThrottledPlot):
    def show(self, group: LaneGroup, states: list[StreamState]) -> None:
        if not self.due(finals_moved(states)):
            return
        plt = self.start("word error rate per segment", "audio (s)", "WER %")
        if group.reference is not None and group.truth:
            segments = align(states, group.reference, group.truth, finished)
            for index, state in enumerate(states):
                rated = [(s.start, rate) for s in segments if (rate := segment_error_rate(s, index)) is not None]
                if rated:
                    plt.plot([x for x, _ in rated], [r * 100 for _, r in rated], label=group.lane_name(state.name),
                             color=LANE_COLOURS[index % len(LANE_COLOURS)], marker="braille")  # fmt: skip
        else:
            plt.title("word error rate per segment: needs a reference with word times (a JSON reference)")
        self.refresh()


class LanePlots(Horizontal):
    """A comparison's plots: the lanes' latency distributions beside their word error rate over the audio."""

    DEFAULT_CSS = "LanePlots > ThrottledPlot { width: 1fr; }"

    def __init__(self, group: LaneGroup, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.group = group

    def compose(self) -> ComposeResult:
        yield DistributionPlot()
        yield SegmentErrorPlot()

    def show(self, states: list[StreamState]) -> None:
        self.query_one(DistributionPlot).show(self.group, states)
        self.query_one(SegmentErrorPlot).show(self.group, states)
