"""A lane group's tab: the lanes' figures in one table (the best of each column marked), over either one live
transcript per lane (side by side on a wide terminal, stacked on a narrow one) or, with ``v``, their finals
lined up by time: each lane's words marked against the reference, and who finalized each segment first."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Label, Static

from dgtui.judge.alignment import Segment, align
from dgtui.judge.compare import COLUMNS, Column, Comparison, LaneGroup, LaneRow, compare_lanes, shown_columns
from dgtui.state.stream import StreamState
from dgtui.tui.format import audio_time
from dgtui.tui.widgets.marks import ReferenceMarks, finals_moved, finished
from dgtui.tui.widgets.plots import LanePlots, toggle_plots
from dgtui.tui.widgets.transcript_view import MARK_STYLES, MISSING_STYLE, TranscriptView, marked_body

NARROW = 100  # below this width the table keeps the columns that decide, with short headings


def comparison_of(group: LaneGroup, states: list[StreamState]) -> Comparison:
    """The figures so far: a lane still running is judged on the reference it has reached."""
    return compare_lanes(group, states, complete=finished)


def fitting_columns(comparison: Comparison, width: int) -> list[Column]:
    """The columns that fit ``width``: on a narrow terminal those that decide, with short headings; otherwise
    all, less the highest ranks (the last first) until the table fits."""
    if width < NARROW:
        return shown_columns(comparison.rows, [c for c in COLUMNS if c.short])
    lane = max((len(row.name) + 2 for row in comparison.rows), default=4) + 2
    columns = shown_columns(comparison.rows)
    while sum(max(len(c.heading), 7) + 2 for c in columns) + lane > width and len(columns) > 1:
        columns.remove(max(reversed(columns), key=lambda c: c.rank))
    return columns


def comparison_table(comparison: Comparison, width: int = 140) -> Table:
    narrow = width < NARROW
    columns = fitting_columns(comparison, width)
    table = Table(box=None, padding=(0, 1 if narrow else 2, 0, 0), header_style="dim")
    table.add_column("lane", no_wrap=True)
    for column in columns:
        table.add_column(column.short if narrow else column.heading, justify="right", no_wrap=True)
    for row in comparison.rows:
        table.add_row(_lane(row), *(_cell(comparison, row, column) for column in columns))
    return table


def _lane(row: LaneRow) -> Text:
    return Text.assemble((row.name, "bold"), (" ✖", "red") if row.error else ("", ""))


def _cell(comparison: Comparison, row: LaneRow, column: Column) -> Text:
    best = comparison.is_best(row, column)
    return Text(column.show(row) + (" ★" if best else ""), style="bold green" if best else "")


class ComparisonPanel(Widget):
    """The lanes' figures; rebuilt only when a lane's state moved (at most at the app's slow tick, 2 Hz)."""

    DEFAULT_CSS = "ComparisonPanel { height: auto; }"

    def __init__(self, group: LaneGroup, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.group = group
        self._shown: object = None
        self._content: Table | Text = Text("")
        self._rows = -1

    def show(self, states: list[StreamState]) -> None:
        key = (self.size.width, tuple((state.version, state.connection.phase) for state in states))
        if key == self._shown:
            return
        self._shown = key
        comparison = comparison_of(self.group, states)
        self._content = comparison_table(comparison, self.size.width or 140)
        rows = len(comparison.rows)
        self.refresh(layout=rows != self._rows)  # a new layout only when the table's height changed: a layout
        self._rows = rows  # pass repaints every lane's transcript

    def render(self) -> Table | Text:
        return self._content


SEGMENTS_SHOWN = 200  # the latest; the report (--report) has them all
LEGEND = Text.assemble(("heard wrong", MARK_STYLES["substitute"]), " · ", ("extra", MARK_STYLES["insert"]), " · ",
                       ("missing", MISSING_STYLE), " · ★ first to finalize a segment, +s: later by",
                       style="dim")  # fmt: skip


def segments_table(segments: list[Segment], lanes: list[str], with_reference: bool) -> Table:
    table = Table(box=None, padding=(0, 2, 1, 0), header_style="dim", expand=True)
    table.add_column("audio", no_wrap=True, style="dim")
    if with_reference:
        table.add_column("reference", ratio=1, style="dim")
    for name in lanes:
        table.add_column(name, ratio=1)
    for segment in segments[-SEGMENTS_SHOWN:]:
        cells: list[Text] = [Text(f"{audio_time(segment.start)}–{audio_time(segment.end)}")]
        if with_reference:
            cells.append(Text(segment.reference))
        for lane in segment.lanes:
            cell = marked_body(lane.words)
            if lane.behind is not None:
                first = lane.behind == 0.0
                cell.append("\n")
                cell.append("★ first" if first else f"+{lane.behind:.2f} s", "green" if first else "dim")
            cells.append(cell)
        table.add_row(*cells)
    return table


class AlignedView(VerticalScroll):
    """The lanes' finals lined up by time; rebuilt at the slow tick, and only when a lane has a new final."""

    DEFAULT_CSS = "AlignedView { height: 1fr; } AlignedView > Static { width: 1fr; }"

    def __init__(self, group: LaneGroup, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.group = group
        self._shown: object = None

    def compose(self) -> ComposeResult:
        yield Static(LEGEND, classes="aligned-legend")
        yield Static(Text("no finals yet", style="dim"), classes="aligned-table")

    def show(self, states: list[StreamState]) -> None:
        key = finals_moved(states)
        if key == self._shown:
            return
        self._shown = key
        follow = self.is_vertical_scroll_end
        segments = align(states, self.group.reference, self.group.truth, finished)
        lanes = [self.group.lane_name(state.name) for state in states]
        table = self.query_one(".aligned-table", Static)
        if segments:
            table.update(segments_table(segments, lanes, with_reference=bool(self.group.truth)))
        if follow:
            self.scroll_end(animate=False)


class CompareView(Vertical):
    """The comparison tab of one lane group."""

    def __init__(self, group: LaneGroup, states: list[StreamState], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.group = group
        self.states = states
        self.ready = False
        self.marks = ReferenceMarks(group.reference, first_is_base=True)

    def compose(self) -> ComposeResult:
        reference = self.group.reference_path or "none: give --reference FILE for word error rates"
        yield Label(Text.assemble(("lanes of ", "dim"), (self.group.source, "bold"), ("  ·  reference ", "dim"),
                                  (reference, "")), classes="compare-title")  # fmt: skip
        yield ComparisonPanel(self.group, classes="comparison")
        yield LanePlots(self.group, classes="lane-plots")
        with Horizontal(classes="lanes"):
            for state in self.states:
                with Vertical(classes="lane"):
                    yield Label(Text(self.group.lane_name(state.name), style="bold"), classes="lane-title")
                    yield TranscriptView(classes="lane-transcript")
        yield AlignedView(self.group, classes="aligned")

    def on_mount(self) -> None:
        self.panel = self.query_one(ComparisonPanel)
        self.transcripts = list(self.query(TranscriptView))
        self.aligned = self.query_one(AlignedView)
        self.plots = self.query_one(LanePlots)
        self.ready = True

    @property
    def showing_aligned(self) -> bool:
        return self.has_class("-aligned")

    @property
    def showing_plots(self) -> bool:
        return self.has_class("-plots")

    def toggle_plots(self) -> bool:
        """The lanes' latency distributions and word error rate per segment, above the transcripts."""
        return toggle_plots(self, lambda: self.plots.show(self.states))

    def toggle_aligned(self) -> None:
        """Between the live transcripts and the finals lined up by time."""
        self.toggle_class("-aligned")
        self.render_state(0.0)

    def render_state(self, now: float, slow: bool = True) -> None:
        if not self.ready:
            return
        if self.showing_aligned:
            if slow:
                self.aligned.show(self.states)
        else:
            for view, state in zip(self.transcripts, self.states, strict=True):
                view.sync(state.transcript, state.connection.channels)
            if slow:
                self._mark_transcripts()
        if slow:
            self.panel.show(self.states)
            if self.showing_plots:
                self.plots.show(self.states)

    def _mark_transcripts(self) -> None:
        """The lanes' words marked against the reference (or the first lane's), when a lane has a new final."""
        self.marks.update(self.transcripts, self.states)
