"""The Overview tab's table: one row per stream, updated cell by cell (no clear-and-refill)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable

from dgtui.session.state import SessionState
from dgtui.tui.format import duration, ms, state_label

COLUMNS = [
    ("#", "n"), ("stream", "name"), ("source", "source"), ("state", "state"), ("model", "model"),
    ("lat now", "now"), ("p50", "p50"), ("p95", "p95"), ("first text", "ttft"), ("msg/s", "rate"),
    ("finals", "finals"), ("reconn", "reconnects"), ("errors", "errors"), ("up", "uptime"),
]  # fmt: skip


def row_for(index: int, state: SessionState, now: float) -> dict[str, str | Text]:
    latency = state.metrics.latency.summary()
    source = state.source_label
    if len(source) > 40:
        source = "…" + source[-39:]
    model = state.model_info.get("name") or str(state.options.get("model", "-"))
    return {
        "n": str(index),
        "name": state.name,
        "source": source,
        "state": state_label(state.state, state.state.value == "connecting" and state.reconnects > 0),
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


class OverviewTable(DataTable):
    """Streams at a glance; Enter (or a click) on a row opens the stream's tab."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for label, key in COLUMNS:
            self.add_column(label, key=key)
        self._shown: dict[str, dict[str, str | Text]] = {}

    def show(self, states: Sequence[SessionState], now: float) -> None:
        names = [s.name for s in states]
        for gone in [n for n in self._shown if n not in names]:
            self.remove_row(gone)
            del self._shown[gone]
        for index, state in enumerate(states, start=1):
            row = row_for(index, state, now)
            shown = self._shown.get(state.name)
            if shown is None:
                self.add_row(*(row[key] for _, key in COLUMNS), key=state.name)
            else:
                for key, value in row.items():
                    if shown.get(key) != value:
                        self.update_cell(state.name, key, value)
            self._shown[state.name] = row
