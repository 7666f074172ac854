"""``dgtui stream``: every stream of a run to its end, printed as it goes (:mod:`~dgtui.headless.printer`), then
the summary tables, the lanes' comparisons, the report and the gates; the exit status says how it went.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from dgtui.headless.printer import Printer
from dgtui.headless.tables import month_streams, print_comparison, print_summary_table, summary
from dgtui.judge.alignment import align
from dgtui.judge.compare import Comparison, LaneGroup, LaneRow, compare_lanes, lane_row
from dgtui.judge.gates import Gate, figures, judge, junit_xml
from dgtui.judge.html_report import LaneGroupReport, html_report
from dgtui.judge.report import markdown
from dgtui.judge.rundiff import Subject, manifest_of, run_block
from dgtui.live.runner import StreamRunner
from dgtui.live.session import LiveSession
from dgtui.recordings.export import write_atomic
from dgtui.state.stream import StreamState


def heard_whole(duration: float | None) -> Callable[[StreamState], bool]:
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
    """``--report``: every lane group's comparison as Markdown (or HTML with charts, for a ``.html`` path), written
    whole (a failure is said, not raised)."""
    if not comparisons:
        print("dgtui: --report needs lanes (--lane ... --lane ...): nothing to compare", file=sys.stderr)
        return
    by_name = {session.name: session.state for session in sessions}
    parts, everyone, reports = [], [], []
    for comparison, group in zip(comparisons, groups, strict=True):  # same order
        states = [by_name[name] for name in group.streams if name in by_name]
        segments = align(states, group.reference, group.truth, complete=lambda state: state.clean)
        subjects = [Subject(row.name, figures(row), row.transcript, manifest_of(state, group.reference))
                    for row, state in zip(comparison.rows, states, strict=True)]  # fmt: skip
        everyone += subjects
        parts.append(markdown(comparison, group.reference, segments, subjects))
        reports.append(LaneGroupReport(comparison, states, segments, subjects))
    if path.lower().endswith((".html", ".htm")):
        text = html_report(reports)  # its charts load matplotlib only now
    else:
        text = "\n".join(parts) + "\n" + run_block(everyone)  # what dgtui diff reads back
    try:
        write_atomic(Path(path).expanduser(), text)
    except OSError as exc:
        print(f"dgtui: cannot write the report {path}: {exc.strerror or exc}. Check the directory.", file=sys.stderr)
        return
    print(f"dgtui: comparison written to {path}", file=sys.stderr)


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
        session.state.subscribe(printer)
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
