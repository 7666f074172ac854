"""A lane group's tab: the lanes' figures in one table (the best of each column marked), over one transcript
column per lane on the same audio timeline: side by side on a wide terminal, stacked on a narrow one."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Label

from dgtui.session.compare import COLUMNS, Column, Comparison, LaneGroup, LaneRow, compare_lanes
from dgtui.session.events import State
from dgtui.session.state import SessionState
from dgtui.tui.widgets.transcript_view import TranscriptView

NARROW = 100  # below this width the table keeps the columns that decide, with short headings


def comparison_of(group: LaneGroup, states: list[SessionState]) -> Comparison:
    """The figures so far: a lane still running is judged on the reference it has reached."""
    return compare_lanes(group, states, complete=lambda state: state.phase is State.CLOSED)


def comparison_table(comparison: Comparison, width: int = 140) -> Table:
    narrow = width < NARROW
    columns = [c for c in COLUMNS if c.short] if narrow else list(COLUMNS)
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

    def show(self, states: list[SessionState]) -> None:
        key = (self.size.width, tuple((state.version, state.phase) for state in states))
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


class CompareView(Vertical):
    """The comparison tab of one lane group."""

    def __init__(self, group: LaneGroup, states: list[SessionState], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.group = group
        self.states = states
        self.ready = False

    def compose(self) -> ComposeResult:
        reference = self.group.reference_path or "none: give --reference FILE for word error rates"
        yield Label(Text.assemble(("lanes of ", "dim"), (self.group.source, "bold"), ("  ·  reference ", "dim"),
                                  (reference, "")), classes="compare-title")  # fmt: skip
        yield ComparisonPanel(self.group, classes="comparison")
        with Horizontal(classes="lanes"):
            for state in self.states:
                with Vertical(classes="lane"):
                    yield Label(Text(self.group.lane_name(state.name), style="bold"), classes="lane-title")
                    yield TranscriptView(classes="lane-transcript")

    def on_mount(self) -> None:
        self.panel = self.query_one(ComparisonPanel)
        self.transcripts = list(self.query(TranscriptView))
        self.ready = True

    def render_state(self, now: float, slow: bool = True) -> None:
        if not self.ready:
            return
        for view, state in zip(self.transcripts, self.states, strict=True):
            view.sync(state.transcript, state.channels)
        if slow:
            self.panel.show(self.states)
