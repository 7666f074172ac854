"""How faithful the local engine's results are: ``python -m tests.bench.formatting [--clips weather,council]``.

For every bundled clip, streamed unpaced to the local server: the word error rate with ``smart_format`` off and
on (the lanes' normaliser, so "10" and "ten" match: formatting is not counted as errors), with 20, 50, 80, 100
and 250 ms chunks (whether the finals are the same), and as an 8 kHz call (linear16 and mu-law at 8000).
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
from dgtui.server.app import ServerConfig
from tests.bench.report import emit_json, print_table
from tests.support.audio import clip_pcm
from tests.support.client import stream
from tests.support.server import ServerThread

QUERY = "encoding=linear16&sample_rate=16000&interim_results=true&utterance_end_ms=1000&endpointing=300"
CHUNKS_MS = (20, 50, 80, 100, 250)


async def call_audio(name: str, send: str) -> bytes:
    """The clip as an 8 kHz call, as dgtui's telephony condition makes it."""
    source = condition(FileSource(next(c.path for c in clips() if c.name == name), realtime=False),
                       parse_conditions([f"telephony:{send}"]))  # fmt: skip
    return b"".join([chunk.data async for chunk in source.chunks()])


async def measure_clip(url: str, name: str, reference: str) -> dict:
    pcm = clip_pcm(name)
    plain = await stream(url, pcm, QUERY, realtime=False)
    runs = {ms: await stream(url, pcm, QUERY + "&smart_format=true", realtime=False, chunk_ms=ms) for ms in CHUNKS_MS}
    finals = {ms: [(f["start"], f["channel"]["alternatives"][0]["transcript"]) for f in run.finals]
              for ms, run in runs.items()}  # fmt: skip
    calls = {}
    for send, rate in (("linear16", 16000), ("mulaw", 8000)):
        audio = await call_audio(name, send)
        query = QUERY.replace("encoding=linear16&sample_rate=16000", f"encoding={send}&sample_rate=8000")
        calls[send] = await stream(url, audio, query + "&smart_format=true", realtime=False,
                                   bytes_per_second=rate)  # fmt: skip
    return {
        "smart_format_off": word_errors(reference, plain.transcript()).wer,
        "smart_format_on": word_errors(reference, runs[100].transcript()).wer,
        "chunks_same_finals": all(finals[ms] == finals[100] for ms in CHUNKS_MS),
        "chunk_wer": {ms: word_errors(reference, run.transcript()).wer for ms, run in runs.items()},
        "8k_linear16": word_errors(reference, calls["linear16"].transcript()).wer,
        "8k_mulaw": word_errors(reference, calls["mulaw"].transcript()).wer,
        "example": runs[100].transcript()[:90],
    }


def measure(names: list[str]) -> dict:
    references = {c.name: c.reference for c in clips()}
    server = ServerThread(ServerConfig(workers=1, admission=False)).start()
    try:
        results = {name: asyncio.run(measure_clip(server.url, name, references[name])) for name in names}
    finally:
        server.stop()
    rows = [[name, f"{r['smart_format_off']:.1%}", f"{r['smart_format_on']:.1%}",
             "same" if r["chunks_same_finals"] else "DIFFER", f"{r['8k_linear16']:.1%}", f"{r['8k_mulaw']:.1%}"]
            for name, r in results.items()]  # fmt: skip
    print_table(f"the local engine, unpaced ({os.cpu_count()} cores): word error rate (normalised)",
                ["clip", "smart_format off", "on", "finals at 20-250 ms chunks", "8 kHz linear16", "8 kHz mu-law"],
                rows)  # fmt: skip
    for name, r in results.items():
        print(f"{name}: {r['example']}")
    return {"cores": os.cpu_count(), "clips": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", default=",".join(c.name for c in clips()), help="comma-separated clip names")
    args = parser.parse_args()
    emit_json({"bench": "formatting", **measure(args.clips.split(","))})


if __name__ == "__main__":
    main()
