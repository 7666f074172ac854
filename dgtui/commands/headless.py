"""``dgtui stream``: sessions without a UI, for scripts.

Plain output prints transcripts like Deepgram's getting-started examples (finals; interims with
``--interim``), prefixed with the stream name when there are several. ``--json`` prints every server message
exactly as received, one per line, and dgtui's own events as lines whose ``type`` starts with ``dgtui.``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from dgtui.protocol.flux import END_OF_TURN, TurnInfo
from dgtui.protocol.messages import Results
from dgtui.protocol.secrets import redact
from dgtui.session.compare import Comparison, LaneGroup, LaneRow, compare_lanes, lane_row, shown_columns
from dgtui.session.encoding import event_line
from dgtui.session.events import Event, MessageReceived, SessionError, SourceOpened, SourceTitle
from dgtui.session.export import write_atomic
from dgtui.session.gates import Gate, figures, judge, junit_xml
from dgtui.session.report import markdown
from dgtui.session.rundiff import Subject, manifest_of, run_block
from dgtui.session.runner import StreamRunner
from dgtui.session.segments import align
from dgtui.session.session import LiveSession
from dgtui.session.state import SessionState
from dgtui.session.stats import format_ms
from dgtui.session.usage import DEFAULT_PRICES, NoPrice, cost_of, format_usd, usage_of


@dataclass
class Printer:
    """Writes events as they come. One per run, shared by its sessions."""

    out: TextIO
    json_mode: bool
    show_interim: bool
    prefix: bool

    def __call__(self, event: Event) -> None:
        if self.json_mode:
            self._json(event)
        else:
            self._plain(event)

    def _json(self, event: Event) -> None:
        if isinstance(event, MessageReceived):
            self.out.write(event.raw.rstrip("\n") + "\n")  # exactly as received
        else:
            self._line(event_line(event))
        self.out.flush()

    def _line(self, data: dict[str, Any]) -> None:
        self.out.write(redact(json.dumps(data, separators=(",", ":"))) + "\n")

    def _plain(self, event: Event) -> None:
        head = f"[{event.name}] " if self.prefix else ""
        if isinstance(event, MessageReceived) and isinstance(event.message, Results):
            result = event.message
            text = result.transcript
            if not text:
                return
            channel = f"(ch {result.channel_index[0]}) " if result.channel_index and result.channel_index[1] > 1 else ""
            if result.is_final:
                self.out.write(f"{head}{channel}{text}\n")
            elif self.show_interim:
                self.out.write(f"{head}{channel}~ {text}\n")
            self.out.flush()
        elif isinstance(event, MessageReceived) and isinstance(event.message, TurnInfo):
            self._turn(head, event.message)
        elif isinstance(event, SessionError):
            kind = "error" if event.fatal else "warning"  # a warning: the stream goes on
            print(f"dgtui: {head}{kind}: {event.message}", file=sys.stderr, flush=True)
        elif isinstance(event, SourceTitle):
            print(f"dgtui: {head}now playing: {event.title}", file=sys.stderr, flush=True)
        elif isinstance(event, SourceOpened):
            print(f"dgtui: {head}source: {event.kind}: {event.reason}", file=sys.stderr, flush=True)

    def _turn(self, head: str, turn: TurnInfo) -> None:
        """Flux: each turn once, at EndOfTurn (with ``--interim``, its updates and eager ends as it goes)."""
        if turn.event == END_OF_TURN:
            self.out.write(f"{head}{turn.transcript}\n" if turn.transcript else "")
        elif self.show_interim and turn.transcript:
            mark = {"EagerEndOfTurn": "? ", "TurnResumed": "↻ "}.get(turn.event, "~ ")
            self.out.write(f"{head}{mark}{turn.transcript}\n")
        self.out.flush()


def summary(session: LiveSession, month_streams: int = 1) -> dict[str, Any]:
    state = session.state
    usage = usage_of(state)
    metrics = state.metrics.summary()
    latency = metrics["latency"]
    return {
        "name": session.name,
        "request_id": state.request_id,
        "audio_seconds": metrics["audio_seconds"],
        "ttft_s": metrics["ttft_s"],
        "latency": {"p50": latency["p50"], "p95": latency["p95"], "max": latency["max"]},
        "final_latency": metrics["final_latency"],
        "end_of_turn": metrics["end_of_turn"],
        "interims_per_audio_second": metrics["interims_per_audio_second"],
        "interim_corrections": metrics["interim_corrections"],
        "messages": metrics["messages"],
        "reconnects": state.reconnects,
        "request_ids": list(state.request_ids),
        "gaps_s": [round(gap, 3) for gap in state.gaps],
        "audio_resent_s": round(state.audio_resent, 3),
        "audio_lost_s": round(state.audio_lost, 3),
        "usage": usage.as_dict(),
        "cost": cost_of(usage, state.prices).as_dict(month_streams),
        "source_kind": state.source_kind,
        "source_reason": state.source_reason,
        "close_code": state.close_code,
        "clean": state.clean,
        "error": state.error,
        **({"api": "v2", "turns": state.turns.metrics.summary(state.metrics.audio_seconds)} if state.flux else {}),
    }


def print_summary_table(sessions: Sequence[LiveSession], out: TextIO) -> None:
    rows = [("stream", "audio s", "ttft ms", "lat p50", "lat p95", "lat max", "status")]
    for s in sessions:
        d = summary(s)
        lat = d["latency"]
        state = s.state
        status = "ok" if state.clean else (state.error or f"closed {state.close_code}")
        if state.reconnects:
            status += (
                f" ({state.reconnects} reconnect{'s' if state.reconnects != 1 else ''}, {state.audio_lost:.1f} s lost)"
            )
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


def month_streams(sessions: Sequence[LiveSession]) -> int:
    """How many concurrent streams the monthly projection is for: [prices] streams, else the run's."""
    return (sessions[0].state.prices if sessions else DEFAULT_PRICES).month_streams(len(sessions))


def print_usage_table(sessions: Sequence[LiveSession], out: TextIO) -> None:
    """Usage and cost: audio billed (sent again after drops apart), connection time, add-ons; the cost so far,
    per hour and per month at N concurrent streams. No price, no figure: the reason instead."""
    if not sessions:
        return
    streams = month_streams(sessions)
    usages = [(s, usage_of(s.state)) for s in sessions]
    priced = [(s, usage, cost_of(usage, s.state.prices)) for s, usage in usages]
    if all(usage.billed_by == "local" for _, usage, _ in priced):
        print("\ncost: none (the local engine is not billed)", file=out)
        return
    print(f"\nusage and cost · {sessions[0].state.prices.describe()}", file=out)
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


def print_turn_table(sessions: Sequence[LiveSession], out: TextIO) -> None:
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


def heard_whole(duration: float | None) -> Callable[[SessionState], bool]:
    """Whether a stream heard its whole source (then the whole reference counts): it ended cleanly, and no
    --duration cut it short."""
    return lambda state: state.clean and duration is None


def comparison_of(
    group: LaneGroup | Sequence[LaneGroup], sessions: Sequence[LiveSession], duration: float | None
) -> Comparison:
    """A lane group's figures (or its copies', pooled per lane): each lane judged on the same audio (and against
    the reference, if any)."""
    return compare_lanes(group, [s.state for s in sessions], complete=heard_whole(duration))


GATE_FAILED = 3  # the exit status when an --assert fails
COPY = re.compile(r"#\d+$")  # the mark of a copy's name ("talk#2")


def copies_of(groups: Sequence[LaneGroup]) -> list[list[LaneGroup]]:
    """Lane groups of the same source and lanes together (``dgtui bench --streams N`` makes N of each)."""
    pooled: dict[tuple[str, tuple[str, ...]], list[LaneGroup]] = {}
    for group in groups:
        key = (group.source, tuple(COPY.sub("", group.lane_name(name)) for name in group.streams))
        pooled.setdefault(key, []).append(group)
    return list(pooled.values())


def write_report(
    path: str, comparisons: Sequence[Comparison], groups: Sequence[LaneGroup], sessions: Sequence[LiveSession]
) -> None:
    """``--report``: every lane group's comparison as Markdown, written whole (a failure is said, not raised)."""
    if not comparisons:
        print("dgtui: --report needs lanes (--lane ... --lane ...): nothing to compare", file=sys.stderr)
        return
    by_name = {session.name: session.state for session in sessions}
    parts, everyone = [], []
    for comparison, group in zip(comparisons, groups, strict=True):  # same order
        states = [by_name[name] for name in group.streams if name in by_name]
        segments = align(states, group.reference, group.truth, complete=lambda state: state.clean)
        subjects = [Subject(row.name, figures(row), row.transcript, manifest_of(state, group.reference))
                    for row, state in zip(comparison.rows, states, strict=True)]  # fmt: skip
        everyone += subjects
        parts.append(markdown(comparison, group.reference, segments, subjects))
    text = "\n".join(parts) + "\n" + run_block(everyone)  # what dgtui diff reads back
    try:
        write_atomic(Path(path).expanduser(), text)
    except OSError as exc:
        print(f"dgtui: cannot write the report {path}: {exc.strerror or exc}. Check the directory.", file=sys.stderr)
        return
    print(f"dgtui: comparison written to {path}", file=sys.stderr)


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


@dataclass(frozen=True)
class Gates:
    """The run's assertions (``--assert``) and where their JUnit XML goes (``--junit``)."""

    gates: Sequence[Gate] = ()
    junit: str | None = None


NO_GATES = Gates()


def subjects(
    comparisons: Sequence[Comparison], groups: Sequence[LaneGroup], sessions: Sequence[LiveSession],
    duration: float | None,
) -> list[LaneRow]:  # fmt: skip
    """What gates judge: each lane and each stream judged on a reference (rows of their comparisons), then
    every other stream, its copies pooled (``dgtui bench --streams N``)."""
    judged = {name for group in groups for name in group.streams}
    others: dict[str, list[Any]] = {}
    for session in sessions:
        if session.name not in judged:
            others.setdefault(COPY.sub("", session.name), []).append(session.state)
    return [row for comparison in comparisons for row in comparison.rows] + [
        lane_row(name, states, None, heard_whole(duration)) for name, states in others.items()
    ]


def check_gates(gates: Gates, rows: Sequence[LaneRow], json_out: Printer | None = None) -> bool:
    """Judge the assertions, say every verdict (stderr; in --json a ``dgtui.Gates`` line too), write the JUnit
    XML; True when all passed (or there were none)."""
    if not gates.gates:
        return True
    verdicts = judge(gates.gates, rows)
    failed = sum(not verdict.passed for verdict in verdicts)
    print(f"\ngates: {len(verdicts)} checked, {failed} failed", file=sys.stderr)
    for verdict in verdicts:
        print(f"  {verdict.line()}", file=sys.stderr)
    if json_out is not None:
        json_out._line({"type": "dgtui.Gates", "passed": not failed, "assertions": [
            {"assert": v.gate.text, "subject": v.subject, "metric": v.gate.metric, "op": v.gate.op,
             "limit": v.gate.value, "measured": v.measured, "passed": v.passed, "note": v.note or None}
            for v in verdicts]})  # fmt: skip
    if gates.junit:
        try:
            write_atomic(Path(gates.junit).expanduser(), junit_xml(verdicts))
        except OSError as exc:
            print(f"dgtui: cannot write {gates.junit}: {exc.strerror or exc}. Check the directory.", file=sys.stderr)
    return not failed


def print_rows(rows: Sequence[Sequence[str]], out: TextIO, left: Sequence[int] = (0,)) -> None:
    """A plain table: columns as wide as their widest cell, the ``left`` ones flush left, the rest right."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = (c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        print("  ".join(cells), file=out)


async def run_sessions(
    runner: StreamRunner,
    *,
    json_mode: bool = False,
    show_interim: bool = False,
    out: TextIO | None = None,
    groups: Sequence[LaneGroup] = (),
    report: str | None = None,
    gates: Gates = NO_GATES,
) -> int:
    """Run every session of ``runner`` to its end, printing as they go; the exit status (3: an assertion
    failed)."""
    out = out or sys.stdout
    sessions = list(runner.sessions)
    printer = Printer(out, json_mode, show_interim, prefix=len(sessions) > 1)
    for session in sessions:
        session.state.listeners.append(printer)
    print(f"dgtui: backend: {runner.backend.describe()}", file=sys.stderr, flush=True)
    if runner.record_dir is not None:
        print(f"dgtui: recording to {runner.record_dir}", file=sys.stderr, flush=True)
    loop = asyncio.get_running_loop()
    interrupted = False

    def on_interrupt() -> None:
        nonlocal interrupted
        if interrupted:
            raise KeyboardInterrupt
        interrupted = True
        print(
            "dgtui: stopping: CloseStream sent, waiting for the last results (Ctrl-C again to quit now)",
            file=sys.stderr,
            flush=True,
        )
        for session in sessions:
            session.stop()

    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, on_interrupt)
    try:
        results = await asyncio.gather(*(runner.run(s) for s in sessions), return_exceptions=True)
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGINT)
        await runner.close()
    for session, result in zip(sessions, results, strict=True):
        if isinstance(result, BaseException):  # the runner turns failures into the stream's error: this is a bug
            print(f"dgtui: {session.name}: internal error: {type(result).__name__}: {result}", file=sys.stderr)
    comparisons = [comparison_of(group, sessions, runner.duration) for group in groups]
    if json_mode:
        printer._line({"type": "dgtui.Summary", "streams": [summary(s, month_streams(sessions)) for s in sessions]})
        for comparison in comparisons:
            printer._line(comparison.as_dict())
        out.flush()
    else:
        print_summary_table(sessions, sys.stderr)
        for comparison in comparisons:
            print_comparison(comparison, sys.stderr)
    if report:
        write_report(report, comparisons, groups, sessions)
    rows = subjects(comparisons, groups, sessions, runner.duration)
    passed = check_gates(gates, rows, printer if json_mode else None)
    out.flush()
    failed = any(isinstance(result, BaseException) for result in results)
    if not passed:
        return GATE_FAILED
    return 0 if all(s.state.clean for s in sessions) and not failed else 1
