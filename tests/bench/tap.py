"""What the tap adds to a stream: ``python -m tests.bench.tap [--streams 1,50] [--seconds 10]``.

An echo server (its own process) answers every frame; N clients send 100 ms frames of audio in real time, each
timing the round trip of every frame, once straight to the echo server and once through ``dgtui``'s tap (its own
process too, as ``dgtui tap`` runs it: forwarding in a process of its own, every frame analysed in the
tap's), in the same run. The tap's added latency is the tapped round trip minus the direct one, at the
same percentile; a frame passes the tap twice on a round trip, so this is an upper bound on what one pass adds.
Also the tap's CPU per stream. Target: p99 added at most 2 ms at 50 streams.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import websockets

from tests.bench.report import emit_json, percentile, print_table

FRAME = b"\0\1" * 1600  # 100 ms of 16 kHz linear16
QUERY = "encoding=linear16&sample_rate=16000"  # as an app declares it: the tap analyses every frame
ECHO = """
import asyncio, sys, websockets
async def echo(ws):
    async for message in ws:
        await ws.send(message)
async def main():
    async with websockets.serve(echo, "127.0.0.1", 0, compression=None, max_size=None) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
asyncio.run(main())
"""
TAP = """
import asyncio, sys, time
from dgtui.tap.runner import TapRunner
async def stall(seconds):  # a view that holds its loop and the GIL (a slow render): forwarding must not notice
    while seconds:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            pass
        await asyncio.sleep(0.05)
async def main():
    runner = TapRunner(sys.argv[1])  # as dgtui tap runs: forwarding process, analysis here
    await runner.start()
    stalling = asyncio.create_task(stall(float(sys.argv[2]) / 1000))
    print(runner.port, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await runner.close()
asyncio.run(main())
"""


def _start(code: str, *args: str) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen([sys.executable, "-c", code, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True)  # fmt: skip
    assert process.stdout is not None
    return process, int(process.stdout.readline())


def _cpu_s(pid: int) -> float:
    """CPU seconds of a process and its running children (the tap's forwarding process)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    children = [int(child) for task in Path(f"/proc/{pid}/task").iterdir()
                for child in (task / "children").read_text().split()]  # fmt: skip
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") + sum(map(_cpu_s, children))


async def _client(url: str, seconds: float, delay: float) -> list[float]:
    await asyncio.sleep(delay)
    trips = []
    async with websockets.connect(url, compression=None, max_size=None) as ws:
        start = time.monotonic()
        for index in range(int(seconds * 10)):
            due = start + index * 0.1
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            sent = time.perf_counter()
            await ws.send(FRAME)
            await ws.recv()
            trips.append(time.perf_counter() - sent)
    return trips


async def _level(url: str, streams: int, seconds: float) -> list[float]:
    results = await asyncio.gather(*(_client(url, seconds, i * 0.1 / streams) for i in range(streams)))
    return [trip for trips in results for trip in trips]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--streams", default="1,50")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--stall-ms", type=float, default=0.0,
                        help="hold the tap's main loop (and its GIL) this long every 50 ms: a slow view")  # fmt: skip
    args = parser.parse_args()
    echo, echo_port = _start(ECHO)
    tap, tap_port = _start(TAP, f"ws://127.0.0.1:{echo_port}", str(args.stall_ms))
    rows, figures = [], {}
    try:
        for streams in [int(n) for n in args.streams.split(",")]:
            direct = asyncio.run(_level(f"ws://127.0.0.1:{echo_port}/v1/listen?{QUERY}", streams, args.seconds))
            cpu0, wall0 = _cpu_s(tap.pid), time.monotonic()
            tapped = asyncio.run(_level(f"ws://127.0.0.1:{tap_port}/v1/listen?{QUERY}", streams, args.seconds))
            cpu = (_cpu_s(tap.pid) - cpu0) / (time.monotonic() - wall0)
            level = {
                "direct_p50_ms": percentile(direct, 50) * 1000, "direct_p99_ms": percentile(direct, 99) * 1000,
                "tapped_p50_ms": percentile(tapped, 50) * 1000, "tapped_p99_ms": percentile(tapped, 99) * 1000,
                "tap_cpu_per_stream": cpu / streams, "frames": len(tapped),
            }  # fmt: skip
            level["added_p50_ms"] = level["tapped_p50_ms"] - level["direct_p50_ms"]
            level["added_p99_ms"] = level["tapped_p99_ms"] - level["direct_p99_ms"]
            figures[str(streams)] = level
            rows.append([streams, level["direct_p50_ms"], level["direct_p99_ms"], level["tapped_p50_ms"],
                         level["tapped_p99_ms"], level["added_p50_ms"], level["added_p99_ms"],
                         level["tap_cpu_per_stream"] * 100])  # fmt: skip
    finally:
        for process in (tap, echo):
            assert process.stdin is not None
            process.stdin.close()
            process.wait(10)
    print_table(
        f"the tap's added round trip ({os.cpu_count()} cores, 100 ms frames in real time, echo upstream"
        + (f", its main loop held {args.stall_ms:g} ms every 50 ms)" if args.stall_ms else ")"),
        [
            "streams",
            "direct p50 ms",
            "direct p99 ms",
            "tap p50 ms",
            "tap p99 ms",
            "added p50 ms",
            "added p99 ms",
            "tap CPU % per stream",
        ],
        rows,
    )
    emit_json({"bench": "tap", "stall_ms": args.stall_ms, "levels": figures})


if __name__ == "__main__":
    main()
