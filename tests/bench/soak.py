"""Soak: streams for minutes against the local server through a fault proxy that drops every connection at a
fixed interval. Measures what a monitor on a flaky network cares about.

``python -m tests.bench.soak [--minutes 10] [--streams 8] [--drop-every 60]``

* reconnects per stream, and the time without a connection (gaps);
* seconds of audio lost: audio the backlog had to drop (target 0);
* transcript coverage: words in finals over the words the looping clip holds for the audio sent;
* memory (RSS) at the start and the end, after a collection.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import time

from dgtui.audio.sources import FileSource
from dgtui.data import clips
from dgtui.server.app import ServerConfig
from dgtui.session.session import LiveSession, SessionConfig
from tests.bench.report import emit_json, print_table
from tests.support.proxy import FaultProxy
from tests.support.server import ServerThread

OPTIONS = {"interim_results": True, "punctuate": True, "vad_events": True, "utterance_end_ms": 1000}


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


async def soak(minutes: float, streams: int, drop_every: float) -> dict[str, object]:
    server = ServerThread(ServerConfig(warm_workers=streams)).start()
    proxy = FaultProxy(server.url).start()
    bundled = clips()
    sessions = []
    for i in range(streams):
        clip = bundled[i % len(bundled)]
        config = SessionConfig(f"{clip.name}-{i}", proxy.url, OPTIONS, duration=minutes * 60)
        sessions.append((LiveSession(config, FileSource(clip.path, loop=True, name=f"{clip.name}-{i}")), clip))
    gc.collect()
    memory_start = rss_mb()
    drops = 0

    async def dropper() -> None:
        nonlocal drops
        while True:
            await asyncio.sleep(drop_every)
            proxy.drop()
            drops += 1

    started = time.perf_counter()
    faults = asyncio.create_task(dropper())
    try:
        results = await asyncio.gather(*(s.run() for s, _ in sessions), return_exceptions=True)
    finally:
        faults.cancel()
        proxy.stop()
        server.stop()
    wall = time.perf_counter() - started
    gc.collect()
    rows = []
    for (session, clip), result in zip(sessions, results, strict=True):
        reference_words = len(clip.reference.split())
        clip_seconds = FileSource(clip.path).duration or 1.0
        expected = reference_words * session.state.cursor / clip_seconds
        heard = sum(len(u.words) for u in session.state.transcript.closed)
        rows.append(
            {
                "name": session.name,
                "ok": result is True,
                "error": session.state.error if result is not True else None,
                "audio_s": round(session.state.cursor, 1),
                "reconnects": session.state.reconnects,
                "gaps_s": round(sum(session.state.gaps), 2),
                "audio_resent_s": round(session.state.audio_resent, 2),
                "audio_lost_s": round(session.state.audio_lost, 2),
                "coverage": round(heard / expected, 3) if expected else 0.0,
            }
        )
    return {
        "minutes": minutes,
        "streams": streams,
        "drop_every_s": drop_every,
        "drops": drops,
        "wall_s": round(wall, 1),
        "rows": rows,
        "memory_start_mb": round(memory_start, 1),
        "memory_end_mb": round(rss_mb(), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--streams", type=int, default=8)
    parser.add_argument("--drop-every", type=float, default=60.0, help="seconds between connection drops")
    args = parser.parse_args()
    figures = asyncio.run(soak(args.minutes, args.streams, args.drop_every))
    rows = figures["rows"]
    print_table(
        f"soak: {args.streams} streams for {args.minutes:g} min, every connection dropped every {args.drop_every:g} s",
        ["stream", "ok", "audio s", "reconnects", "gaps s", "resent s", "audio lost s", "coverage"],
        [[r["name"], r["ok"], r["audio_s"], r["reconnects"], r["gaps_s"], r["audio_resent_s"], r["audio_lost_s"],
          r["coverage"]] for r in rows],  # type: ignore[union-attr]
    )  # fmt: skip
    print_table(
        "totals",
        ["drops", "reconnects", "audio lost s", "coverage min", "memory start MB", "memory end MB"],
        [[figures["drops"], sum(r["reconnects"] for r in rows), sum(r["audio_lost_s"] for r in rows),  # type: ignore[union-attr]
          min(r["coverage"] for r in rows), figures["memory_start_mb"], figures["memory_end_mb"]]],  # type: ignore[union-attr]
    )  # fmt: skip
    for r in rows:  # type: ignore[union-attr]
        if r["error"]:
            print(f"{r['name']}: {r['error']}")
    emit_json(figures)


if __name__ == "__main__":
    main()
