"""The Configure dialog: a Flux stream's turn thresholds and keyterms, changed mid-stream.

What the fields hold is checked against Flux's documented ranges before anything is sent; the server's answer
(ConfigureSuccess or ConfigureFailure) shows in the stream's event log and its metadata panel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from dgtui.protocol.flux import RANGES

FIELDS = (
    ("eot_threshold", "End-of-turn threshold, 0.5-1.0 (1.0: only the timeout or f end a turn)"),
    ("eager_eot_threshold", "Eager end-of-turn threshold, 0.3-0.9 (not above the one above)"),
    ("eot_timeout_ms", "End-of-turn timeout, ms of silence, 500-60000"),
)


def parse_configure(values: dict[str, str], keyterms: str) -> dict[str, Any]:
    """The Configure the fields ask for (empty fields keep the server's values); raises ValueError saying why."""
    settings: dict[str, Any] = {}
    for key, text in values.items():
        text = text.strip()
        if not text:
            continue
        try:
            number = int(text) if key == "eot_timeout_ms" else float(text)
        except ValueError:
            raise ValueError(f"{key}: {text!r} is not a number") from None
        low, high = RANGES[key]
        if not low <= number <= high:
            raise ValueError(f"{key}: {number:g} is out of range ({low:g} to {high:g})")
        settings[key] = number
    eager, eot = settings.get("eager_eot_threshold"), settings.get("eot_threshold")
    if eager is not None and eot is not None and eager > eot:
        raise ValueError(f"eager_eot_threshold ({eager:g}) must not be above eot_threshold ({eot:g})")
    if keyterms.strip():
        settings["keyterms"] = [term.strip() for term in keyterms.split(",") if term.strip()]
    if not settings:
        raise ValueError("nothing to change: fill in a threshold or keyterms")
    return settings


class ConfigureScreen(ModalScreen[dict[str, Any] | None]):
    """Dismisses with the Configure to send, or None; stays open with its error until the fields make sense."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, name: str, current: dict[str, Any], send: Callable[[dict[str, Any]], None]) -> None:
        super().__init__()
        self.stream_name = name
        self.current = current
        self.send = send

    def compose(self) -> ComposeResult:
        with Vertical(id="configure"):
            yield Label(f"Configure {self.stream_name} (Flux, mid-stream)", classes="dialog-title")
            for key, label in FIELDS:
                yield Label(label)
                value = self.current.get(key)
                yield Input("" if value is None else f"{value:g}", id=key)
            yield Label("Keyterms, comma-separated (replaces the list; empty: unchanged)")
            yield Input("", id="keyterms")
            yield Label("", id="error")
            with Horizontal(classes="buttons"):
                yield Button("Send Configure", variant="primary", id="send")
                yield Button("Cancel", id="cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#send")
    def _send(self) -> None:
        values = {key: self.query_one(f"#{key}", Input).value for key, _ in FIELDS}
        try:
            settings = parse_configure(values, self.query_one("#keyterms", Input).value)
        except ValueError as exc:
            self.query_one("#error", Label).update(f"✖ {exc}")
            return
        self.send(settings)
        self.dismiss(settings)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
