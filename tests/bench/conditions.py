"""Audio conditions on the local engine: ``python -m tests.bench.conditions [--clips weather,council]``.

Every bundled clip through each ``--condition`` (clean, noise at 30, 20 and 10 dB SNR, -20 dB gain, speed 1.1,
the 8 kHz telephone line sent as mu-law and as linear16), streamed by dgtui's own client path (the conditioned
source, the live session) to the local server, unpaced, two streams at a time. Word error rate with the lanes'
normaliser against each clip's reference: how much each condition costs the local engine.
"""

from __future__ import annotations

import argparse
import asyncio
import os

from dgtui.audio.conditions import parse_conditions
from dgtui.audio.impair import condition
from dgtui.audio.local import FileSource
from dgtui.data import clips
from dgtui.judge.accuracy import word_errors
from dgtui.live.session import LiveSession, SessionConfig
from dgtui.server.app import ServerConfig
from tests.bench.report import emit_json, print_table
from tests.support.server import ServerThread

CONDITIONS = ["", "noise:snr=30", "noise:snr=20", "noise:snr=10", "gain:-20dB", "speed:1.1", "telephony",
              "telephony:linear16"]  # fmt: skip
OPTIONS = {"model": "nova-3", "interim_results": False, "smart_format": True}
AT_ONCE = 2


async def transcribe(url: str, path: str, spec: str, gate: asyncio.Semaphore) -> tuple[str, bool]:
    conditions = parse_conditions([spec] if spec else [])
    source = condition(FileSource(path, realtime=False), conditions)
    config = SessionConfig(f"{spec or 'clean'}", url, OPTIONS, close_timeout=120, conditions=conditions)
    async with gate:
        session = LiveSession(config, source)
        await session.run()
    return session.state.transcript.text(), session.state.clean


async def run_all(url: str, names: list[str]) -> dict[tuple[str, str], tuple[str, bool]]:
    gate = asyncio.Semaphore(AT_ONCE)
    by_name = {c.name: c for c in clips()}
    jobs = {(name, spec): transcribe(url, str(by_name[name].path), spec, gate) for name in names for spec in CONDITIONS}
    results = await asyncio.gather(*jobs.values())
    return dict(zip(jobs, results, strict=True))


def measure(names: list[str]) -> dict:
    references = {c.name: c.reference for c in clips()}
    server = ServerThread(ServerConfig(workers=2, admission=False)).start()
    try:
        results = asyncio.run(run_all(server.url, names))
    finally:
        server.stop()
    figures: dict = {"cores": os.cpu_count(), "clips": names, "wer": {}}
    rows = []
    for spec in CONDITIONS:
        errors = None
        row: list = [spec or "clean"]
        for name in names:
            text, clean = results[(name, spec)]
            found = word_errors(references[name], text, complete=clean)
            errors = found if errors is None else errors + found
            row.append(f"{found.wer:.1%}" + ("" if clean else " ✖"))
        assert errors is not None
        row.append(f"{errors.wer:.1%}")
        figures["wer"][spec or "clean"] = {"pooled": round(errors.wer, 4), **{
            name: round(word_errors(references[name], results[(name, spec)][0]).wer, 4) for name in names}}  # fmt: skip
        rows.append(row)
    print_table(f"word error rate per condition, local engine ({os.cpu_count()} cores, unpaced)",
                ["condition", *names, "pooled"], rows)  # fmt: skip
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", default=",".join(c.name for c in clips()), help="comma-separated clip names")
    args = parser.parse_args()
    emit_json({"bench": "conditions", **measure(args.clips.split(","))})


if __name__ == "__main__":
    main()
