"""The Flows tab of ``dgtui tap``: the app's traffic that is not a live stream (pre-recorded requests,
text-to-speech, the voice agent, management calls), newest last, one row per request or WebSocket with its
method, path, status, size and duration. Rebuilt only when the flow log moved."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from dgtui.state.client import Flow, FlowLog

COLUMNS = ("#", "method", "path", "status", "sent", "received", "duration")


def size(count: int) -> str:
    return (
        f"{count} B" if count < 1024 else f"{count / 1024:.1f} KB" if count < 1024**2 else f"{count / 1024**2:.1f} MB"
    )


def status_cell(flow: Flow) -> Text:
    if flow.status is None:
        return Text("…" if flow.ended is None else "no answer", style="dim" if flow.ended is None else "red")
    style = "green" if flow.status < 300 else "yellow" if flow.status < 500 else "red"
    return Text("101 WebSocket" if flow.websocket else str(flow.status), style=style)


class FlowsView(DataTable[object]):
    """Every flow the log holds; the rows of flows still open are refreshed at each look."""

    DEFAULT_CSS = "FlowsView { height: 1fr; }"

    def __init__(self, log: FlowLog, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self.flow_log = log
        self._version = -1

    def on_mount(self) -> None:
        self.add_columns(*COLUMNS)

    def show(self, now: float) -> None:
        if self.flow_log.version == self._version and not any(flow.ended is None for flow in self.flow_log.flows):
            return
        self._version = self.flow_log.version
        following = self.cursor_row >= self.row_count - 1  # at the newest: stay with the newest
        row = self.cursor_row
        self.clear()
        for flow in self.flow_log.flows:
            took = f"{flow.duration(now):.2f} s" + ("" if flow.ended is not None else " …")
            path = Text(flow.target)
            if flow.note:
                path.append(f"  {flow.note}", style="dim")
            self.add_row(str(flow.number), flow.method, path, status_cell(flow), size(flow.sent),
                         size(flow.received), took, key=str(flow.number))  # fmt: skip
        if self.flow_log.flows:
            self.move_cursor(row=len(self.flow_log.flows) - 1 if following else min(row, len(self.flow_log.flows) - 1))
