"""How figures look on screen: times, milliseconds, levels and states. Pure functions, no widgets."""

from __future__ import annotations

import math

from rich.text import Text

from dgtui.state.events import State
from dgtui.state.stats import format_ms

STATE_STYLES = {
    State.CONNECTING: ("◌", "yellow"),
    State.STREAMING: ("●", "green"),
    State.PAUSED: ("‖", "cyan"),
    State.CLOSING: ("◍", "yellow"),
    State.CLOSED: ("○", "dim"),
    State.ERROR: ("✖", "bold red"),
}
RECONNECTING = ("↻", "yellow")
LEVEL_FLOOR_DB = -60.0


def audio_time(seconds: float) -> str:
    """Seconds of audio as ``mm:ss.s`` (``h:mm:ss.s`` past an hour)."""
    seconds = max(0.0, seconds)
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{secs:04.1f}" if hours else f"{minutes:02d}:{secs:04.1f}"


def duration(seconds: float) -> str:
    """Uptime as ``1h02m``, ``3m05s`` or ``12s``."""
    seconds = int(max(0.0, seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def state_label(state: State, reconnecting: bool = False) -> Text:
    glyph, style = RECONNECTING if reconnecting else STATE_STYLES[state]
    return Text(f"{glyph} {'reconnecting' if reconnecting else state.value}", style=style)


def level_meter(level_db: float, width: int = 16) -> Text:
    """A bar for the level of the audio being sent: silence and dead sources show at a glance."""
    if math.isnan(level_db):
        return Text("·" * width + "   n/a", style="dim")
    fraction = min(1.0, max(0.0, (level_db - LEVEL_FLOOR_DB) / -LEVEL_FLOOR_DB))
    filled = round(fraction * width)
    style = "red" if level_db > -3 else "yellow" if level_db > -12 else "green"
    if level_db <= LEVEL_FLOOR_DB + 1:
        style = "dim"
    return Text.assemble(("█" * filled, style), ("·" * (width - filled), "dim"), (f" {level_db:5.0f} dB", ""))


def options_text(options: dict[str, object]) -> str:
    def show(value: object) -> str:
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, list):
            return ",".join(map(str, value))
        return str(value)

    return " ".join(f"{key}={show(value)}" for key, value in sorted(options.items()))


def ms_unit(seconds: float | None) -> str:
    """Seconds as ``150 ms`` (``-`` when there is no value): every figure on screen carries its unit."""
    value = format_ms(seconds)
    return value if value == "-" else f"{value} ms"


def seconds_unit(seconds: float | None) -> str:
    """Seconds as ``1.2 s`` (``-`` when there is no value)."""
    if seconds is None or math.isnan(seconds):
        return "-"
    return f"{seconds:.1f} s"
