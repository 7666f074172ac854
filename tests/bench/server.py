"""The local server under real-time load: ``python -m tests.bench.server [--streams 1,4,8]``.

For 1, 4 and 8 concurrent streams of the bundled clips, paced in real time as linear16, it measures each
stream's real-time factor (engine CPU seconds per audio second, reported by the worker) and interim latency
as Deepgram defines it (audio sent minus ``start + duration`` of each interim, at its arrival).
Targets on 2 cores: RTF <= 0.2 per stream, 8 streams keep up, latency p50 <= 300 ms and p95 <= 600 ms for one
stream, p95 <= 1000 ms at 8.
"""

from __future__ import annotations

import argparse
import asyncio
import os

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
        server = ServerThread(ServerConfig(warm_workers=count)).start()
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", default="1,4,8", help="comma-separated concurrency levels (default 1,4,8)")
    args = parser.parse_args()
    emit_json({"bench": "server", **measure([int(n) for n in args.streams.split(",")])})


if __name__ == "__main__":
    main()
