"""The new-stream dialog: a source, options as in ``dgtui stream``, and a backend."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select


@dataclass(frozen=True)
class StreamRequest:
    source: str
    flags: str
    backend: str  # "default", "local", "deepgram" or "url"
    url: str = ""


def backends(key_name: str) -> list[tuple[str, str]]:
    """The backend choices; Deepgram's names the variable its key comes from (the config file's ``key_env``)."""
    return [
        ("as on the command line", "default"),
        ("local engine (offline)", "local"),
        (f"Deepgram ({key_name})", "deepgram"),
        ("a URL", "url"),
    ]


class NewStreamScreen(ModalScreen[StreamRequest | None]):
    """Asks ``opener`` to start the stream; stays open with its error until the request works."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, opener: Callable[[StreamRequest], str | None], key_name: str = "DEEPGRAM_API_KEY") -> None:
        super().__init__()
        self.opener = opener
        self.key_name = key_name

    def compose(self) -> ComposeResult:
        with Vertical(id="new-stream"):
            yield Label("New stream", classes="dialog-title")
            yield Label("Source: a file, an http(s) URL (internet radio), '-' for stdin, or mic")
            yield Input(placeholder="path/to/audio.mp3 or https://…", id="source")
            yield Label("Options, as in dgtui stream (e.g. --model nova-3 --diarize --loop)")
            yield Input(placeholder="--model nova-3", id="flags")
            yield Label("Backend")
            yield Select(backends(self.key_name), value="default", allow_blank=False, id="backend")
            yield Input(placeholder="wss://host/v1/listen", id="url")
            yield Label("", id="error")
            with Horizontal(classes="buttons"):
                yield Button("Start", variant="primary", id="start")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#url", Input).display = False
        self.query_one("#source", Input).focus()

    @on(Select.Changed, "#backend")
    def _backend_changed(self, event: Select.Changed) -> None:
        self.query_one("#url", Input).display = event.value == "url"

    @on(Input.Submitted)
    @on(Button.Pressed, "#start")
    def _start(self) -> None:
        request = StreamRequest(
            self.query_one("#source", Input).value,
            self.query_one("#flags", Input).value,
            str(self.query_one("#backend", Select).value),
            self.query_one("#url", Input).value.strip(),
        )
        error = self.opener(request)
        if error:
            self.query_one("#error", Label).update(f"✖ {error}")
        else:
            self.dismiss(request)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
