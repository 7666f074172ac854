"""The Overview tab's table: one row per stream, drawn with the Line API.

A DataTable re-renders every cell whenever any cell changes; with 16 streams whose figures all move, that
was the longest pause of the event loop (p99 45 ms in ``tests.bench.tui``). Here a row is rendered once per
change of its own text and kept as a Strip, so a refresh costs only the rows that changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from dgtui.session.events import State
from dgtui.session.state import SessionState
from dgtui.tui.format import duration, ms, state_label

# (title, key, minimum width, right-aligned)
COLUMNS = [
    ("#", "n", 2, True), ("stream", "name", 8, False), ("source", "source", 10, False), ("state", "state", 14, False),
    ("model", "model", 8, False), ("lat now", "now", 7, True), ("p50", "p50", 5, True), ("p95", "p95", 5, True),
    ("first text", "ttft", 10, True), ("msg/s", "rate", 6, True), ("finals", "finals", 6, True),
    ("reconn", "reconnects", 6, True), ("errors", "errors", 6, True), ("up", "uptime", 6, True),
]  # fmt: skip
SOURCE_MAX = 40
HEADER_STYLE = Style(bold=True)
CURSOR_STYLE = Style(bgcolor="#1f4f7a", bold=True)
ZEBRA_STYLE = Style(dim=False, bgcolor="grey11")


def row_for(index: int, state: SessionState, now: float) -> dict[str, str | Text]:
    latency = state.metrics.latency.summary()
    source = state.source_label
    if len(source) > SOURCE_MAX:
        source = "…" + source[-(SOURCE_MAX - 1) :]
    model = state.model_info.get("name") or str(state.options.get("model", "-"))
    return {
        "n": str(index),
        "name": state.name,
        "source": source,
        "state": state_label(state.state, state.state is State.CONNECTING and state.reconnects > 0),
        "model": model,
        "now": ms(state.metrics.latency.last),
        "p50": ms(latency.p50),
        "p95": ms(latency.p95),
        "ttft": ms(state.metrics.ttft),
        "rate": f"{state.messages_per_second(now):.1f}",
        "finals": str(state.transcript.finals),
        "reconnects": str(state.reconnects),
        "errors": Text(str(state.errors), style="bold red") if state.errors else "0",
        "uptime": duration(state.uptime(now)),
    }


def _cell_len(value: str | Text) -> int:
    return value.cell_len if isinstance(value, Text) else Text(value).cell_len


class OverviewTable(ScrollView, can_focus=True):
    """Streams at a glance; Enter (or a click) on a row opens the stream's tab."""

    DEFAULT_CSS = "OverviewTable { height: 1fr; }"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("enter", "select", "Open", show=False),
    ]

    class RowSelected(Message):
        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.rows: list[dict[str, str | Text]] = []
        self.cursor_row = 0
        self._widths = [minimum for _, _, minimum, _ in COLUMNS]
        self._cache: dict[int, tuple[object, Strip]] = {}  # row index -> (what it showed, its strip)
        self._last: tuple[Sequence[SessionState], float] | None = None

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def get_row_at(self, index: int) -> list[str]:
        return [str(self.rows[index][key]) for _, key, _, _ in COLUMNS]

    def show(self, states: Sequence[SessionState], now: float) -> None:
        self._last = (states, now)
        rows = [row_for(i, state, state.clock()) for i, state in enumerate(states, start=1)]  # each its own time
        widths = [max([minimum, len(title), *(_cell_len(r[key]) for r in rows)]) for title, key, minimum, _ in COLUMNS]
        spare = self.size.width - 1 - 2 * len(COLUMNS) - sum(widths)
        for key in ("source", "model", "name"):  # narrow screens: the long text columns give way first
            if spare >= 0:
                break
            index = next(i for i, column in enumerate(COLUMNS) if column[1] == key)
            give = min(-spare, widths[index] - COLUMNS[index][2])
            widths[index] -= give
            spare += give
        if widths != self._widths:
            self._widths = widths
            self._cache.clear()
            self.refresh()
        for index, row in enumerate(rows):
            if index >= len(self.rows) or self.rows[index] != row:
                self.refresh_lines(index + 1)
        if len(rows) != len(self.rows):
            self.refresh()
        self.rows = rows
        self.cursor_row = min(self.cursor_row, max(0, len(rows) - 1))
        self.virtual_size = Size(sum(self._widths) + 2 * len(self._widths), len(rows) + 1)

    def action_cursor(self, step: int) -> None:
        if self.rows:
            self.cursor_row = (self.cursor_row + step) % len(self.rows)
            self.refresh()

    def action_select(self) -> None:
        if 0 <= self.cursor_row < len(self.rows):
            self.post_message(self.RowSelected(str(self.rows[self.cursor_row]["name"])))

    def on_click(self, event: events.Click) -> None:
        index = event.y - 1 + self.scroll_offset.y
        if 0 <= index < len(self.rows):
            self.cursor_row = index
            self.refresh()
            self.action_select()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        if y == 0:
            return self._header().crop_extend(0, width, base)
        index = y - 1 + self.scroll_offset.y
        if index >= len(self.rows):
            return Strip.blank(width, base)
        row = self.rows[index]
        focused_cursor = index == self.cursor_row and self.has_focus
        key = (tuple(str(v) for v in row.values()), index == self.cursor_row, focused_cursor, width)
        cached = self._cache.get(index)
        if cached is None or cached[0] != key:
            cached = (key, self._render_row(row, index, focused_cursor))
            self._cache[index] = cached
        return cached[1].crop_extend(0, width, base).apply_style(base)

    def _cells(self, values: list[str | Text]) -> Text:
        line = Text(" ")
        for (_, _, _, right), value, width in zip(COLUMNS, values, self._widths, strict=True):
            cell = value.copy() if isinstance(value, Text) else Text(value)
            if cell.cell_len > width:
                cell.truncate(width, overflow="ellipsis")
            pad = " " * max(0, width - cell.cell_len)
            line.append_text(Text(pad) + cell if right else cell + Text(pad))
            line.append("  ")
        return line

    def _header(self) -> Strip:
        text = self._cells([Text(title, style=HEADER_STYLE) for title, _, _, _ in COLUMNS])
        return Strip(list(text.render(self.app.console)), text.cell_len)

    def _render_row(self, row: dict[str, str | Text], index: int, focused_cursor: bool) -> Strip:
        text = self._cells([row[key] for _, key, _, _ in COLUMNS])
        if focused_cursor:
            text.stylize(CURSOR_STYLE)  # a background: a reversed cell would swap its own colours
        elif index == self.cursor_row:
            text.stylize(Style(underline=True))
        elif index % 2:
            text.stylize(ZEBRA_STYLE)
        return Strip(list(text.render(self.app.console)), text.cell_len)

    def on_resize(self) -> None:
        if self._last is not None:
            self.show(*self._last)  # column widths follow the screen's

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
