"""The help screen: every key, grouped, from the same table as the bindings."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from dgtui.tui.keys import KEYS, display_keys

ABOUT = (
    "Each tab is one live stream. Finals are plain, the current interim is dim and replaced in place, "
    "underlined words are low-confidence; rules mark ends of turn (speech_final) and UtteranceEnd. "
    "The lights under the header flash when a message carries is_final, speech_final, from_finalize, "
    "or when SpeechStarted / UtteranceEnd arrive. Latency is audio sent minus the end of each result. "
    "Every command is also in the command palette (ctrl+p)."
)


def key_rows() -> list[tuple[str, str, str]]:
    """(group, keys, what they do) for every key."""
    rows = [(key.group, display_keys(key), key.description) for key in KEYS]
    return [*rows, ("Palette", "ctrl+p", "Command palette: every action above, by name")]


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]

    LEFT = ("Streams", "Stream", "App")  # the other groups go in the right-hand column

    def __init__(self, metrics_url: str | None = None) -> None:
        super().__init__()
        self.metrics_url = metrics_url

    def compose(self) -> ComposeResult:
        rows = key_rows()
        left = self._table([r for r in rows if r[0] in self.LEFT])
        right = self._table([r for r in rows if r[0] not in self.LEFT])
        self.table = Table.grid(padding=(0, 4))
        self.table.add_row(left, right)
        with VerticalScroll(id="help-body"):
            yield Static(Text("dgtui: keys", style="bold"), classes="help-title")
            yield Static(self.table)
            yield Static(Text(ABOUT, style="dim"), classes="help-about")
            if self.metrics_url:
                yield Static(Text(f"Prometheus metrics: {self.metrics_url} (dgtui metrics rules|dashboard "
                                  "prints the alert rules and the Grafana dashboard)", style="dim"))  # fmt: skip
            yield Static(Text("Esc closes this screen.", style="dim italic"))

    def _table(self, rows: list[tuple[str, str, str]]) -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        group = None
        for row_group, keys, description in rows:
            if row_group != group:
                group = row_group
                table.add_row(Text(group, style="bold underline"), "")
            table.add_row(keys, description)
        return table

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
