"""``dgtui bench``: the same audio streamed by N sessions at once, and a table of their latency figures."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from dgtui.audio.conditions import Conditions
from dgtui.headless.run import (
    GATE_FAILED,
    NO_GATES,
    Gates,
    check_gates,
    comparison_of,
    copies_of,
    subjects,
    write_report,
)
from dgtui.headless.tables import print_comparison, print_turn_table, print_usage_table
from dgtui.judge.compare import LaneGroup
from dgtui.live.capacity import Ramp, RampPlan, RampResult, run_ramp
from dgtui.live.runner import StreamRunner
from dgtui.state.stats import Series, format_ms, summarize
from dgtui.state.turns import TurnMetrics
from dgtui.state.usage import format_usd, run_cost


async def run_bench(
    runner: StreamRunner,
    *,
    json_mode: bool = False,
    groups: Sequence[LaneGroup] = (),
    report: str | None = None,
    gates: Gates = NO_GATES,
) -> int:
    """Run every stream of ``runner`` at once (one that fails never stops the others), then the figures; with
    lanes, their comparison, each lane pooled over the copies of its source."""
    sessions = list(runner.sessions)
    print(f"dgtui bench: {len(sessions)} concurrent streams on {runner.backend.describe()}", file=sys.stderr)
    try:
        await asyncio.gather(*(runner.run(s) for s in sessions))
    finally:
        await runner.close()
    rows = []
    pooled = {"latency": Series(), "final_latency": Series(), "end_of_turn": Series()}
    ttfts = []
    for session in sessions:
        m = session.state.metrics
        lat, fin, eot = m.latency.summary(), m.final_latency.summary(), m.end_of_turn.summary()
        rows.append(
            [
                session.name,
                format_ms(m.ttft),
                format_ms(lat.p50),
                format_ms(lat.p95),
                format_ms(lat.p99),
                format_ms(lat.max),
                format_ms(fin.p50),
                format_ms(eot.p50),
                f"{m.interims_per_audio_second:.1f}",
                str(m.corrections),
                "ok" if session.state.clean else (session.state.connection.error or "failed")[:40],
            ]
        )
        for key in pooled:
            pooled[key].merge(getattr(m, key))
        if m.ttft is not None:
            ttfts.append(m.ttft)
    all_lat, all_fin, all_eot = (pooled[k].summary() for k in ("latency", "final_latency", "end_of_turn"))
    ttft = summarize(ttfts)
    rows.append(
        [
            "ALL",
            format_ms(ttft.p50),
            format_ms(all_lat.p50),
            format_ms(all_lat.p95),
            format_ms(all_lat.p99),
            format_ms(all_lat.max),
            format_ms(all_fin.p50),
            format_ms(all_eot.p50),
            "",
            "",
            f"{sum(s.state.clean for s in sessions)}/{len(sessions)} ok",
        ]
    )
    header = [
        "stream",
        "ttft ms",
        "lat p50",
        "lat p95",
        "lat p99",
        "lat max",
        "final p50",
        "eot p50",
        "int/s",
        "corr",
        "status",
    ]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    out = sys.stderr if json_mode else sys.stdout
    for row in [header, *rows]:
        print(
            "  ".join(
                str(c).rjust(w) if 0 < i < 10 else str(c).ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            ),
            file=out,
        )
    flux = [session for session in sessions if session.state.flux]
    if flux:
        print_turn_table(flux, out)
    print_usage_table(sessions, out)
    total = run_cost((session.state.usage(), session.state.setup.prices) for session in sessions)
    pooled_groups = copies_of(groups)
    comparisons = [comparison_of(copies, sessions, runner.duration) for copies in pooled_groups]
    for comparison in comparisons:
        print_comparison(comparison, out)
    if report:
        write_report(report, comparisons, [copies[0] for copies in pooled_groups], sessions)  # the first copies
    rows = subjects(comparisons, groups, sessions, runner.duration)
    passed = check_gates(gates, rows)
    if json_mode:
        print(
            json.dumps(
                {
                    "streams": len(sessions),
                    "ttft_s": ttft.as_dict(),
                    "latency_s": all_lat.as_dict(),
                    "final_latency_s": all_fin.as_dict(),
                    "end_of_turn_s": all_eot.as_dict(),
                    "clean": sum(s.state.clean for s in sessions),
                    "cost_usd": round(total.so_far, 6) if total.priced else None,
                    "cost_per_hour_usd": round(total.per_hour, 4) if total.priced else None,
                    **({"turns": pooled_turns(flux)} if flux else {}),
                    **({"comparisons": [c.as_dict() for c in comparisons]} if comparisons else {}),
                    **({"gates": passed} if gates.gates else {}),
                },
                default=lambda v: None,
            )
        )
    if not passed:
        return GATE_FAILED
    return 0 if all(s.state.clean for s in sessions) else 1


async def run_ramp_command(
    runner: StreamRunner,
    new_source: Callable[[], Any],
    options: dict[str, Any],
    backend: Any,
    conditions: Conditions,
    plan: RampPlan,
    *,
    json_mode: bool = False,
) -> int:
    """The ramp, each step said as it ends, then the ceiling, the refusal and the slot check; exit 0 when a
    ceiling was found (or none up to ``--ramp-max``), 1 when the first step already failed."""
    say = (lambda line: print(line, file=sys.stderr, flush=True)) if json_mode else print
    step = f"+{plan.step}" if plan.step else "doubling"
    say(f"dgtui bench --ramp on {runner.backend.describe() if backend is None else backend.describe()}: "
        f"from {plan.start} stream{'s' if plan.start != 1 else ''}, {step}, up to {plan.maximum}; each step held "
        f"{plan.hold:g} s; limit: interim latency p95 {plan.max_p95 * 1000:.0f} ms")  # fmt: skip
    ramp = Ramp(runner, new_source, options, backend, conditions, report=say)
    try:
        result = await run_ramp(ramp, plan)
    finally:
        await runner.close()
    for line in ramp_lines(result, plan):
        say(line)
    states = [session.state for session in runner.sessions]
    audio = sum(state.usage().billed_s for state in states)
    total = run_cost((state.usage(), state.setup.prices) for state in states)
    line = f"the ramp streamed {audio:.0f} s of audio"
    if total.priced:
        prices = states[0].setup.prices
        line += f": {format_usd(total.so_far)} (prices: {prices.origin}, as of {prices.as_of})"
        if total.unpriced:
            line += f" ({total.unpriced} stream{'s' if total.unpriced != 1 else ''} without a price left out)"
    say(line)
    if json_mode:
        print(json.dumps({**result.as_dict(), "audio_s": round(audio, 1),
                          "cost_usd": round(total.so_far, 6) if total.priced else None}))  # fmt: skip
    return 0 if result.ceiling or result.stopped_by == "maximum" else 1


def ramp_lines(result: RampResult, plan: RampPlan) -> list[str]:
    """What the ramp found, in words."""
    if result.stopped_by == "maximum":
        lines = [f"ceiling: none up to {plan.maximum} concurrent streams (raise --ramp-max to go further)"]
    else:
        why = {"latency": f"interim latency p95 passed {plan.max_p95 * 1000:.0f} ms at the next step",
               "refused": "the next stream's handshake was refused",
               "failed": "streams failed at the next step"}[result.stopped_by]  # fmt: skip
        lines = [f"ceiling: {result.ceiling} concurrent stream{'s' if result.ceiling != 1 else ''} ({why})"]
    refusal = result.refusal
    if refusal is not None:
        status = f"HTTP {refusal.status}" if refusal.status else "no HTTP answer"
        dg_error = f" · dg-error: {refusal.dg_error}" if refusal.dg_error else ""
        request = f" · request id {refusal.request_id}" if refusal.request_id else " · no request id"
        lines.append(f"refused: {status}{dg_error}{request}")
    slots = result.slots
    if slots is not None and slots.freed:
        lines.append(
            f"closed streams free their slots: yes (one closed at the ceiling, a new one opened "
            f"{slots.after_s:.2f} s later, {slots.attempts} attempt{'s' if slots.attempts != 1 else ''})"
        )
    elif slots is not None:
        lines.append(f"closed streams free their slots: NO (still refused {slots.after_s:.1f} s after one closed, "
                     f"{slots.attempts} attempts): stale slots count against the limit")  # fmt: skip
    return lines


def pooled_turns(sessions: list[Any]) -> dict[str, Any]:
    """Flux streams' turn figures pooled: end of turn in audio and wall time, eager to end, resumed rate."""
    pooled = TurnMetrics()
    for session in sessions:
        turns = session.state.turns.metrics
        for name in ("eot_audio", "eot_wall", "eager_to_eot", "start_of_turn", "update_cadence", "eot_confidence"):
            getattr(pooled, name).merge(getattr(turns, name))
        pooled.events.update(turns.events)
        pooled.triggers.update(turns.triggers)
    audio = sum(session.state.metrics.audio_seconds for session in sessions)
    return pooled.summary(audio)
