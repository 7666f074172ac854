"""The recordings on disk: pick one to replay it in a new tab."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

from dgtui.recordings.catalog import catalog
from dgtui.recordings.listing import RecordingInfo


class SessionsScreen(ModalScreen[Path | None]):
    """Dismisses with the chosen recording's path (Enter), or None (Esc)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "cancel", "Close")]

    def __init__(self, folder: Path | None) -> None:
        super().__init__()
        self.folder = folder
        self.found: list[RecordingInfo] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="sessions"):
            yield Label("Recorded sessions: Enter replays one in a new tab, Esc closes", classes="dialog-title")
            yield Label(str(self.folder) if self.folder else "recording is off", id="sessions-folder")
            yield DataTable(id="sessions-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*RecordingInfo.COLUMNS)
        table.focus()
        if self.folder is not None:
            self.query_one("#sessions-folder", Label).update(f"{self.folder} (reading…)")
        self._list()

    @work(exclusive=True)
    async def _list(self) -> None:
        """Read the recordings on a thread: a folder of thousands must not freeze the app."""
        folder = self.folder
        if folder is not None and folder.exists():
            self.found = await asyncio.to_thread(catalog, folder)
        self.query_one("#sessions-folder", Label).update(str(folder) if folder else "recording is off")
        table = self.query_one(DataTable)
        for index, info in enumerate(self.found):
            table.add_row(*info.cells(), key=str(index))
        if not self.found and folder is not None:
            self.query_one("#sessions-folder", Label).update(f"no recordings in {folder}")

    @on(DataTable.RowSelected)
    def _chosen(self, event: DataTable.RowSelected) -> None:
        self.dismiss(self.found[int(event.row_key.value or 0)].path)

    def action_cancel(self) -> None:
        self.dismiss(None)
