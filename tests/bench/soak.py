"""Soak: simulated days of live streams, to show memory, disk and reconnects stay bounded.

``python -m tests.bench.soak --hours 24 --fast [--streams 16]``

Each stream loops a bundled clip (decoded once, kept as PCM) for ``--hours`` of audio, sent faster than real
time with ``--fast`` (real time without), through the whole client: sessions, reconnects, the recorder with
hourly segments, gzip and retention. The other side is a separate process (:mod:`tests.bench.soak_backend`):
the local server on its synthetic engine (the real server, VAD and result windows, placeholder words: real
decoding of 384 stream-hours would take a day of CPU here) behind a proxy that resets each connection after a
random 2-8 minutes of audio.

It reports the monitor's RSS after each simulated hour, segments written, bytes before and after compression,
what retention deleted, reconnects (and that every one is in the recording), audio lost (target 0), and the
runner's passes giving the allocator's free pages back (:mod:`dgtui.process.memory`) with the slowest one.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from dgtui.audio.base import SourceHooks, SourceKind
from dgtui.audio.chunks import LINEAR16, AudioChunk, AudioFormat
from dgtui.audio.local import FileSource
from dgtui.data import clips
from dgtui.live.backend import Backend
from dgtui.live.runner import StreamRunner
from dgtui.recordings.reader import read_recording
from dgtui.recordings.retention import Retention
from dgtui.recordings.segments import parse_name, session_files
from dgtui.recordings.writer import RecordingPolicy, RecordingTotals
from dgtui.state.events import Reconnected
from tests.bench.report import emit_json, print_table

OPTIONS = {"interim_results": True, "punctuate": True, "vad_events": True, "utterance_end_ms": 1000}


def rss_mb(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


async def decoded(path: Path, chunk_ms: int) -> list[AudioChunk]:
    source = FileSource(path, realtime=False, chunk_ms=chunk_ms)
    return [chunk async for chunk in source.chunks()]


@dataclass
class LoopedPcm:
    """A clip's PCM, decoded once, played over and over with an exact cursor: a live feed without the decoding."""

    name: str
    pcm: list[AudioChunk]
    realtime: bool
    description: str = "a looped clip"
    format: AudioFormat = LINEAR16
    reopenable: bool = False
    error: str | None = None
    hooks: SourceHooks = field(default_factory=SourceHooks)

    async def chunks(self) -> AsyncIterator[AudioChunk]:
        self.hooks.kind(SourceKind.FILE, f"a looped clip, {'paced in real time' if self.realtime else 'fast'}")
        offset = 0.0
        while True:
            for chunk in self.pcm:
                yield AudioChunk(chunk.data, offset + chunk.end, chunk.level_db)
            offset += self.pcm[-1].end


def backend(engine: str, drop: tuple[float, float]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.soak_backend", "--engine", engine, "--drop-min", str(drop[0]),
         "--drop-max", str(drop[1])],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("READY "):
        raise RuntimeError(f"the soak's server did not start: {line!r}")
    return process, line.split()[1]


def reconnects_recorded(path: Path | None) -> tuple[int, set[int]]:
    """Reconnects in the segments still on disk, and those segments' numbers."""
    if path is None:
        return 0, set()
    count, kept = 0, set()
    for segment in session_files(path):
        header, lines = read_recording(segment)
        kept.add(int(header.get("segment", 1)))
        count += sum(1 for line in lines if line.get("type") == "dgtui.Reconnected")
    return count, kept


async def soak(args: argparse.Namespace, folder: Path) -> dict[str, object]:
    server, url = backend(args.engine, (args.drop_min, args.drop_max))
    retention = Retention(max_bytes=int(args.max_mb * 1e6)) if args.max_mb else Retention()
    policy = RecordingPolicy(segment_seconds=args.segment_minutes * 60, retention=retention,
                             compress=not args.no_compress)  # fmt: skip
    runner = StreamRunner(Backend("url", url), OPTIONS, duration=args.hours * 3600,
                          record_dir=None if args.no_record else folder,
                          record_policy=policy)  # fmt: skip
    bundled = clips()
    pcm = {clip.name: await decoded(clip.path, args.chunk_ms) for clip in bundled}
    reconnects_in: dict[str, list[int]] = {}  # per stream, the segment each reconnect was written to
    for i in range(args.streams):
        clip = bundled[i % len(bundled)]
        session = runner.add(LoopedPcm(f"{clip.name}-{i}", pcm[clip.name], realtime=not args.fast))
        recorder, found = runner.recorders.get(session.name), reconnects_in.setdefault(session.name, [])

        def seen(event, recorder=recorder, found=found) -> None:  # type: ignore[no-untyped-def]
            if isinstance(event, Reconnected) and recorder is not None:  # the recorder, subscribed first, wrote it
                name = parse_name(recorder.current.name) if recorder.current else None
                found.append(name.number if name else 0)

        session.state.subscribe(seen)
    gc.collect()
    samples: list[dict[str, float]] = []
    started, cpu0 = time.perf_counter(), time.process_time()

    async def sampler() -> None:
        hour = 0
        while True:
            await asyncio.sleep(0.5)
            low = min(s.state.audio.cursor for s in runner.sessions)
            if low >= (hour + 1) * 3600 * args.sample_hours:
                hour += 1
                gc.collect()
                samples.append({"hour": round(hour * args.sample_hours, 2), "rss_mb": round(rss_mb(), 1),
                                "server_rss_mb": round(rss_mb(server.pid), 1),
                                "wall_s": round(time.perf_counter() - started, 1),
                                "cpu_s": round(time.process_time() - cpu0, 1)})  # fmt: skip
                print(f"  hour {samples[-1]['hour']:g}: RSS {samples[-1]['rss_mb']} MB, "
                      f"{samples[-1]['wall_s']} s", file=sys.stderr, flush=True)  # fmt: skip

    sampling = asyncio.create_task(sampler())  # the first sample comes after the first simulated hour
    try:
        results = await asyncio.gather(*(runner.run(s) for s in runner.sessions))
    finally:
        sampling.cancel()
        assert server.stdin is not None and server.stdout is not None
        server.stdin.close()
        drops = server.stdout.read().split()
        server.wait(30)
    wall = time.perf_counter() - started
    for recorder in runner.recorders.values():
        recorder.wait(600)
    gc.collect()
    rows = []
    for session, ok in zip(runner.sessions, results, strict=True):
        recorder = runner.recorders.get(session.name)
        in_file, kept = reconnects_recorded(recorder.path if recorder else None)
        expected = sum(1 for number in reconnects_in[session.name] if number in kept)  # retention took the rest
        t = recorder.totals if recorder else RecordingTotals()
        state = session.state
        rows.append({"name": session.name, "ok": ok, "error": state.connection.error,
                     "audio_h": round(state.audio.cursor / 3600, 2),
                     "reconnects": state.connection.reconnects, "reconnects_in_recording": in_file,
                     "reconnects_expected_in_recording": expected, "gaps_s": round(sum(state.connection.gaps), 1),
                     "audio_resent_s": round(state.audio.resent, 1), "audio_lost_s": round(state.audio.lost, 2),
                     "segments": t.segments, "bytes_written": t.bytes_written, "compressed_before": t.compressed_before,
                     "compressed_after": t.compressed_after, "deleted_files": t.deleted_files,
                     "deleted_bytes": t.deleted_bytes})  # fmt: skip
    first = samples[0]["rss_mb"] if samples else rss_mb()
    last = samples[-1]["rss_mb"] if samples else rss_mb()
    on_disk = sum(p.stat().st_size for p in folder.glob("*/*") if p.is_file())
    return {"hours": args.hours, "streams": args.streams, "fast": args.fast, "engine": args.engine,
            "chunk_ms": args.chunk_ms, "wall_s": round(wall, 1), "samples": samples, "rows": rows,
            "rss_first_hour_mb": first, "rss_end_mb": last, "rss_growth": round(last / first - 1, 4),
            "on_disk_bytes": on_disk, "max_mb": args.max_mb, "trim_passes": runner.trimmer.passes,
            "trim_slowest_ms": round(runner.trimmer.slowest * 1000, 2),
            "drops": int(drops[-1]) if drops and drops[-1].isdigit() else None}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0, help="hours of audio per stream (default 24)")
    parser.add_argument("--streams", type=int, default=16)
    parser.add_argument("--fast", action="store_true", help="send as fast as the server takes it")
    parser.add_argument("--engine", default="synthetic", choices=["synthetic", "pocketsphinx"])
    parser.add_argument("--chunk-ms", type=int, default=250, help="audio per message (default 250)")
    parser.add_argument("--drop-min", type=float, default=2.0, help="minutes of audio before a drop, at least")
    parser.add_argument("--drop-max", type=float, default=8.0)
    parser.add_argument("--segment-minutes", type=float, default=60.0)
    parser.add_argument("--max-mb", type=float, default=500.0, help="retention's max size (0: none)")
    parser.add_argument("--sample-hours", type=float, default=1.0, help="RSS taken every this many audio hours")
    parser.add_argument("--no-compress", action="store_true", help="keep closed segments plain")
    parser.add_argument("--no-record", action="store_true", help="no recordings (to tell their cost apart)")
    parser.add_argument("--dir", type=Path, help="record here (default: a temporary folder, removed)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dgtui-soak-") as tmp:
        figures = asyncio.run(soak(args, args.dir or Path(tmp)))
    rows = figures["rows"]
    print_table(
        "RSS of the monitor (this process) and of the server, after each simulated hour",
        ["audio h", "RSS MB", "server RSS MB", "wall s", "CPU s"],
        [[s["hour"], s["rss_mb"], s["server_rss_mb"], s["wall_s"], s["cpu_s"]] for s in figures["samples"]],
    )  # type: ignore[union-attr]
    print_table(f"{args.streams} streams, {args.hours:g} h of audio each{' (fast)' if args.fast else ''}",
                ["stream", "ok", "audio h", "reconnects", "in recording", "expected", "gaps s", "lost s", "segments",
                 "MB written", "MB gz", "deleted"],
                [[r["name"], r["ok"], r["audio_h"], r["reconnects"], r["reconnects_in_recording"],
                  r["reconnects_expected_in_recording"], r["gaps_s"], r["audio_lost_s"], r["segments"],
                  round(r["bytes_written"] / 1e6, 1), round(r["compressed_after"] / 1e6, 1), r["deleted_files"]]
                 for r in rows])  # type: ignore[union-attr]  # fmt: skip
    before = sum(r["compressed_before"] for r in rows)  # type: ignore[union-attr]
    after = sum(r["compressed_after"] for r in rows)  # type: ignore[union-attr]
    print_table("totals",
                ["wall s", "RSS 1st h MB", "RSS end MB", "growth", "reconnects", "all recorded", "audio lost s",
                 "segments", "GB written", "gz ratio", "deleted files", "on disk MB", "trims", "slowest trim ms"],
                [[figures["wall_s"], figures["rss_first_hour_mb"], figures["rss_end_mb"],
                  f"{figures['rss_growth']:+.1%}", sum(r["reconnects"] for r in rows),
                  all(r["reconnects_in_recording"] == r["reconnects_expected_in_recording"] for r in rows),
                  sum(r["audio_lost_s"] for r in rows), sum(r["segments"] for r in rows),
                  round(sum(r["bytes_written"] for r in rows) / 1e9, 2), round(before / after, 1) if after else "-",
                  sum(r["deleted_files"] for r in rows), round(figures["on_disk_bytes"] / 1e6, 1),
                  figures["trim_passes"], figures["trim_slowest_ms"]]])  # type: ignore[union-attr]  # fmt: skip
    for r in rows:  # type: ignore[union-attr]
        if r["error"]:
            print(f"{r['name']}: {r['error']}")
    emit_json(figures)


if __name__ == "__main__":
    main()
