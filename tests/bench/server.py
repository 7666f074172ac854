"""The local server under real-time load: ``python -m tests.bench.server [--streams 1,4,8] [--only quality|scale]``.

Quality: for 1, 4 and 8 concurrent streams of the bundled clips, paced in real time as linear16, each stream's
real-time factor (engine CPU seconds per audio second, reported by the worker) and interim latency as Deepgram
defines it (audio sent minus ``start + duration`` of each interim, at its arrival).
Targets on 2 cores: RTF <= 0.2 per stream, 8 streams keep up, latency p50 <= 300 ms and p95 <= 600 ms for one
stream, p95 <= 1000 ms at 8.

Scale: ``dgtui serve`` as a process (its admission on, as a user runs it), N concurrent real-time streams of
:data:`SCALE_AUDIO_S` s each: time to first transcript p50/p95 (from the connect), interim latency p95, the
memory of the server and its engine processes at their peak, their CPU (cores busy), and the streams refused
with 429. N = 1, 10, 50, 200 on the synthetic engine; 1, 4, 8, 12 and one past the measured capacity on
pocketsphinx. Targets: synthetic 200 streams with TTFT p95 within 2x of one stream's and under 1 GB;
pocketsphinx as many streams as the cores decode, interim latency p95 < 0.5 s, the next one refused.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from websockets.exceptions import InvalidStatus

from dgtui.data import clips
from dgtui.server.app import ServerConfig
from tests.bench.report import emit_json, percentile, print_table
from tests.support.audio import clip_pcm
from tests.support.client import stream
from tests.support.server import ServerThread
from tests.support.wer import word_error_rate

QUERY = "encoding=linear16&sample_rate=16000&interim_results=true&endpointing=300&utterance_end_ms=1000&punctuate=true"


async def _level(url: str, count: int) -> list:
    names = [c.name for c in clips()]
    chosen = [names[i % len(names)] for i in range(count)]
    runs = await asyncio.gather(*(stream(url, clip_pcm(name), QUERY) for name in chosen))
    return list(zip(chosen, runs, strict=True))


def measure(levels: list[int]) -> dict:
    references = {c.name: c.reference for c in clips()}
    figures: dict = {"cores": os.cpu_count(), "levels": {}}
    rows = []
    for count in levels:
        server = ServerThread(ServerConfig(workers=2, admission=False)).start()
        try:
            results = asyncio.run(_level(server.url, count))
            server.wait_idle()
            assert server.server is not None
            by_id = {s.request_id: s for s in server.server.finished}
        finally:
            server.stop()
        latencies = [lat for _, run in results for lat in run.latencies()]
        rtfs = [by_id[run.request_id].real_time_factor for _, run in results if run.request_id in by_id]
        lags = [run.closestream_cursor_lag or 0.0 for _, run in results]
        wers = [word_error_rate(references[name], run.transcript()) for name, run in results]
        level = {
            "rtf_mean": sum(rtfs) / len(rtfs),
            "rtf_max": max(rtfs),
            "latency_p50_s": percentile(latencies, 50),
            "latency_p95_s": percentile(latencies, 95),
            "latency_max_s": max(latencies),
            "lag_at_close_max_s": max(lags),
            "wer_mean": sum(wers) / len(wers),
            "interims": len(latencies),
        }
        figures["levels"][str(count)] = level
        rows.append(
            [
                count,
                *(
                    level[k]
                    for k in (
                        "rtf_mean",
                        "rtf_max",
                        "latency_p50_s",
                        "latency_p95_s",
                        "latency_max_s",
                        "lag_at_close_max_s",
                        "wer_mean",
                    )
                ),
            ]
        )
    print_table(
        f"dgtui serve under real-time load ({os.cpu_count()} cores, bundled clips, linear16 16 kHz)",
        ["streams", "RTF mean", "RTF max", "lat p50 s", "lat p95 s", "lat max s", "lag@close s", "WER"],
        rows,
    )
    return figures


SCALE_AUDIO_S = 12.0
SCALE_LEVELS = {"synthetic": [1, 10, 50, 200], "pocketsphinx": [1, 4, 8, 12]}


class Served:
    """``dgtui serve`` in a process of its own; its memory and CPU read from /proc with its engine processes."""

    def __init__(self, engine: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dgtui", "serve", "--port", "0", "--engine", engine],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        lines = [self.process.stdout.readline() for _ in range(4)]
        found = re.search(r"listening on (ws://\S+)", lines[0])
        assert found, lines
        self.url = found.group(1)
        limit = re.search(r"up to (\d+)", lines[3])
        self.limit = int(limit.group(1)) if limit else None
        self.peak_mb = 0.0
        self._sampling = False

    def pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [self.process.pid, *map(int, children)]

    def rss_mb(self) -> float:
        total = 0
        for pid in self.pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        return total / 1024

    def cpu_s(self) -> float:
        ticks = 0
        for pid in self.pids():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def sample(self) -> None:
        self._sampling, self.peak_mb = True, self.rss_mb()

        def run() -> None:
            while self._sampling:
                self.peak_mb = max(self.peak_mb, self.rss_mb())
                time.sleep(0.25)

        threading.Thread(target=run, daemon=True).start()

    def stop_sampling(self) -> None:
        self._sampling = False

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(20)


async def _timed(url: str, pcm: bytes, delay: float) -> tuple[float | None, list[float], bool]:
    """Time to first transcript from the connect, the interim latencies, and whether it was refused."""
    await asyncio.sleep(delay)
    started = time.monotonic()
    try:
        run = await stream(url, pcm, QUERY, timeout=SCALE_AUDIO_S * 10)
    except InvalidStatus as exc:
        return None, [], exc.response.status_code == 429
    first = next((m.at for m in run.messages if m.type == "Results" and m.data["channel"]["alternatives"][0]
                  ["transcript"]), None)  # fmt: skip
    return (None if first is None else first - started), run.latencies(), False


def scale(engines: list[str]) -> dict:
    pcm = clip_pcm("weather")[: int(SCALE_AUDIO_S * 32000)]
    rows, figures = [], {}
    for engine in engines:
        served = Served(engine)
        levels = list(SCALE_LEVELS[engine])
        if engine == "pocketsphinx" and served.limit is not None:
            levels.append(served.limit + 1)  # one past what it keeps up with: that one is refused
        try:
            for count in levels:
                served.sample()
                cpu0, wall0 = served.cpu_s(), time.monotonic()
                # Connections spread over 1 s, as clients do; each level starts on an idle server.
                results = asyncio.run(_gather(served.url, pcm, count))
                cpu = (served.cpu_s() - cpu0) / (time.monotonic() - wall0)
                served.stop_sampling()
                ttfts = [r[0] for r in results if r[0] is not None]
                latencies = [lat for r in results for lat in r[1]]
                refused = sum(r[2] for r in results)
                level = {
                    "ttft_p50_s": percentile(ttfts, 50), "ttft_p95_s": percentile(ttfts, 95),
                    "interim_p95_s": percentile(latencies, 95), "memory_mb": round(served.peak_mb, 1),
                    "cores_busy": round(cpu, 2), "refused": refused, "limit": served.limit,
                }  # fmt: skip
                figures[f"{engine}:{count}"] = level
                rows.append([engine, count, level["ttft_p50_s"], level["ttft_p95_s"], level["interim_p95_s"],
                             level["memory_mb"], level["cores_busy"], refused])  # fmt: skip
        finally:
            served.close()
    print_table(
        f"dgtui serve at scale ({os.cpu_count()} cores, {SCALE_AUDIO_S:.0f} s real-time streams, admission on)",
        ["engine", "streams", "TTFT p50 s", "TTFT p95 s", "interim p95 s", "memory MB", "cores", "429s"],
        rows,
    )
    return figures


async def _gather(url: str, pcm: bytes, count: int) -> list[tuple[float | None, list[float], bool]]:
    return await asyncio.gather(*(_timed(url, pcm, i / max(1, count)) for i in range(count)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", default="1,4,8", help="comma-separated concurrency levels (default 1,4,8)")
    parser.add_argument("--only", choices=["quality", "scale"], help="one of the two tables")
    parser.add_argument("--engines", default="synthetic,pocketsphinx", help="engines of the scale table")
    args = parser.parse_args()
    result: dict = {"bench": "server"}
    if args.only != "scale":
        result.update(measure([int(n) for n in args.streams.split(",")]))
    if args.only != "quality":
        result["scale"] = scale(args.engines.split(","))
    emit_json(result)


if __name__ == "__main__":
    main()
