"""The export dialog: a format and a path; the whole history when the stream has a recording."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

from dgtui.recordings.export import FORMATS

FORMAT_LABELS = {"txt": "text (one utterance a line)", "srt": "SubRip subtitles (.srt)",
                 "vtt": "WebVTT subtitles (.vtt)", "json": "JSON with words"}  # fmt: skip


class ExportScreen(ModalScreen[Path | None]):
    """Asks ``exporter(format, path)`` to write (a coroutine: the file work runs off the event loop); stays open
    with its error until it works."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, stem: Path, source: str, exporter: Callable[[str, Path], Awaitable[str | None]]) -> None:
        super().__init__()
        self.stem = stem
        self.source = source
        self.exporter = exporter

    def compose(self) -> ComposeResult:
        with Vertical(id="export"):
            yield Label("Export the transcript", classes="dialog-title")
            yield Label(self.source)
            yield Label("Format")
            yield Select([(FORMAT_LABELS[f], f) for f in FORMATS], value="txt", allow_blank=False, id="format")
            yield Label("File")
            yield Input(str(self.stem.with_suffix(".txt")), id="path")
            yield Label("", id="error")
            with Horizontal(classes="buttons"):
                yield Button("Export", variant="primary", id="start")
                yield Button("Cancel", id="cancel")

    @on(Select.Changed, "#format")
    def _format_changed(self, event: Select.Changed) -> None:
        path = self.query_one("#path", Input)
        path.value = str(Path(path.value).with_suffix(f".{event.value}"))

    @on(Input.Submitted)
    @on(Button.Pressed, "#start")
    def _start(self) -> None:
        path = Path(self.query_one("#path", Input).value).expanduser()
        self.query_one("#error", Label).update("writing…")
        self._write(str(self.query_one("#format", Select).value), path)

    @work(exclusive=True)
    async def _write(self, fmt: str, path: Path) -> None:
        error = await self.exporter(fmt, path)
        if error:
            self.query_one("#error", Label).update(f"✖ {error}")
        else:
            self.dismiss(path)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
