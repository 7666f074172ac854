"""The capacity finder (``dgtui bench SOURCE --ramp``): concurrency raised step by step until latency degrades or
the server refuses, then whether a closed stream frees its slot.

Each step opens more streams of the same looping source beside those already running, waits for their
handshakes, and measures the interim latency of every running stream over the step's window (the difference of
their latency histograms, so a stream's early seconds count in its own step only). It stops at the first step
whose p95 passes the limit, whose handshakes are refused (the HTTP status, ``dg-error`` and request id are kept:
429 for too many streams, 402 for a spent balance) or whose streams fail; or at the largest step. After a
refusal it closes one stream and opens another at the ceiling: a server that still refuses keeps stale slots
(deepgram-python-sdk #726 asks exactly this).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from dgtui.audio.base import AudioSource
from dgtui.audio.conditions import NO_CONDITIONS, Conditions
from dgtui.live.backend import Backend
from dgtui.live.runner import StreamRunner
from dgtui.live.session import LiveSession
from dgtui.state.connection import Refusal
from dgtui.state.events import State
from dgtui.state.stats import EMPTY, Series, Summary, summarize

POLL = 0.05  # seconds between looks at a stream that is connecting


@dataclass(frozen=True)
class RampPlan:
    """How the ramp climbs: from ``start`` streams, ``step`` more each time (0: doubling), up to ``maximum``;
    each level held ``hold`` seconds; stopped when the window's interim latency p95 passes ``max_p95``."""

    start: int = 1
    step: int = 0
    maximum: int = 64
    max_p95: float = 1.0
    hold: float = 15.0
    slot_wait: float = 10.0  # after a refusal: how long a reopened stream keeps trying for a freed slot

    def levels(self) -> Iterator[int]:
        level = max(1, self.start)
        while level < self.maximum:
            yield level
            level = level + self.step if self.step else level * 2
        yield self.maximum


@dataclass(frozen=True)
class Step:
    streams: int  # asked for at this level
    running: int  # streaming when the window closed
    latency: Summary  # interim latency over the window, every running stream pooled
    refused: int = 0
    failed: int = 0  # streams that ended with an error other than a refused handshake
    verdict: str = "ok"  # "ok", "latency", "refused", "failed"

    def as_dict(self) -> dict[str, Any]:
        return {"streams": self.streams, "running": self.running, "refused": self.refused, "failed": self.failed,
                "latency_p50_s": _finite(self.latency.p50), "latency_p95_s": _finite(self.latency.p95),
                "latency_count": self.latency.count, "verdict": self.verdict}  # fmt: skip


@dataclass(frozen=True)
class SlotCheck:
    """One stream closed at the ceiling, another opened: whether it got the slot, after how long and tries."""

    freed: bool
    after_s: float  # from the closed stream's end to the new stream's handshake (or to giving up)
    attempts: int
    refusal: Refusal | None = None  # the last refusal, when it was not freed


@dataclass
class RampResult:
    steps: list[Step] = field(default_factory=list)
    ceiling: int = 0  # the most streams that ran within the limit
    stopped_by: str = "maximum"  # "latency", "refused", "failed" or "maximum" (no ceiling found up to it)
    refusal: Refusal | None = None
    refusal_text: str = ""  # the refused stream's error, as it said it
    slots: SlotCheck | None = None

    def as_dict(self) -> dict[str, Any]:
        refusal = self.refusal
        return {
            "bench": "ramp",
            "ceiling": self.ceiling,
            "stopped_by": self.stopped_by,
            "refusal": None if refusal is None else {"status": refusal.status, "dg_error": refusal.dg_error,
                                                     "request_id": refusal.request_id, "text": self.refusal_text},
            "slots_freed": None if self.slots is None else self.slots.freed,
            "slot_check": None if self.slots is None else {"freed": self.slots.freed, "after_s": round(
                self.slots.after_s, 3), "attempts": self.slots.attempts},
            "steps": [step.as_dict() for step in self.steps],
        }  # fmt: skip


def _finite(value: float) -> float | None:
    return None if value != value else round(value, 4)  # NaN: nothing measured


def window(before: Counter[int], after: Counter[int]) -> Summary:
    """The latency summary of what a histogram gained between two looks (in its buckets' resolution)."""
    gained = after - before
    if not gained:
        return EMPTY
    return summarize(bucket * Series.RESOLUTION for bucket, count in sorted(gained.items()) for _ in range(count))


@dataclass
class Ramp:
    """One ramp's streams: the runner that opens them and the source each new one reads."""

    runner: StreamRunner
    new_source: Callable[[], AudioSource]
    options: dict[str, Any]
    backend: Backend
    conditions: Conditions = NO_CONDITIONS
    report: Callable[[str], None] = lambda line: None
    tasks: dict[str, asyncio.Task[bool]] = field(default_factory=dict)

    def running(self) -> list[LiveSession]:
        return [s for s in self.runner.sessions if s.state.connection.phase in (State.STREAMING, State.PAUSED)]

    async def open(self) -> LiveSession:
        """A new stream, once it streams or has failed (bounded by its connect timeout)."""
        session = self.runner.add(self.new_source(), self.options, self.backend, conditions=self.conditions)
        self.tasks[session.name] = asyncio.create_task(self.runner.run(session), name=f"ramp:{session.name}")
        deadline = time.monotonic() + session.config.connect_timeout + 35  # the local engine may load a model
        while time.monotonic() < deadline:
            if session.state.connection.phase in (State.STREAMING, State.PAUSED, State.ERROR, State.CLOSED):
                break
            await asyncio.sleep(POLL)
        return session

    async def close(self, session: LiveSession) -> None:
        session.stop()
        task = self.tasks.get(session.name)
        if task is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(task), session.config.close_timeout + 5)

    async def stop_all(self) -> None:
        for session in self.runner.sessions:
            session.stop()
        pending = [task for task in self.tasks.values() if not task.done()]
        if pending:
            _, late = await asyncio.wait(pending, timeout=15)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=5)


async def run_ramp(ramp: Ramp, plan: RampPlan) -> RampResult:
    """Climb until a step passes the limit, is refused or fails; then check that a closed stream frees its slot."""
    result = RampResult()
    try:
        for level in plan.levels():
            step = await _step(ramp, plan, level)
            result.steps.append(step)
            ramp.report(_step_line(step, plan))
            if step.verdict == "ok":
                result.ceiling = step.running
                continue
            result.stopped_by = step.verdict
            if step.verdict == "latency":
                result.ceiling = result.steps[-2].running if len(result.steps) > 1 else 0
            else:
                result.ceiling = step.running
            if step.verdict == "refused":
                refused = next(s for s in reversed(ramp.runner.sessions) if s.state.connection.refusal is not None)
                result.refusal, result.refusal_text = (
                    refused.state.connection.refusal,
                    refused.state.connection.error or "",
                )
                result.slots = await _slot_check(ramp, plan)
            break
    finally:
        await ramp.stop_all()
    return result


async def _step(ramp: Ramp, plan: RampPlan, level: int) -> Step:
    refused = failed = 0
    while len(ramp.running()) < level:
        session = await ramp.open()
        if session.state.connection.phase in (State.STREAMING, State.PAUSED):
            continue
        if session.state.connection.refusal is not None:
            refused += 1
        else:
            failed += 1
        break  # the server said no (or the stream broke): this level cannot be reached
    running = ramp.running()
    if refused or failed:
        return Step(level, len(running), EMPTY, refused, failed, "refused" if refused else "failed")
    before = {s.name: Counter(s.state.metrics.latency.buckets) for s in running}
    await asyncio.sleep(plan.hold)
    latency: Counter[int] = Counter()
    now_running = ramp.running()
    for session in now_running:
        latency.update(Counter(session.state.metrics.latency.buckets) - before.get(session.name, Counter()))
    summary = window(Counter(), latency)
    broken = sum(1 for s in running if s not in now_running)
    if broken:
        return Step(level, len(now_running), summary, failed=broken, verdict="failed")
    verdict = "latency" if summary.count and summary.p95 > plan.max_p95 else "ok"
    return Step(level, len(now_running), summary, verdict=verdict)


async def _slot_check(ramp: Ramp, plan: RampPlan) -> SlotCheck | None:
    """At the ceiling: close one stream, open another until it gets in or ``slot_wait`` passes."""
    running = ramp.running()
    if not running:
        return None
    await ramp.close(running[0])
    closed_at = time.monotonic()
    attempts, last = 0, None
    while True:
        attempts += 1
        session = await ramp.open()
        if session.state.connection.phase in (State.STREAMING, State.PAUSED):
            return SlotCheck(True, time.monotonic() - closed_at, attempts)
        last = session.state.connection.refusal
        if last is None or time.monotonic() - closed_at >= plan.slot_wait:
            return SlotCheck(False, time.monotonic() - closed_at, attempts, last)
        await asyncio.sleep(1.0)


def _step_line(step: Step, plan: RampPlan) -> str:
    p50, p95 = step.latency.p50 * 1000, step.latency.p95 * 1000
    figures = f"latency p50 {p50:.0f} ms · p95 {p95:.0f} ms" if step.latency.count else "no interim results"
    verdict = {"ok": "ok", "latency": f"p95 over {plan.max_p95 * 1000:.0f} ms",
               "refused": f"{step.refused} refused", "failed": f"{step.failed} failed"}[step.verdict]  # fmt: skip
    return f"  {step.streams:>3} streams ({step.running} running) · {figures} · {verdict}"
