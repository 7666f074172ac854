"""A lane group's tab: the lanes' figures in one table (the best of each column marked), over one transcript
column per lane on the same audio timeline: side by side on a wide terminal, stacked on a narrow one."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Label

from dgtui.session.compare import Comparison, LaneGroup, LaneRow, compare, lane_row
from dgtui.session.events import State
from dgtui.session.state import SessionState
from dgtui.session.stats import format_ms
from dgtui.tui.widgets.transcript_view import TranscriptView

COLUMNS = (  # (heading, row attribute for the best mark, how a row shows it)
    ("WER", "wer", lambda r: "-" if r.wer is None else f"{r.wer:.1%}"),
    ("S/D/I", "", lambda r: "-" if r.errors is None else f"{r.errors.substitutions}/{r.errors.deletions}/"
                                                        f"{r.errors.insertions}"),
    ("lat p50", "latency_p50", lambda r: format_ms(r.latency_p50)),
    ("lat p95", "latency_p95", lambda r: format_ms(r.latency_p95)),
    ("final p50", "final_p50", lambda r: format_ms(r.final_p50)),
    ("first text", "ttft", lambda r: format_ms(r.ttft)),
    ("end of turn", "end_of_turn_p50", lambda r: format_ms(r.end_of_turn_p50)),
    ("speech end", "speech_end_p50", lambda r: format_ms(r.speech_end_p50)),
    ("corrections", "corrections", lambda r: str(r.corrections)),
    ("finals", "", lambda r: str(r.finals)),
    ("reconnects", "reconnects", lambda r: str(r.reconnects)),
)  # fmt: skip
NARROW = 100  # below this width the table keeps the columns that decide, with short headings
COMPACT = {"WER": "WER", "lat p50": "p50", "lat p95": "p95", "final p50": "fin", "first text": "1st",
           "end of turn": "EoT"}  # fmt: skip


def comparison_of(group: LaneGroup, states: list[SessionState]) -> Comparison:
    """The figures so far: a lane still running is judged on the reference it has reached."""
    rows = [
        lane_row(group.lane_name(state.name), state, group.reference, state.phase is State.CLOSED, group.truth)
        for state in states
    ]
    return compare(group.source, rows, group.reference_path)


def comparison_table(comparison: Comparison, width: int = 140) -> Table:
    narrow = width < NARROW
    columns = [(COMPACT[h], attr, show) for h, attr, show in COLUMNS if h in COMPACT] if narrow else COLUMNS
    table = Table(box=None, padding=(0, 1 if narrow else 2, 0, 0), header_style="dim")
    table.add_column("lane", no_wrap=True)
    for heading, _, _ in columns:
        table.add_column(heading, justify="right", no_wrap=True)
    for row in comparison.rows:
        table.add_row(_lane(row), *(_cell(comparison, row, attr, show(row)) for _, attr, show in columns))
    return table


def _lane(row: LaneRow) -> Text:
    return Text.assemble((row.name, "bold"), (" ✖", "red") if row.error else ("", ""))


def _cell(comparison: Comparison, row: LaneRow, attribute: str, text: str) -> Text:
    best = attribute and row.name in comparison.best.get(attribute, ())
    return Text(text + (" ★" if best else ""), style="bold green" if best else "")


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
