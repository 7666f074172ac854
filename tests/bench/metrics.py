"""What the Prometheus metrics cost: on the client path, on a 64-stream wall, and a scrape at 500 streams.

``python -m tests.bench.metrics [--seconds 20] [--streams 64] [--rate 5]``

* client path: a scripted conversation's raw messages decoded and applied to a stream's state (what a live
  session does per frame, audio included), with the exported buckets counted (as shipped) and without (the
  series' ``add`` as it was before), measured in turns;
* wall: the app (headless, 10 Hz) with ``--streams`` scripted streams fed ``--rate`` messages a second each, for
  ``--seconds``, without metrics, then with the exporter watching every stream and scraped every second (15
  times Prometheus's usual rate): process CPU share and loop lag (a 10 ms sleep's lateness);
* scrape: 1, 64 and 500 streams of 60 s each, each its own label set (named streams: the worst case), and 500
  as one (copies, a tap's calls under one tag): the time of a whole HTTP scrape and its size, plain and gzipped;
  and what a label set adds to a scrape.

Targets: at most 10 % more CPU per message; a scrape under 100 ms at 500 streams; loop lag p99 within 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import threading
import time
import timeit
import urllib.request

from dgtui.metrics.exporter import MetricsExporter
from dgtui.metrics.labels import labels_of
from dgtui.recordings.player import PlayedSession, PlayerRunner
from dgtui.state.events import AudioSent, MessageReceived
from dgtui.state.setup import Setup
from dgtui.state.stats import LATENCY_EDGES, Series, bucket_of
from dgtui.state.stream import StreamState
from dgtui.tui.app import DgtuiApp
from tests.bench.report import emit_json, percentile, print_table
from tests.bench.tui import Feed, measure_lag, paced
from tests.support.scenes import COUNCIL, LOCAL_URL, OPTIONS, WEATHER, many_scene
from tests.support.script import connect, conversation

SHIPPED_ADD = Series.add


def add_without_export(self: Series, value: float) -> None:
    """``Series.add`` before the metrics: no exported bucket counted."""
    if not math.isfinite(value) or abs(value) > self.LIMIT:
        return
    self.buckets[bucket_of(value)] += 1
    self.count += 1
    self.total += value
    self.min = min(self.min, value)
    self.max = max(self.max, value)
    self.recent.append(value)
    self.last = value
    self._summary = None


def corpus() -> list[tuple[str, float]]:
    """(raw message, audio cursor) of a scripted conversation, as received."""
    out = []
    for step in conversation([*WEATHER, *COUNCIL] * 3):
        for event in step.events:
            if isinstance(event, MessageReceived):
                out.append((event.raw, step.at))
    return out


def client_path(messages: list[tuple[str, float]]) -> None:
    state = StreamState(Setup("bench", options=OPTIONS), clock=lambda: 0.0)
    for raw, cursor in messages:
        state.apply(AudioSent("bench", 3200, cursor, -20.0), cursor)
        state.apply(MessageReceived("bench", raw, None, cursor, cursor + 0.3), cursor)


def per_message_us(messages: list[tuple[str, float]], repeat: int = 7) -> float:
    best = min(timeit.repeat(lambda: client_path(messages), number=3, repeat=repeat))
    return best / 3 / len(messages) * 1e6


def scrape(url: str, gzipped: bool = False) -> tuple[float, int]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"} if gzipped else {})
    began = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as answer:
        size = len(answer.read())
    return time.perf_counter() - began, size


def scrape_figures(count: int, pooled: bool) -> dict[str, float]:
    sessions, _ = many_scene(count, 60.0)
    exporter = MetricsExporter("127.0.0.1", 0, command="bench")
    for session in sessions:
        labels = labels_of(session.state.setup, "local")
        if pooled:
            labels = labels_of(Setup("calls", options=OPTIONS), "local")
        exporter.streams.watch(session.state, labels)
    exporter.start()
    try:
        times = [scrape(exporter.url)[0] for _ in range(7)]
        _, size = scrape(exporter.url)
        _, packed = scrape(exporter.url, gzipped=True)
    finally:
        exporter.close()
    return {"scrape_ms_p50": statistics.median(times) * 1000, "scrape_ms_max": max(times) * 1000,
            "bytes": size, "gzip_bytes": packed}  # fmt: skip


class Scraper(threading.Thread):
    """Prometheus, every ``interval`` seconds."""

    def __init__(self, url: str, interval: float) -> None:
        super().__init__(daemon=True)
        self.url, self.interval, self.stop, self.times = url, interval, threading.Event(), []

    def run(self) -> None:
        while not self.stop.wait(self.interval):
            self.times.append(scrape(self.url, gzipped=True)[0])


async def wall(streams: int, rate: float, seconds: float, metrics: bool) -> dict[str, float]:
    sessions = [PlayedSession(f"stream-{i + 1:02d}", [connect(0.0, LOCAL_URL, f"req-{i:04d}")], source="bench",
                              options=OPTIONS) for i in range(streams)]  # fmt: skip
    for session in sessions:
        session.advance(0.0)
    exporter = scraper = None
    if metrics:
        exporter = MetricsExporter("127.0.0.1", 0, command="bench")
        for session in sessions:
            exporter.streams.watch(session.state, labels_of(session.state.setup, "local"))
        exporter.start()
        scraper = Scraper(exporter.url, 1.0)
        scraper.start()
    app = DgtuiApp(PlayerRunner(sessions), backend_label="bench", run_streams=False)
    feed = Feed(sessions)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause(0.5)
        lags: list[tuple[str, float]] = []
        stop = asyncio.Event()
        lag_task = asyncio.create_task(measure_lag(lags, stop, ["overview"]))
        wall_s, cpu = await paced(feed, rate, seconds)
        stop.set()
        await lag_task
    if scraper is not None and exporter is not None:
        scraper.stop.set()
        scraper.join()
        exporter.close()
    every = [lag for _, lag in lags]
    figures = {"messages_per_second": feed.count / wall_s, "cpu_share": cpu / wall_s,
               "lag_p50_ms": percentile(every, 50) * 1000, "lag_p99_ms": percentile(every, 99) * 1000}  # fmt: skip
    if scraper is not None:
        figures["scrape_ms_p50"] = percentile(scraper.times, 50) * 1000
    return figures


def client_figures(messages: list[tuple[str, float]], rounds: int = 5) -> tuple[float, float]:
    """(without, with) µs per message: the two measured in turns, each its best, so a busy moment of the machine
    weighs on neither alone."""
    without, shipped = [], []
    for _ in range(rounds):
        Series.add = add_without_export  # type: ignore[method-assign]
        without.append(per_message_us(messages, repeat=3))
        Series.add = SHIPPED_ADD  # type: ignore[method-assign]
        shipped.append(per_message_us(messages, repeat=3))
    return min(without), min(shipped)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--streams", type=int, default=64)
    parser.add_argument("--rate", type=float, default=5.0, help="messages a second per stream")
    args = parser.parse_args()

    without, shipped = client_figures(corpus())
    print_table("client path (us per message: decode, state, metrics)", ["", "us/msg", "vs without"], [
        ("without metrics", without, "-"),
        ("with the exported buckets", shipped, f"{(shipped / without - 1) * 100:+.1f} %"),
    ])  # fmt: skip

    scrapes = {f"{n} streams, {n} label sets": scrape_figures(n, pooled=False) for n in (1, 64, 500)}
    scrapes["500 streams, 1 label set"] = scrape_figures(500, pooled=True)
    per_stream = (scrapes["500 streams, 500 label sets"]["scrape_ms_p50"]
                  - scrapes["1 streams, 1 label sets"]["scrape_ms_p50"]) / 499  # fmt: skip
    print_table("a scrape (the whole HTTP request; 60 s streams)", ["", "p50 ms", "max ms", "bytes", "gzip bytes"],
                [(name, s["scrape_ms_p50"], s["scrape_ms_max"], s["bytes"], s["gzip_bytes"])
                 for name, s in scrapes.items()])  # fmt: skip
    print(f"a label set adds {per_stream:.2f} ms to a scrape: scraped every 15 s, {per_stream / 150:.4f} % of "
          "a core per label set\n")  # fmt: skip

    walls = {name: asyncio.run(wall(args.streams, args.rate, args.seconds, metrics)) for name, metrics in
             (("without metrics", False), ("metrics, scraped every 1 s", True))}  # fmt: skip
    print_table(f"wall: {args.streams} streams x {args.rate:g} messages/s, {args.seconds:g} s, app at 10 Hz",
                ["", "msg/s", "CPU share", "lag p50 ms", "lag p99 ms"],
                [(name, w["messages_per_second"], w["cpu_share"], w["lag_p50_ms"], w["lag_p99_ms"])
                 for name, w in walls.items()])  # fmt: skip
    emit_json({"bench": "metrics", "client_us_without": without, "client_us_with": shipped,
               "client_overhead_pct": (shipped / without - 1) * 100, "scrape_ms_per_label_set": per_stream,
               "wall": walls, "scrapes": scrapes, "edges": len(LATENCY_EDGES)})  # fmt: skip


if __name__ == "__main__":
    main()
