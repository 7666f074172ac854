"""A stream's event log and its raw-message inspector: what happened, and the JSON of any recent message."""

from __future__ import annotations

import json

from rich.syntax import Syntax
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import OptionList, RichLog, Static
from textual.widgets.option_list import Option

from dgtui.state.log import RawMessage
from dgtui.state.stream import StreamState
from dgtui.tui.format import audio_time, duration

LEVEL_MARKS = {"info": "·", "warning": "!", "error": "✖"}
LEVEL_STYLES = {"warning": "yellow", "error": "bold red"}


class EventLog(RichLog):
    """Connection events, state changes and errors (with their explanations), newest at the bottom, wrapped."""

    DEFAULT_CSS = "EventLog { height: 1fr; }"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(max_lines=500, wrap=True, markup=False, highlight=False, **kwargs)  # type: ignore[arg-type]
        self._last_seq = 0

    def show(self, state: StreamState) -> None:
        if state.log.seq == self._last_seq or not self.size.width:  # wrapping needs the real width
            return
        origin = state.connection.started_at
        for entry in state.log.entries:
            if entry.seq > self._last_seq:
                when = "+" + duration(entry.at - origin) if origin is not None else ""
                self.write(
                    Text.assemble(
                        (f"{when:>7} ", "dim"),
                        (LEVEL_MARKS.get(entry.level, " ") + " ", LEVEL_STYLES.get(entry.level, "")),
                        (entry.text, LEVEL_STYLES.get(entry.level, "")),
                    )
                )
        self._last_seq = state.log.seq


class RawInspector(Horizontal):
    """Recent server messages, as received; the highlighted one is shown as formatted JSON."""

    DEFAULT_CSS = """
    RawInspector { height: 1fr; }
    RawInspector > OptionList { width: 2fr; height: 1fr; }
    RawInspector > VerticalScroll { width: 3fr; height: 1fr; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._last_seq = 0
        self._held: list[RawMessage] = []
        self.shown: RawMessage | None = None  # the message whose JSON is on screen
        self._limit = 500

    def compose(self) -> ComposeResult:
        yield OptionList(id="raw-list")
        with VerticalScroll():
            yield Static("Highlight a message to see its JSON.", id="raw-json")

    def show(self, state: StreamState) -> None:
        if state.log.raw_seq == self._last_seq:
            return
        options = self.query_one(OptionList)
        new = [m for m in state.log.raw if m.seq > self._last_seq]
        self._last_seq = state.log.raw_seq
        if len(self._held) + len(new) > self._limit:  # start over from what the session still holds
            self._held = list(state.log.raw)[-self._limit :]
            options.clear_options()
            options.add_options([self._option(m) for m in self._held])
        else:
            self._held.extend(new)
            options.add_options([self._option(m) for m in new])
        if options.highlighted is None and self._held:
            options.highlighted = len(self._held) - 1

    def _option(self, message: RawMessage) -> Option:
        label = Text.assemble(
            (f"{audio_time(message.cursor)} ", "dim"), (f"{message.kind} ", "bold"), (message.summary, "")
        )
        label.no_wrap, label.overflow = True, "ellipsis"
        return Option(label, id=str(message.seq))

    @on(OptionList.OptionHighlighted)
    def _show_json(self, event: OptionList.OptionHighlighted) -> None:
        seq = int(event.option.id or 0)
        found = next((m for m in self._held if m.seq == seq), None)
        if found is None:
            return
        self.shown = found
        try:
            pretty = json.dumps(json.loads(found.raw), indent=2)
        except ValueError:
            pretty = found.raw
        self.query_one("#raw-json", Static).update(Syntax(pretty, "json", word_wrap=True, theme="ansi_dark"))
