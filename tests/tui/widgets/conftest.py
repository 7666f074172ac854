"""A bare app that mounts widgets: each widget tested alone."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widget import Widget


class Host(App[None]):
    CSS_PATH = "../../../dgtui/tui/app.tcss"

    def __init__(self, *widgets: Widget) -> None:
        super().__init__()
        self._widgets = widgets

    def compose(self) -> ComposeResult:
        yield from self._widgets
