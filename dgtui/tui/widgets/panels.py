"""The small panels of a stream tab. Each renders from a SessionState and repaints only when its text changes."""

from __future__ import annotations

import math

from rich.table import Table
from rich.text import Text
from textual.widget import Widget
from textual.widgets import Sparkline

from dgtui.session.state import FLAGS, SessionState
from dgtui.session.stats import format_ms
from dgtui.tui.format import audio_time, duration, level_meter, ms_unit, options_text, seconds_unit, state_label


class StatePanel(Widget):
    """Told the state at every tick; re-renders only when what it shows changed, and asks for a new layout only
    when its height changed (a Static's ``update`` always does, which at 10 Hz costs more than the drawing)."""

    DEFAULT_CSS = "StatePanel { height: auto; }"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._shown: object = None
        self._content: Text | Table = Text("")
        self._lines = 0

    def show(self, state: SessionState, now: float) -> None:
        key = self.key(state, now)
        if key == self._shown:
            return
        self._shown = key
        self._content = self.build(state, now)
        lines = self._content.plain.count("\n") + 1 if isinstance(self._content, Text) else self._content.row_count
        self.refresh(layout=lines != self._lines)
        self._lines = lines

    def render(self) -> Text | Table:
        return self._content

    def key(self, state: SessionState, now: float) -> object:
        return state.version

    def build(self, state: SessionState, now: float) -> Text | Table:
        raise NotImplementedError


NARROW = 110  # below this width the header keeps to the state, the source and the figures


class StreamHeader(StatePanel):
    """Source, backend URL (redacted), state, audio time and the level of the audio being sent."""

    def key(self, state: SessionState, now: float) -> object:
        level = None if math.isnan(state.level_db) else round(state.level_db)
        return (state.phase, state.url, state.error, state.errors, state.reconnects, len(state.gaps),
                round(state.audio_lost, 1), round(state.cursor, 1), level, int(state.uptime(now)),
                self.size.width)  # fmt: skip

    def build(self, state: SessionState, now: float) -> Text:
        width = self.size.width or 120
        narrow = width < NARROW
        line1 = Text.assemble(
            state_label(state.phase, reconnecting=state.reconnecting),
            ("  ", ""),
            (state.name, "bold"),
            ("  ", ""),
            (state.source_label, ""),
        )
        if state.source_kind:  # what the source was taken for, and why (a remote one once its server answered)
            line1.append_text(Text.assemble(("  ", ""), (state.source_kind, "bold")))
            if not narrow:
                line1.append(f": {state.source_reason}", style="dim")
        line1.truncate(width, overflow="ellipsis")
        line2 = Text.assemble(("→ ", "dim"), (state.url or "waiting for the backend…", "dim"))
        line2.truncate(max(20, width), overflow="ellipsis")
        line3 = Text.assemble(
            ("audio ", "dim"),
            (audio_time(state.cursor), "bold"),
            ("   level ", "dim"),
            level_meter(state.level_db, width=8 if narrow else 16),
            ("   up ", "dim"),
            (duration(state.uptime(now)), ""),
            ("   reconnects ", "dim"),
            (str(state.reconnects), "yellow" if state.reconnects else ""),
            *((("   gaps ", "dim"), (f"{sum(state.gaps):.1f} s", "yellow")) if state.gaps else ()),
            *((("   lost ", "dim"), (f"{state.audio_lost:.1f} s", "red")) if state.audio_lost else ()),
            ("   errors ", "dim"),
            (str(state.errors), "red" if state.errors else ""),
        )
        line3.truncate(width, overflow="ellipsis")
        parts = [line1, line3] if narrow else [line1, line2, line3]  # the URL is in the metadata panel too
        if state.error:
            parts.insert(1, Text(f"✖ {state.error}", style="bold red"))
        return Text("\n").join(parts)


class Indicators(StatePanel):
    """One light per flag: lit for a second after a message carrying it, with how many have come."""

    HOLD = 1.0

    def key(self, state: SessionState, now: float) -> object:
        return tuple((state.lit(f, now, self.HOLD), state.flag_counts[f]) for f in FLAGS)

    def build(self, state: SessionState, now: float) -> Text:
        text = Text()
        for flag in FLAGS:
            lit = state.lit(flag, now, self.HOLD)
            style = "bold black on green" if lit else "dim"
            text.append(f" {flag} ", style=style)
            text.append(f" {state.flag_counts[flag]}  ", style="" if lit else "dim")
        return text


class LatencyPanel(StatePanel):
    """Latency now / p50 / p95 / max, time to first transcript and end-of-turn latency, in milliseconds."""

    def key(self, state: SessionState, now: float) -> object:
        m = state.metrics
        return (m.latency.count, m.final_latency.count, m.end_of_turn.count, m.ttft)

    def build(self, state: SessionState, now: float) -> Table:
        m = state.metrics
        latency, final, turn = m.latency.summary(), m.final_latency.summary(), m.end_of_turn.summary()
        table = Table.grid(padding=(0, 1))
        table.add_column(style="dim")
        table.add_column(justify="right")
        table.add_column(justify="right")
        table.add_column(justify="right")
        table.add_row("ms", Text("p50", "dim"), Text("p95", "dim"), Text("max", "dim"))
        table.add_row("interim", format_ms(latency.p50), format_ms(latency.p95), format_ms(latency.max))
        table.add_row("final", format_ms(final.p50), format_ms(final.p95), format_ms(final.max))
        table.add_row("end of turn", format_ms(turn.p50), format_ms(turn.p95), format_ms(turn.max))
        table.add_row("now", Text(ms_unit(m.latency.last), "bold"), "", "")
        table.add_row("first text", seconds_unit(m.ttft), "", "")
        return table


class LatencySparkline(Sparkline):
    """Recent interim latencies; refreshed only when a new one arrived."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__([], **kwargs)  # type: ignore[arg-type]
        self._count = -1

    def show(self, state: SessionState) -> None:
        series = state.metrics.latency
        if series.count != self._count:
            self._count = series.count
            self.data = list(series.recent)


class MetadataPanel(StatePanel):
    """Request id, model, channels, the closing Metadata once it comes, and the options in use."""

    def key(self, state: SessionState, now: float) -> object:
        return (state.request_id, len(state.request_ids), bool(state.model_info), state.model_uuid, state.channels,
                state.timings, state.metadata is not None)  # fmt: skip

    def build(self, state: SessionState, now: float) -> Table:
        table = Table.grid(padding=(0, 1))
        table.add_column(style="dim", no_wrap=True)
        table.add_column(overflow="fold")
        info = state.model_info
        table.add_row("request id", state.request_id or "-")
        if len(state.request_ids) > 1:
            table.add_row("earlier", ", ".join(state.request_ids[:-1][-3:]))
        table.add_row("model", info.get("name", "-") if info else "-")
        table.add_row("version", info.get("version", "-") if info else "-")
        table.add_row("arch", info.get("arch", "-") if info else "-")
        table.add_row("model uuid", state.model_uuid or "-")
        table.add_row("channels", str(state.channels))
        if state.timings is not None:
            table.add_row("handshake", f"{state.timings.total * 1000:.0f} ms")
        meta = state.metadata
        if meta is not None:
            table.add_row("closing", Text("Metadata", style="bold"))
            table.add_row("duration", f"{meta.duration:.2f} s")
            table.add_row("sha256", meta.sha256[:16] + ("…" if len(meta.sha256) > 16 else "") or "-")
            table.add_row("created", meta.created or "-")
        table.add_row("options", options_text(state.options) or "-")
        return table
