"""The Overview: a wall of live streams, one card each, speech first.

A card shows the stream's latest finals with the current interim (dim, replaced in place), its lights, state,
latency now and p95, time to first text, a short request id and the model. The grid follows the terminal (one
column on narrow screens, more on wide ones) and the cards share its height: with few streams each shows as many
lines of speech as fit. When the cards do not fit at their least height, each stream gets compact rows: one
that still ends with its latest words, or, where the height allows, its words running on below it. Drawn with
the Line API: a card is rendered again only when what it shows changed, so a wall of 64 streams costs the cards
that moved, not the wall.
"""

from __future__ import annotations

import itertools
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

from dgtui.state.events import State
from dgtui.state.health import DEFAULT_SILENCE_AFTER, Silence, silence
from dgtui.state.stream import StreamState
from dgtui.tui.format import duration, ms_unit, seconds_unit, state_label

CARD_MIN_WIDTH = 58  # below two of these side by side, one column
CARD_HEIGHT = 8  # the least a card takes: borders, 3 lines of speech, lights, figures, identity
FIXED_LINES = CARD_HEIGHT - 3  # all but the speech: the cards share the height, the speech takes what is left
WIDE_ROW = 110  # compact rows this wide show the state, p95 and the request id too
HOLD = 1.0  # seconds a light stays lit
LIGHTS = ("is_final", "speech_final", "UtteranceEnd")  # the lights a card shows (the tab shows them all)
FLUX_LIGHTS = ("EagerEndOfTurn", "TurnResumed", "EndOfTurn")  # a Flux stream's card


def lights_of(state: StreamState) -> tuple[str, ...]:
    return FLUX_LIGHTS if state.flux else LIGHTS


BORDER = Style(color="#4a6a8a")
SILENT_BORDER = Style(color="#d7af00", bold=True)  # a feed gone silent: the first thing an operator must see
SELECTED_BORDER = Style(color="#5fafff", bold=True)
DIM = Style(dim=True)


def speech(state: StreamState, width: int, lines: int, console) -> list[Text]:  # type: ignore[no-untyped-def]
    """The stream's latest words wrapped to ``width``: the last finals, then the interim (dim); the last ``lines``."""
    newest = itertools.islice(reversed(state.transcript.lines), max(8, lines))  # the last, without copying them all
    finals = [line.text for line in reversed(list(newest)) if line.kind == "final" and line.text]
    text = Text(" ".join(finals))
    interim = " ".join(words for _, _, words in state.transcript.interims() if words)
    if interim:
        text.append((" " if finals else "") + interim, style=DIM)
    if not text.plain:
        waiting = (
            "no speech"
            if state.connection.error
            else "no speech yet"
            if state.connection.phase is State.STREAMING
            else "waiting"
        )
        return [Text(waiting, style=DIM)]
    wrapped = list(text.wrap(console, width, overflow="ellipsis"))
    return wrapped[-lines:]


def lights(state: StreamState, now: float) -> Text:
    text = Text()
    for flag in lights_of(state):
        lit = state.lights.lit(flag, now, HOLD)
        text.append("● " if lit else "○ ", style="bold green" if lit else DIM)
        text.append(f"{flag} {state.lights.counts[flag]}  ", style="" if lit else DIM)
    return text


def figures(state: StreamState, now: float) -> Text:
    latency = state.metrics.latency
    return Text.assemble(
        ("latency ", DIM), (ms_unit(latency.last), "bold"), (" · p95 ", DIM), (ms_unit(latency.summary().p95), ""),
        (" · first text ", DIM), (seconds_unit(state.metrics.ttft), ""),
        (" · ", DIM), (f"{state.metrics.messages_per_second(now):.1f} msg/s", ""),
    )  # fmt: skip


def identity(state: StreamState) -> Text:
    if state.connection.error:
        return Text(f"✖ {state.connection.error}", style="bold red")
    if finding := state.sending.latest():  # a tapped app's mistake: what its engineer came to find
        return Text(f"⚠ {finding.summary}", style="bold #d7af00")
    model = state.connection.model_info.get("name") or str(state.setup.options.get("model", "-"))
    request = (state.connection.request_id or "-")[:8]
    parts = Text.assemble(("request ", DIM), (request, "bold"), (" · ", DIM), (model, ""))
    if state.audio.source_kind:
        parts.append_text(Text.assemble((" · ", DIM), (state.audio.source_kind, "")))
    if state.connection.reconnects:
        parts.append_text(Text.assemble((" · ", DIM), (f"↻ {state.connection.reconnects}", "yellow")))
    return parts


def silent_label(quiet: Silence) -> Text:
    return Text(f"⚠ silent {duration(quiet.seconds)}: {quiet.reason}", style="bold #d7af00")


def card(  # type: ignore[no-untyped-def]
    index: int, state: StreamState, now: float, width: int, selected: bool, console,
    silence_after: float = DEFAULT_SILENCE_AFTER, height: int = CARD_HEIGHT,
) -> list[Text]:  # fmt: skip
    """A stream's card: ``height`` lines of exactly ``width`` cells; its border yellow when silent."""
    inner = max(10, width - 4)
    quiet = silence(state.health, state.connection, now, silence_after)
    border = SELECTED_BORDER if selected else SILENT_BORDER if quiet else BORDER
    title = Text.assemble((f" {index} ", "bold"), (state.name, "bold"), " ")
    title.append_text(state_label(state.connection.phase, state.connection.reconnecting))
    title.append(" ")
    if quiet:
        title.append_text(silent_label(quiet))
        title.append(" ")
    title.truncate(max(4, width - 4), overflow="ellipsis")
    top = Text("╭─", style=border) + title + Text("─" * max(0, width - 3 - title.cell_len) + "╮", style=border)
    speech_lines = max(1, height - FIXED_LINES)
    body = [*speech(state, inner, speech_lines, console)]
    body = [Text("")] * (speech_lines - len(body)) + body  # speech sits at the bottom, like a transcript
    body += [lights(state, now), figures(state, now), identity(state)]
    lines = [top]
    for line in body:
        line = line.copy()
        line.truncate(inner, overflow="ellipsis", pad=True)
        lines.append(Text("│ ", style=border) + line + Text(" │", style=border))
    lines.append(Text("╰" + "─" * (width - 2) + "╯", style=border))
    return lines


def compact_row(  # type: ignore[no-untyped-def]
    index: int, state: StreamState, now: float, width: int, selected: bool, console,
    silence_after: float = DEFAULT_SILENCE_AFTER, lines: int = 1,
) -> list[Text]:  # fmt: skip
    """A stream's rows when the cards do not fit: who, how, and its latest words (or that it is silent). With
    ``lines`` more than one (a terminal taller than the streams need), its words run on below, wrapped in the
    words' column down to the newest, so a short list of streams still fills the screen with speech."""
    latency = state.metrics.latency
    lit = "".join("●" if state.lights.lit(flag, now, HOLD) else "○" for flag in lights_of(state))
    wide = width >= WIDE_ROW
    label = state_label(state.connection.phase, state.connection.reconnecting)
    head = Text.assemble((f"{index:>2} ", "bold"), label if wide else label[:1])
    head.truncate(16 if wide else 5, pad=True)
    name = Text(state.name, style="bold")
    name.truncate(14 if wide else 12, overflow="ellipsis", pad=True)
    figures_text = Text.assemble((f" {ms_unit(latency.last):>7}", ""))
    if wide:
        figures_text.append_text(Text.assemble((" p95 ", DIM), (f"{ms_unit(latency.summary().p95):>7}", "")))
    figures_text.append_text(Text.assemble((" ", ""), (lit, "green" if "●" in lit else DIM)))
    if wide:
        figures_text.append_text(Text.assemble((" ", ""), ((state.connection.request_id or "-")[:8].ljust(8), DIM)))
    figures_text.append(" │ ", style=DIM)
    row = head + name + figures_text
    rest = max(8, width - row.cell_len)
    quiet = silence(state.health, state.connection, now, silence_after)
    if quiet:
        said = [silent_label(quiet)]
    elif lines > 1:
        said = speech(state, rest, lines, console)
    else:
        said = [speech(state, 10_000, 1, console)[-1]]  # one row: its end is the newest
    words = said[0]
    if words.cell_len > rest:
        words = words[words.cell_len - rest + 1 :]
        words = Text("…") + words
    indent = Text(" " * (row.cell_len - 2)) + Text("│ ", style=DIM)
    row.append_text(words)
    out = [row] + [indent + line for line in said[1:]]  # the stream's name, then its words down to the newest
    out += [indent.copy() for _ in range(lines - len(out))]
    for line in out:
        line.truncate(width, overflow="ellipsis", pad=True)
        if selected:
            line.stylize(Style(bgcolor="#1f4f7a"))
    return out


class StreamWall(ScrollView, can_focus=True):
    """Every stream at a glance; arrows move, Enter (or a click) opens the stream's tab."""

    DEFAULT_CSS = "StreamWall { height: 1fr; overflow-x: hidden; }"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move('up')", "Up", show=False),
        Binding("down", "move('down')", "Down", show=False),
        Binding("left", "move('left')", "Left", show=False),
        Binding("right", "move('right')", "Right", show=False),
        Binding("enter", "open", "Open", show=False),
    ]

    class Opened(Message):
        """A stream was chosen on the wall."""

        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.states: list[StreamState] = []
        self.selected = 0
        self.silence_after = DEFAULT_SILENCE_AFTER  # a streaming feed this long without signal or words is flagged
        self.empty = ""  # what the wall says while it has no stream
        self._cache: dict[int, tuple[object, list[Strip]]] = {}  # stream index -> (what it showed, its lines)
        self._keys: list[object] = []

    # -- layout --------------------------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self.states)

    @property
    def names(self) -> list[str]:
        return [state.name for state in self.states]

    @property
    def columns(self) -> int:
        return max(1, min(len(self.states) or 1, self.size.width // CARD_MIN_WIDTH))

    @property
    def compact(self) -> bool:
        """More streams than cards fit on screen: one row each instead."""
        rows_fit = max(1, self.size.height // CARD_HEIGHT)
        return len(self.states) > self.columns * rows_fit

    @property
    def rows_each(self) -> int:
        """Compact rows per stream: one, or more where the terminal is taller than the streams need (up to 6)."""
        if not self.compact:
            return 1
        return max(1, min(6, (self.size.height - 1) // max(1, len(self.states))))

    @property
    def card_height(self) -> int:
        """The cards' rows share the wall's height (never less than a card needs)."""
        rows = max(1, -(-len(self.states) // self.columns))
        return max(CARD_HEIGHT, self.size.height // rows)

    def _card_width(self, column: int) -> int:
        width, columns = self.size.width, self.columns
        base = width // columns
        return base + (width - base * columns if column == columns - 1 else 0)  # the last takes the remainder

    # -- input -----------------------------------------------------------------------------------------------

    def show(self, states: Sequence[StreamState], now: float) -> None:
        """Take the streams as they stand; repaint the lines of the cards (or rows) whose content changed."""
        states = list(states)
        layout_changed = [s.name for s in states] != [s.name for s in self.states]
        self.states = states
        self.selected = min(self.selected, max(0, len(states) - 1))
        old = self._keys
        self._rekey()
        compact = self.compact
        if layout_changed or len(old) != len(self._keys):
            self.refresh()
        else:
            for index, (before, now_key) in enumerate(zip(old, self._keys, strict=True)):
                if before != now_key:
                    self._refresh_item(index, compact)
        rows = len(states) * self.rows_each + 1 if compact else -(-len(states) // self.columns) * self.card_height
        self.virtual_size = Size(self.size.width, rows)

    def _rekey(self) -> None:
        """What each card shows, as a key: computed once per change here, compared by ``show`` and the drawing."""
        layout = (self.has_focus, self.size.width, self.compact, self.columns, self.card_height, self.rows_each)
        self._keys = []
        for index, state in enumerate(self.states):
            now = state.clock()  # a replay keeps its own time
            lit = tuple(state.lights.lit(f, now, HOLD) for f in lights_of(state))
            self._keys.append((state.version, lit, int(state.connection.uptime(now)), index == self.selected, layout))

    def _refresh_item(self, index: int, compact: bool) -> None:
        if compact:  # the header line stays put; rows scroll under it
            each = self.rows_each
            self.refresh_lines(index * each + 1 - self.scroll_offset.y, each)
            return
        height = self.card_height
        top = (index // self.columns) * height - self.scroll_offset.y
        self.refresh_lines(top, height)

    def action_move(self, direction: str) -> None:
        if not self.states:
            return
        step = {"left": -1, "right": 1, "up": -1, "down": 1}[direction]
        if direction in ("up", "down") and not self.compact:
            step *= self.columns
        self.selected = max(0, min(len(self.states) - 1, self.selected + step))
        self._scroll_to_selected()
        self._rekey()
        self.refresh()

    def _scroll_to_selected(self) -> None:
        if self.compact:  # rows under a fixed header line
            height = self.rows_each
            top, view = self.selected * height, self.size.height - 1
        else:
            height = self.card_height
            top, view = (self.selected // self.columns) * height, self.size.height
        if top < self.scroll_offset.y:
            self.scroll_to(y=top, animate=False)
        elif top + height > self.scroll_offset.y + view:
            self.scroll_to(y=top + height - view, animate=False)

    def action_open(self) -> None:
        if 0 <= self.selected < len(self.states):
            self.post_message(self.Opened(self.states[self.selected].name))

    def on_click(self, event: events.Click) -> None:
        y = event.y + self.scroll_offset.y
        if self.compact:
            index = (y - 1) // self.rows_each  # under the fixed header
        else:
            column = min(self.columns - 1, event.x // max(1, self.size.width // self.columns))
            index = (y // self.card_height) * self.columns + column
        if 0 <= index < len(self.states):
            self.selected = index
            self._rekey()
            self.refresh()
            self.action_open()

    # -- drawing -------------------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        line = y + self.scroll_offset.y
        if not self.states:  # nothing yet (a tap before the app's first stream): say what is awaited
            text = Text(f"  {self.empty}" if y == 1 and self.empty else "", style=DIM)
            return Strip(text.render(self.app.console)).crop_extend(0, width, base)
        if self.compact:
            if y == 0:
                return self._compact_header(width).crop_extend(0, width, base)
            index, within = divmod(line - 1, self.rows_each)
            if line < 1 or index >= len(self.states):
                return Strip.blank(width, base)
            return self._item(index, width)[within].crop_extend(0, width, base)
        row, within = divmod(line, self.card_height)
        strips = []
        for column in range(self.columns):
            index = row * self.columns + column
            card_width = self._card_width(column)
            if index < len(self.states):
                strips.append(self._item(index, card_width)[within])
            else:
                strips.append(Strip.blank(card_width, base))
        return Strip.join(strips).crop_extend(0, width, base)

    def _item(self, index: int, width: int) -> list[Strip]:
        """A card's lines (or a compact row), rendered again only when what it shows changed."""
        state = self.states[index]
        compact = self.compact
        key = (self._keys[index], width)  # _rekey ran for every change of state, selection, focus and size
        cached = self._cache.get(index)
        if cached is None or cached[0] != key:
            now = state.clock()
            selected = index == self.selected
            console = self.app.console
            if compact:
                texts = compact_row(index + 1, state, now, width, selected and self.has_focus, console,
                                    self.silence_after, self.rows_each)  # fmt: skip
            else:
                texts = card(index + 1, state, now, width, selected and self.has_focus, console, self.silence_after,
                             self.card_height)  # fmt: skip
            cached = (key, [Strip(list(text.render(console)), text.cell_len) for text in texts])
            self._cache[index] = cached
        return cached[1]

    def _compact_header(self, width: int) -> Strip:
        if width >= WIDE_ROW:
            titles = " #  state          stream         latency     p95 lights request │ latest words"
        else:
            titles = " #    stream        latency lights │ latest words"
        text = Text(titles, style="bold")
        text.truncate(width, pad=True)
        return Strip(list(text.render(self.app.console)), text.cell_len)

    def on_resize(self) -> None:
        self._cache.clear()
        self.show(self.states, 0.0)

    def on_focus(self) -> None:
        self._rekey()
        self.refresh()

    def on_blur(self) -> None:
        self._rekey()
        self.refresh()
