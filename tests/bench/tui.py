"""The app under load, headless: 16 scripted streams each fed 20 messages a second for 60 s, then on to 100,000
messages; and the real ``dgtui`` demo's first frame in a pseudo-terminal.

``python -m tests.bench.tui [--seconds 60] [--streams 16] [--rate 20] [--total 100000]``

* load: every message is a raw JSON frame decoded and applied by the real session code (what a live session
  does per frame), in the app's own event loop, while the app renders at its 10 Hz; the shown tab moves
  between the Overview and stream tabs every 10 s;
* CPU: process CPU time over wall time (share of one core), for the whole process (ingest and rendering);
* loop lag: how late a 10 ms sleep wakes (p50 / p99 / max);
* memory: RSS and Python's allocated blocks at checkpoints up to ``--total`` messages, fed as fast as the app
  takes them after the timed phase; growth between the last checkpoints shows whether it stays bounded;
* first frame: ``python -m dgtui`` (the demo, no key) in a pty, time until the Overview is drawn.

Targets: CPU <= 35 % of one core; loop lag p99 <= 50 ms; memory flat once panes are full; first frame < 1.5 s.
Headless rendering skips the terminal's own drawing cost.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import os
import sys
import time
from collections.abc import Iterator

from dgtui.recordings.player import PlayedSession, PlayerRunner, Step
from dgtui.state.events import AudioSent
from dgtui.tui.app import DgtuiApp
from tests.bench.report import emit_json, percentile, print_table
from tests.support.scenes import COUNCIL, LOCAL_URL, OPTIONS, WEATHER
from tests.support.script import connect, conversation
from tests.support.terminal import Terminal

SENTENCES = [*WEATHER, *COUNCIL, "Yes.", "Could you repeat the account number please?", "Thanks, one moment."]


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def message_steps(offset: int) -> Iterator[Step]:
    """An endless conversation (a different phase per stream), message steps only."""
    sentences = itertools.cycle(SENTENCES[offset % len(SENTENCES) :] + SENTENCES[: offset % len(SENTENCES)])
    return conversation(sentences, speakers=[0, 1] if offset % 2 else None)


class Feed:
    def __init__(self, sessions: list[PlayedSession]) -> None:
        self.sessions = sessions
        self.scripts = [message_steps(i) for i in range(len(sessions))]
        self.count = 0

    def round(self, now: float) -> None:
        """One message to every stream."""
        for session, script in zip(self.sessions, self.scripts, strict=True):
            step = next(script)
            for event in step.events:  # what a live session applies per frame: the message, then the audio
                session.state.apply(event, now)  # type: ignore[arg-type]
            session.state.apply(AudioSent(session.name, 3200, max(session.state.audio.cursor, step.at), -20.0), now)
        self.count += len(self.sessions)


async def paced(feed: Feed, rate: float, seconds: float) -> tuple[float, float]:
    """Feed a round to every stream ``rate`` times a second for ``seconds``; (wall, CPU) seconds it took."""
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    next_round = start_wall
    while time.perf_counter() - start_wall < seconds:
        feed.round(time.monotonic())
        next_round += 1.0 / rate
        await asyncio.sleep(max(0.0, next_round - time.perf_counter()))
    return time.perf_counter() - start_wall, time.process_time() - start_cpu


async def measure_lag(lags: list[tuple[str, float]], stop: asyncio.Event, shown: list[str]) -> None:
    while not stop.is_set():
        due = time.perf_counter() + 0.010
        await asyncio.sleep(0.010)
        lags.append((shown[0], time.perf_counter() - due))


async def load(streams: int, rate: float, seconds: float, total: int, view: str = "cycle",
               plots: bool = False) -> dict[str, object]:  # fmt: skip
    sessions = [
        PlayedSession(f"stream-{i + 1:02d}", [connect(0.0, LOCAL_URL, f"req-{i:04d}")], source="bench", options=OPTIONS)
        for i in range(streams)
    ]
    for session in sessions:
        session.advance(0.0)
    app = DgtuiApp(PlayerRunner(sessions), backend_label="bench", run_streams=False)
    feed = Feed(sessions)
    figures: dict[str, object] = {}
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause(0.5)
        lags: list[tuple[str, float]] = []
        shown = ["overview"]
        stop = asyncio.Event()
        lag_task = asyncio.create_task(measure_lag(lags, stop, shown))
        views = {"cycle": ["overview", *list(app.panes)[:3]], "overview": ["overview"], "stream": list(app.panes)[:1]}[
            view
        ]
        interval = 1.0 / rate
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        next_round = start_wall
        view_index = -1
        while (elapsed := time.perf_counter() - start_wall) < seconds:
            if int(elapsed // 10) != view_index:
                view_index = int(elapsed // 10)
                app.tabs.active = views[view_index % len(views)]
                shown[0] = "overview" if app.tabs.active == "overview" else "stream"
                await pilot.pause()
                stream_view = app.current_view() if shown[0] == "stream" else None
                if plots and stream_view is not None and not stream_view.showing_plots:
                    stream_view.toggle_plots()  # the latency plot drawn under the transcript as it moves
            feed.round(time.monotonic())
            next_round += interval
            await asyncio.sleep(max(0.0, next_round - time.perf_counter()))
        wall, cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
        stop.set()
        await lag_task
        every = [lag for _, lag in lags]
        figures.update(
            timed_messages=feed.count,
            messages_per_second=feed.count / wall,
            cpu_share=cpu / wall,
            lag_p50_ms=percentile(every, 50) * 1000,
            lag_p99_ms=percentile(every, 99) * 1000,
            lag_max_ms=max(every) * 1000,
            lag_p99_overview_ms=percentile([lag for v, lag in lags if v == "overview"], 99) * 1000,
            lag_p99_stream_ms=percentile([lag for v, lag in lags if v == "stream"], 99) * 1000,
        )
        checkpoints = []
        app.tabs.active = next(iter(app.panes))
        step = 20_000 if total >= 100_000 else max(1, total // 5)
        while feed.count < total:
            for _ in range(max(1, 320 // streams)):
                feed.round(time.monotonic())
            await asyncio.sleep(0.02)  # the app renders meanwhile
            if feed.count // step > len(checkpoints) or feed.count >= total:
                await pilot.pause(0.2)
                gc.collect()
                checkpoints.append((feed.count, rss_mb(), sys.getallocatedblocks()))
        figures["memory"] = checkpoints
        full = [s.state.transcript.lines.maxlen == len(s.state.transcript.lines) for s in sessions]
        figures["panes_full"] = sum(full)
    return figures


def first_frame(timeout: float = 20.0) -> dict[str, float]:
    """``python -m dgtui`` (demo, no key) in a pty: seconds to the first frame, and to exit after ``q``."""
    env = {k: v for k, v in os.environ.items() if k != "DEEPGRAM_API_KEY"}
    with Terminal([], env=env) as terminal:
        frame = terminal.read_until(b"Overview", timeout)
        time.sleep(3.0)  # let the streams start, then quit as a user would
        terminal.press(b"q")
        quit_at = time.perf_counter()
        status = terminal.wait(timeout)
        exited = time.perf_counter() - quit_at if status is not None else float("nan")
    return {"first_frame_s": frame if frame is not None else float("nan"), "quit_s": exited}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--streams", type=int, default=16)
    parser.add_argument("--rate", type=float, default=20.0, help="messages per second per stream")
    parser.add_argument("--view", choices=["cycle", "overview", "stream"], default="cycle", help="what is shown")
    parser.add_argument("--total", type=int, default=200_000, help="messages fed in all (memory is reported along)")
    parser.add_argument("--plots", action="store_true", help="stream tabs with their latency plot shown (g)")
    args = parser.parse_args()
    figures = asyncio.run(load(args.streams, args.rate, args.seconds, args.total, args.view, args.plots))
    launch = first_frame()
    print_table(
        f"dgtui app, {args.streams} streams x {args.rate:g} msg/s for {args.seconds:g} s (headless)",
        ["messages", "msg/s", "CPU % of a core", "lag p50 ms", "lag p99 ms", "p99 on Overview", "p99 on a stream",
         "lag max ms"],
        [[figures["timed_messages"], round(figures["messages_per_second"], 1), round(figures["cpu_share"] * 100, 1),
          round(figures["lag_p50_ms"], 1), round(figures["lag_p99_ms"], 1),
          round(figures["lag_p99_overview_ms"], 1), round(figures["lag_p99_stream_ms"], 1),
          round(figures["lag_max_ms"], 1)]],
    )  # fmt: skip
    print_table(
        "memory as messages accumulate (after gc)",
        ["messages", "RSS MB", "allocated blocks"],
        [[count, round(rss, 1), blocks] for count, rss, blocks in figures["memory"]],  # type: ignore[union-attr]
    )
    print_table(
        "the real demo in a pty (python -m dgtui)",
        ["first frame s", "quit (CloseStream + flush) s"],
        [[round(launch["first_frame_s"], 3), round(launch["quit_s"], 3)]],
    )
    memory = figures["memory"]
    emit_json(
        {
            "streams": args.streams,
            "rate": args.rate,
            "seconds": args.seconds,
            "cpu_share": figures["cpu_share"],
            "lag_p99_ms": figures["lag_p99_ms"],
            "lag_max_ms": figures["lag_max_ms"],
            "lag_p99_overview_ms": figures["lag_p99_overview_ms"],
            "lag_p99_stream_ms": figures["lag_p99_stream_ms"],
            "memory": [{"messages": c, "rss_mb": round(r, 1), "blocks": b} for c, r, b in memory],  # type: ignore[union-attr]
            "rss_growth_last_half_mb": round(memory[-1][1] - memory[len(memory) // 2][1], 1),  # type: ignore[index]
            "panes_full": figures["panes_full"],
            **launch,
        }
    )


if __name__ == "__main__":
    main()
