"""The comparison tab under load: 4 lanes each fed 20 messages a second, judged live against a reference.

``python -m tests.bench.compare_view [--lanes 4] [--rate 20] [--seconds 30]``

The app shows the lanes' comparison tab (its table recomputes word error rates against the reference at 2 Hz,
its transcripts take every final) while a loop measures how late a 10 ms sleep wakes up: the event loop's lag.
Target: p99 within 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio

from dgtui.judge.compare import LaneGroup
from dgtui.recordings.player import PlayedSession, PlayerRunner
from dgtui.tui.app import DgtuiApp
from tests.bench.report import emit_json, percentile, print_table
from tests.bench.tui import SENTENCES, Feed, measure_lag, paced
from tests.support.scenes import LOCAL_URL, OPTIONS
from tests.support.script import connect


async def load(lanes: int, rate: float, seconds: float, plots: bool = False) -> dict[str, float]:
    names = [f"talk/lane{i + 1}" for i in range(lanes)]
    sessions = [PlayedSession(name, [connect(0.0, LOCAL_URL, f"req-{i}")], source="bench", options=OPTIONS)
                for i, name in enumerate(names)]  # fmt: skip
    for session in sessions:
        session.advance(0.0)
    reference = " ".join(SENTENCES * 40)
    group = LaneGroup("talk", tuple(names), reference, "talk.txt")
    app = DgtuiApp(PlayerRunner(sessions), backend_label="bench", run_streams=False, groups=[group])
    feed = Feed(sessions)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause(0.5)
        assert app.tabs.active == "compare-1"
        if plots:
            app.action_toggle_plots()  # the lanes' distributions and word error rate drawn as they move
        lags: list[tuple[str, float]] = []
        stop = asyncio.Event()
        lag_task = asyncio.create_task(measure_lag(lags, stop, ["compare"]))
        wall, cpu = await paced(feed, rate, seconds)
        stop.set()
        await lag_task
    every = [lag for _, lag in lags]
    return {"messages": feed.count, "cpu_share": cpu / wall, "lag_p50_ms": percentile(every, 50) * 1000,
            "lag_p99_ms": percentile(every, 99) * 1000, "lag_max_ms": max(every) * 1000}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lanes", type=int, default=4)
    parser.add_argument("--rate", type=float, default=20.0, help="messages per second per lane")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--plots", action="store_true", help="with the lanes' plots shown (g)")
    args = parser.parse_args()
    figures = asyncio.run(load(args.lanes, args.rate, args.seconds, args.plots))
    print_table(
        f"comparison tab, {args.lanes} lanes x {args.rate:g} msg/s for {args.seconds:g} s (headless)"
        + (", plots shown" if args.plots else ""),
        ["messages", "CPU", "lag p50 ms", "lag p99 ms", "lag max ms"],
        [[figures["messages"], f"{figures['cpu_share']:.0%}", f"{figures['lag_p50_ms']:.1f}",
          f"{figures['lag_p99_ms']:.1f}", f"{figures['lag_max_ms']:.1f}"]],
    )  # fmt: skip
    emit_json({"bench": "compare_view", "lanes": args.lanes, "rate": args.rate, **figures})


if __name__ == "__main__":
    main()
