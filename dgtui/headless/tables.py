"""The plain tables a run ends with on standard error: each stream's figures, Flux turns, usage and cost, and
the lanes compared."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TextIO

from dgtui.judge.compare import Comparison, shown_columns
from dgtui.state.controls import Stream
from dgtui.state.stats import format_ms
from dgtui.state.usage import DEFAULT_PRICES, NoPrice, cost_of, format_usd


def summary(session: Stream, month_streams: int = 1) -> dict[str, Any]:
    state = session.state
    usage = state.usage()
    metrics = state.metrics.summary()
    latency = metrics["latency"]
    return {
        "name": session.name,
        "request_id": state.connection.request_id,
        "audio_seconds": metrics["audio_seconds"],
        "ttft_s": metrics["ttft_s"],
        "latency": {"p50": latency["p50"], "p95": latency["p95"], "max": latency["max"]},
        "final_latency": metrics["final_latency"],
        "end_of_turn": metrics["end_of_turn"],
        "interims_per_audio_second": metrics["interims_per_audio_second"],
        "interim_corrections": metrics["interim_corrections"],
        "messages": metrics["messages"],
        "reconnects": state.connection.reconnects,
        "request_ids": list(state.connection.request_ids),
        "gaps_s": [round(gap, 3) for gap in state.connection.gaps],
        "audio_resent_s": round(state.audio.resent, 3),
        "audio_lost_s": round(state.audio.lost, 3),
        "usage": usage.as_dict(),
        "cost": cost_of(usage, state.setup.prices).as_dict(month_streams),
        "source_kind": state.audio.source_kind,
        "source_reason": state.audio.source_reason,
        "close_code": state.connection.close_code,
        "clean": state.clean,
        "error": state.connection.error,
        **({"api": "v2", "turns": state.turns.metrics.summary(state.metrics.audio_seconds)} if state.flux else {}),
    }


def print_summary_table(sessions: Sequence[Stream], out: TextIO) -> None:
    rows = [("stream", "audio s", "ttft ms", "lat p50", "lat p95", "lat max", "status")]
    for s in sessions:
        d = summary(s)
        lat = d["latency"]
        state = s.state
        status = "ok" if state.clean else (state.connection.error or f"closed {state.connection.close_code}")
        reconnects = state.connection.reconnects
        if reconnects:
            status += f" ({reconnects} reconnect{'s' if reconnects != 1 else ''}, {state.audio.lost:.1f} s lost)"
        rows.append(
            (
                d["name"],
                f"{d['audio_seconds']:.1f}",
                format_ms(d["ttft_s"]),
                format_ms(lat["p50"]),
                format_ms(lat["p95"]),
                format_ms(lat["max"]),
                status[:70],
            )
        )
    print_rows(rows, out, left=(0, 6))
    flux = [s for s in sessions if s.state.flux]
    if flux:
        print_turn_table(flux, out)
    print_usage_table(sessions, out)


def month_streams(sessions: Sequence[Stream]) -> int:
    """How many concurrent streams the monthly projection is for: [prices] streams, else the run's."""
    return (sessions[0].state.setup.prices if sessions else DEFAULT_PRICES).month_streams(len(sessions))


def print_usage_table(sessions: Sequence[Stream], out: TextIO) -> None:
    """Usage and cost: audio billed (sent again after drops apart), connection time, add-ons; the cost so far,
    per hour and per month at N concurrent streams. No price, no figure: the reason instead."""
    if not sessions:
        return
    streams = month_streams(sessions)
    usages = [(s, s.state.usage()) for s in sessions]
    priced = [(s, usage, cost_of(usage, s.state.setup.prices)) for s, usage in usages]
    if all(usage.billed_by == "local" for _, usage, _ in priced):
        print("\ncost: none (the local engine is not billed)", file=out)
        return
    print(f"\nusage and cost · {sessions[0].state.setup.prices.describe()}", file=out)
    rows = [("stream", "billed s", "sent again s", "connected s", "add-ons", "cost", "per hour",
             f"per month ×{streams}")]  # fmt: skip
    for session, usage, cost in priced:
        head = (session.name, f"{usage.billed_s:.1f}", f"{usage.resent_s * usage.channels:.1f}",
                f"{usage.connection_s:.1f}", ", ".join(usage.addons) or "-")  # fmt: skip
        if isinstance(cost, NoPrice):
            rows.append((*head, "-", "-", cost.reason))
        else:
            month = format_usd(cost.per_month(streams))
            rows.append((*head, format_usd(cost.so_far), format_usd(cost.per_hour), month))
    print_rows(rows, out, left=(0, 4, 7))


def print_turn_table(sessions: Sequence[Stream], out: TextIO) -> None:
    """Flux streams: the turn metrics (end of turn after the last word, in audio and on the wall clock)."""
    rows = [("stream", "turns", "EoT p50", "EoT p95", "wall p50", "eager→EoT", "resumed", "triggers")]
    for session in sessions:
        turns = session.state.turns.metrics.summary(session.state.metrics.audio_seconds)
        audio, wall, eager = turns["end_of_turn_audio"], turns["end_of_turn_wall"], turns["eager_to_end_of_turn"]
        rate = turns["resumed_rate"]
        rows.append(
            (
                session.name,
                str(turns["turns"]),
                format_ms(audio["p50"]),
                format_ms(audio["p95"]),
                format_ms(wall["p50"]),
                format_ms(eager["p50"]),
                "-" if rate is None else f"{rate:.0%}",
                " ".join(f"{k} {v}" for k, v in sorted(turns["triggers"].items())) or "-",
            )
        )
    print_rows(rows, out, left=(0, 7))


def print_comparison(comparison: Comparison, out: TextIO) -> None:
    """The lanes of one source side by side; ``*`` marks the best of a column."""
    reference = comparison.reference or "none (give --reference FILE for word error rates)"
    what = "lanes of" if len(comparison.rows) > 1 else "accuracy of"
    print(f"\n{what} {comparison.source} · reference: {reference}", file=out)
    columns = shown_columns(comparison.rows)
    rows = [("lane", *(column.plain for column in columns))]
    for row in comparison.rows:
        cells = (c.show(row) + ("*" if comparison.is_best(row, c) else "") for c in columns)
        rows.append((row.name + (" ✖" if row.error else ""), *cells))
    print_rows(rows, out)


def print_rows(rows: Sequence[Sequence[str]], out: TextIO, left: Sequence[int] = (0,)) -> None:
    """A plain table: columns as wide as their widest cell, the ``left`` ones flush left, the rest right."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = (c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        print("  ".join(cells), file=out)
