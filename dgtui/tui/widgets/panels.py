"""The small panels of a stream tab. Each renders from a StreamState and repaints only when its text changes."""

from __future__ import annotations

import math

from rich.table import Table
from rich.text import Text
from textual.widget import Widget
from textual.widgets import Sparkline

from dgtui.judge.compare import LaneGroup, lane_row
from dgtui.state.health import DAY, HOUR, downtime, reconnects_within
from dgtui.state.stats import format_ms
from dgtui.state.stream import StreamState
from dgtui.state.usage import NoPrice, bills, cost_of, format_usd, run_cost
from dgtui.tui.format import audio_time, duration, level_meter, ms_unit, options_text, seconds_unit, state_label
from dgtui.tui.widgets.marks import finished


class StatePanel(Widget):
    """Told the state at every tick; re-renders only when what it shows changed, and asks for a new layout only
    when its height changed (a Static's ``update`` always does, which at 10 Hz costs more than the drawing)."""

    DEFAULT_CSS = "StatePanel { height: auto; }"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._shown: object = None
        self._content: Text | Table = Text("")
        self._lines = 0

    def show(self, state: StreamState, now: float) -> None:
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

    def key(self, state: StreamState, now: float) -> object:
        return state.version

    def build(self, state: StreamState, now: float) -> Text | Table:
        raise NotImplementedError


NARROW = 110  # below this width the header keeps to the state, the source and the figures


class StreamHeader(StatePanel):
    """Source, backend URL (redacted), state, audio time and the level of the audio being sent."""

    def key(self, state: StreamState, now: float) -> object:
        connection, audio = state.connection, state.audio
        level = None if math.isnan(audio.level_db) else round(audio.level_db)
        return (connection.phase, connection.url, connection.error, connection.errors, connection.reconnects,
                len(connection.gaps), round(audio.lost, 1), round(audio.cursor, 1), level, int(connection.uptime(now)),
                round(audio.resent, 1), self.size.width, sending_key(state))  # fmt: skip

    def build(self, state: StreamState, now: float) -> Text:
        width = self.size.width or 120
        narrow = width < NARROW
        line1 = Text.assemble(
            state_label(state.connection.phase, reconnecting=state.connection.reconnecting),
            ("  ", ""),
            (state.name, "bold"),
            ("  ", ""),
            (state.setup.source, ""),
        )
        if state.audio.conditions:  # the audio is not the source's as it is: say so where the source is named
            line1.append_text(Text.assemble(("  conditions ", "dim"), (" ".join(state.audio.conditions), "yellow")))
        if state.audio.source_kind:  # what the source was taken for, and why (a remote one once its server answered)
            line1.append_text(Text.assemble(("  ", ""), (state.audio.source_kind, "bold")))
            if not narrow:
                line1.append(f": {state.audio.source_reason}", style="dim")
        line1.truncate(width, overflow="ellipsis")
        line2 = Text.assemble(("→ ", "dim"), (state.connection.url or "waiting for the backend…", "dim"))
        line2.truncate(max(20, width), overflow="ellipsis")
        line3 = Text.assemble(
            ("audio ", "dim"),
            (audio_time(state.audio.cursor), "bold"),
            ("   level ", "dim"),
            level_meter(state.audio.level_db, width=8 if narrow else 16),
            *sending_parts(state),
            ("   up ", "dim"),
            (duration(state.connection.uptime(now)), ""),
            ("   reconnects ", "dim"),
            (str(state.connection.reconnects), "yellow" if state.connection.reconnects else ""),
            *health_parts(state, now),
            *(
                (("   gaps ", "dim"), (f"{sum(state.connection.gaps):.1f} s", "yellow"))
                if state.connection.gaps
                else ()
            ),
            *((("   lost ", "dim"), (f"{state.audio.lost:.1f} s", "red")) if state.audio.lost else ()),
            ("   errors ", "dim"),
            (str(state.connection.errors), "red" if state.connection.errors else ""),
            *cost_parts(state, now),
        )
        line3.truncate(width, overflow="ellipsis")
        parts = [line1, line3] if narrow else [line1, line2, line3]  # the URL is in the metadata panel too
        if state.connection.error:
            parts.insert(1, Text(f"✖ {state.connection.error}", style="bold red"))
        return Text("\n").join(parts)


OFF_PACE = (0.9, 1.2)  # a pace outside these is shown in yellow: results come late, or latency means nothing


def sending_key(state: StreamState) -> object:
    if not state.setup.tapped:
        return None
    pace = state.sending.pace()
    return (None if pace is None else round(pace, 2), state.sending.gaps, len(state.sending.findings))


def sending_parts(state: StreamState) -> tuple[tuple[str, str], ...]:
    """A tapped stream: how the app sends (its pace against real time now, and the gaps where it stopped)."""
    if not state.setup.tapped:
        return ()
    pace, sending = state.sending.pace(), state.sending
    shown = "-" if pace is None else f"{pace:.2f}×"
    style = "" if pace is None or OFF_PACE[0] <= pace <= OFF_PACE[1] else "yellow"
    parts: tuple[tuple[str, str], ...] = (("   sending ", "dim"), (shown, style))
    if sending.gaps:
        parts += (("   gaps ", "dim"), (f"{sending.gaps} (longest {sending.longest_gap:.1f} s)", "yellow"))
    return parts


def health_parts(state: StreamState, now: float) -> tuple[tuple[str, str], ...]:
    """After a reconnect: reconnects and time without a connection in the last hour and day (the wall's view)."""
    if not state.connection.reconnects:
        return ()
    hour, day = reconnects_within(state.health, now, HOUR), reconnects_within(state.health, now, DAY)
    offline_hour, offline_day = (
        downtime(state.health, state.connection, now, HOUR),
        downtime(state.health, state.connection, now, DAY),
    )
    return ((f" ({hour} in 1 h, {day} in 24 h)", "dim"), ("   offline ", "dim"),
            (f"{duration(offline_hour)}/h · {duration(offline_day)}/24 h", "yellow"))  # fmt: skip


def cost_parts(state: StreamState, now: float) -> tuple[tuple[str, str], ...]:
    """The header's cost, for a stream that bills (Deepgram's cloud): so far, and "sent again" when a reconnect
    sent audio twice. Nothing for the local engine; the reason when there is no price."""
    usage = state.usage(now)
    if not bills(usage, state.setup.prices):
        return ()
    cost = cost_of(usage, state.setup.prices)
    if isinstance(cost, NoPrice):
        return (("   cost ", "dim"), ("no price", "dim"))
    again = ((" (sent again ", "dim"), (format_usd(cost.resent), "yellow"), (")", "dim")) if cost.resent else ()
    return (("   cost ", "dim"), (format_usd(cost.so_far), ""), *again)


class Indicators(StatePanel):
    """One light per flag: lit for a second after a message carrying it, with how many have come."""

    HOLD = 1.0

    def key(self, state: StreamState, now: float) -> object:
        turn = state.turns.open
        confidence = round(turn.confidence, 2) if turn is not None else None
        lights = tuple((state.lights.lit(f, now, self.HOLD), state.lights.counts[f]) for f in state.setup.flags)
        return (lights, confidence, tuple(state.turns.thresholds.items())) if state.flux else lights

    def build(self, state: StreamState, now: float) -> Text:
        text = Text()
        for flag in state.setup.flags:
            lit = state.lights.lit(flag, now, self.HOLD)
            style = "bold black on green" if lit else "dim"
            text.append(f" {flag} ", style=style)
            text.append(f" {state.lights.counts[flag]}  ", style="" if lit else "dim")
        if state.flux:
            text.append("\n")
            text.append_text(confidence_bar(state))
        return text


def thresholds_of(state: StreamState) -> dict[str, float]:
    """The turn thresholds in force: the server's last ConfigureSuccess, else the stream's options, else Flux's."""
    found = {"eot_threshold": 0.7, **{k: v for k, v in state.setup.options.items() if k.endswith("threshold")}}
    found.update({k: v for k, v in state.turns.thresholds.items() if k.endswith("threshold") and v is not None})
    return found


def confidence_bar(state: StreamState, width: int = 20) -> Text:
    """The open turn's end_of_turn_confidence as a bar, with the thresholds marked on it (│ eager, ┃ end)."""
    turn = state.turns.open
    value = turn.confidence if turn is not None else 0.0
    marks = {round(v * width): "┃" if k == "eot_threshold" else "│" for k, v in thresholds_of(state).items()}
    if turn is None:
        bar = Text(f" turn #{state.turns.ended} not started ", style="dim")
    else:
        status = (
            "eager end" if turn.eager_at is not None else f"resumed ×{turn.resumed}" if turn.resumed else "speaking"
        )
        bar = Text.assemble((f" turn #{turn.index} ", "bold"), (status, "yellow" if turn.eager_at else ""), ("  ", ""))
    bar.append("end of turn ", style="dim")
    for i in range(width):
        filled = i < round(value * width)
        bar.append(marks.get(i, "█" if filled else "░"), style="green" if filled else "dim")
    shown = " · ".join(
        f"{k.removesuffix('_threshold').replace('_', ' ')} {v:g}" for k, v in thresholds_of(state).items()
    )
    bar.append(f" {value:.2f}" if turn is not None else " no turn", style="bold" if turn is not None else "dim")
    bar.append(f"   {shown}", style="dim")
    return bar


class LatencyPanel(StatePanel):
    """Latency now / p50 / p95 / max, time to first transcript and end-of-turn latency, in milliseconds."""

    def key(self, state: StreamState, now: float) -> object:
        m = state.metrics
        return (
            m.latency.count,
            m.final_latency.count,
            m.end_of_turn.count,
            m.ttft,
            sum(state.turns.metrics.events.values()),
        )

    def build(self, state: StreamState, now: float) -> Table:
        if state.flux:
            return self._turns(state)
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

    def _turns(self, state: StreamState) -> Table:
        """Flux: turn-taking figures (end of turn after the last word, in audio and on the wall clock)."""
        m, turns = state.metrics, state.turns.metrics
        table = Table.grid(padding=(0, 1))
        table.add_column(style="dim")
        for _ in range(3):
            table.add_column(justify="right")
        table.add_row("ms", Text("p50", "dim"), Text("p95", "dim"), Text("max", "dim"))
        for label, series in (("update", m.latency), ("end of turn", turns.eot_audio), ("EoT wall", turns.eot_wall),
                              ("eager→EoT", turns.eager_to_eot), ("to StartOfTurn", turns.start_of_turn)):  # fmt: skip
            summary = series.summary()
            table.add_row(label, format_ms(summary.p50), format_ms(summary.p95), format_ms(summary.max))
        rate = turns.resumed_rate
        table.add_row("resumed", "-" if rate is None else f"{rate:.0%}", "", "")
        table.add_row("turns/min", f"{turns.turns_per_minute(m.audio_seconds):.1f}", "", "")
        triggers = " ".join(f"{k} {v}" for k, v in sorted(turns.triggers.items())) or "-"
        table.add_row("ended by", triggers, "", "")
        table.add_row("first text", seconds_unit(m.ttft), "", "")
        return table


class LatencySparkline(Sparkline):
    """Recent interim latencies; refreshed only when a new one arrived."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__([], **kwargs)  # type: ignore[arg-type]
        self._count = -1

    def show(self, state: StreamState) -> None:
        series = state.metrics.latency
        if series.count != self._count:
            self._count = series.count
            self.data = list(series.recent)


class MetadataPanel(StatePanel):
    """Request id, model, channels, the closing Metadata once it comes, and the options in use."""

    def key(self, state: StreamState, now: float) -> object:
        connection = state.connection
        return (connection.request_id, len(connection.request_ids), bool(connection.model_info), connection.model_uuid,
                sum(state.sending.controls.values()), len(state.sending.findings),
                connection.channels, connection.timings, connection.metadata is not None, round(state.audio.cursor),
                round(state.audio.resent, 1), round(connection.connection_time(now)))  # fmt: skip

    def build(self, state: StreamState, now: float) -> Table:
        table = Table.grid(padding=(0, 1))
        table.add_column(style="dim", no_wrap=True)
        table.add_column(overflow="fold")
        info = state.connection.model_info
        table.add_row("request id", state.connection.request_id or "-")
        if state.flux:  # Flux messages carry no model info: the model asked for, and the turn thresholds
            table.add_row("api", "Flux · /v2/listen")
            table.add_row("model", str(state.setup.options.get("model", "-")))
            if state.setup.local_engine:
                table.add_row("engine", Text("the local engine (pocketsphinx), not Deepgram's Flux model", "yellow"))
            for key, value in thresholds_of(state).items():
                table.add_row(key.removesuffix("_threshold").replace("_", " "), f"{value:g}")
            table.add_row(
                "timeout",
                f"{state.turns.thresholds.get('eot_timeout_ms') or state.setup.options.get('eot_timeout_ms', 5000)} ms",
            )
            table.add_row("options", options_text(state.setup.options) or "-")
            tapped_rows(table, state)
            usage_rows(table, state, now)
            return table
        if len(state.connection.request_ids) > 1:
            table.add_row("earlier", ", ".join(state.connection.request_ids[:-1][-3:]))
        table.add_row("model", info.get("name", "-") if info else "-")
        table.add_row("version", info.get("version", "-") if info else "-")
        table.add_row("arch", info.get("arch", "-") if info else "-")
        table.add_row("model uuid", state.connection.model_uuid or "-")
        table.add_row("channels", str(state.connection.channels))
        if state.connection.timings is not None:
            table.add_row("handshake", f"{state.connection.timings.total * 1000:.0f} ms")
        meta = state.connection.metadata
        if meta is not None:
            table.add_row("closing", Text("Metadata", style="bold"))
            table.add_row("duration", f"{meta.duration:.2f} s")
            table.add_row("sha256", meta.sha256[:16] + ("…" if len(meta.sha256) > 16 else "") or "-")
            table.add_row("created", meta.created or "-")
        table.add_row("options", options_text(state.setup.options) or "-")
        tapped_rows(table, state)
        usage_rows(table, state, now)
        return table


def tapped_rows(table: Table, state: StreamState) -> None:
    """A tapped stream: the controls the app sent and the mistakes seen (each said in full in the event log)."""
    if not state.setup.tapped:
        return
    controls = state.sending.controls
    table.add_row("app sent", " · ".join(f"{name} {count}" for name, count in sorted(controls.items())) or "audio only")
    for finding in state.sending.findings[-3:]:
        table.add_row("diagnosis", Text(finding.summary, "yellow"))


def usage_rows(table: Table, state: StreamState, now: float) -> None:
    """What the stream used and costs: audio billed (sent again apart), connection time, the cost so far and per
    hour; the reason when there is no price (never a made-up zero)."""
    usage = state.usage(now)
    again = f" (+{usage.resent_s * usage.channels:.1f} s sent again)" if usage.resent_s else ""
    channels = f" × {usage.channels} channels" if usage.channels > 1 else ""
    table.add_row("billed", f"{usage.audio_s + usage.resent_s:.1f} s audio{channels}{again}")
    table.add_row("connected", duration(usage.connection_s) + (f" · {', '.join(usage.addons)}" if usage.addons else ""))
    cost = cost_of(usage, state.setup.prices)
    if isinstance(cost, NoPrice):
        table.add_row("cost", Text(cost.reason, "dim"))
    else:
        table.add_row("cost", f"{format_usd(cost.so_far)} · {format_usd(cost.per_hour)}/h")


class AccuracyPanel(StatePanel):
    """A stream judged against its reference (``--reference``, or the files beside its source): word error rate
    so far, and with true word times the latency anchored on them."""

    def __init__(self, group: LaneGroup, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.group = group

    def key(self, state: StreamState, now: float) -> object:
        return (
            state.transcript.line_seq,
            state.connection.phase,
            len(state.reach.speech_ends),
            len(state.reach.text_seen),
        )

    def build(self, state: StreamState, now: float) -> Table:
        row = lane_row(state.name, [state], self.group.reference, finished, self.group.truth)
        table = Table.grid(padding=(0, 1))
        table.add_column(style="dim")
        for _ in range(2):
            table.add_column(justify="right")
        errors = row.errors
        if errors is not None:
            wer = "-" if errors.wer is None else f"{errors.wer:.1%}"
            table.add_row("WER", Text(wer, "bold"), f"of {errors.reference_words} words")
            table.add_row("sub/del/ins", f"{errors.substitutions}/{errors.deletions}/{errors.insertions}", "")
        if self.group.truth:
            table.add_row("ms", Text("p50", "dim"), Text("p95", "dim"))
            for label, figures in (("speech end", row.speech_end), ("first words", row.first_word),
                                   ("word shown", row.word_shown), ("word final", row.word_final)):  # fmt: skip
                table.add_row(label, *(format_ms(None if figures is None else figures[k]) for k in ("p50", "p95")))
        return table


class RunCostLine(Widget):
    """The Overview's cost line: every stream's cost so far and per hour, and per month at N streams. Hidden
    while nothing bills (the local engine), so the demo shows none."""

    DEFAULT_CSS = "RunCostLine { height: 1; padding: 0 1; color: $text-muted; display: none; }"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._text = ""

    def render(self) -> Text:
        return Text(self._text, no_wrap=True, overflow="ellipsis")

    def show_run(self, states: list[StreamState], now: float) -> None:
        total = run_cost((state.usage(now), state.setup.prices) for state in states)
        if not total.billed:
            self.display = False
            return
        prices = states[0].setup.prices
        streams = prices.month_streams(len(states))
        if total.priced:
            text = (
                f"cost {format_usd(total.so_far)} so far · {format_usd(total.per_hour)}/h · "
                f"{format_usd(total.per_month(streams))}/month at {streams} stream{'s' if streams != 1 else ''}"
            )
        else:
            text = "cost: no price for these streams (set them under [prices] in the config file)"
        if total.unpriced and total.priced:
            text += f" · {total.unpriced} without a price, left out"
        text += f" · {prices.origin}, as of {prices.as_of}"
        self.display = True
        if text != self._text:
            self._text = text
            self.refresh()
