"""Per-message cost of dgtui's client path, side by side with the official SDK, and send-loop pacing.

``python -m tests.bench.client``

* corpus: real messages from the local server streaming the bundled clips in real time (interims, finals, speech
  starts, utterance ends, Metadata), with punctuation and speaker labels, as they arrive on the wire;
* dgtui: decode (msgspec typed structs) + transcript update + metrics update, per message;
* SDK: ``deepgram-sdk``'s own parse of a received frame (``json.loads`` + ``construct_type`` into its
  ``V1SocketClientResponse`` union), exactly what its socket client does per message;
* pacing: a real-time session's send times against their schedule (jitter = actual - due).

Target: dgtui at least 5x less time per message than the SDK's parse alone; pacing jitter p99 <= 5 ms.
"""

from __future__ import annotations

import asyncio
import json
import time
import timeit
from dataclasses import dataclass, field

from dgtui.audio.base import SourceHooks
from dgtui.audio.chunks import LINEAR16, AudioChunk, AudioFormat
from dgtui.live.session import LiveSession, SessionConfig
from dgtui.protocol.messages import decode_message
from dgtui.server.app import ServerConfig
from dgtui.state.metrics import SessionMetrics
from dgtui.state.transcript import Transcript
from tests.bench.report import emit_json, percentile, print_table
from tests.support.audio import clip_pcm
from tests.support.client import stream
from tests.support.server import ServerThread

PACED_CHUNKS = 200
QUERY = (
    "encoding=linear16&sample_rate=16000&interim_results=true&endpointing=300&utterance_end_ms=1000"
    "&vad_events=true&punctuate=true&diarize=true"
)


def record_corpus(server: ServerThread) -> list[str]:
    async def run():
        names = ("council", "support", "weather", "science")
        runs = await asyncio.gather(*(stream(server.url, clip_pcm(n), QUERY) for n in names))
        return [json.dumps(m.data, separators=(",", ":")) for r in runs for m in r.messages]

    return asyncio.run(run())


def dgtui_path(corpus: list[str]) -> None:
    transcript, metrics = Transcript(), SessionMetrics()
    now = cursor = 0.0
    for raw in corpus:
        message = decode_message(raw)
        transcript.on_message(message)
        metrics.on_message(message, now, cursor)
        now += 0.25
        cursor += 0.25


def sdk_path(corpus: list[str]) -> None:
    from deepgram.core.unchecked_base_model import construct_type
    from deepgram.listen.v1.socket_client import V1SocketClientResponse

    for raw in corpus:
        construct_type(type_=V1SocketClientResponse, object_=json.loads(raw))


def per_message_us(fn, corpus: list[str], repeat: int = 7) -> float:
    number = max(1, 2000 // len(corpus))
    best = min(timeit.repeat(lambda: fn(corpus), number=number, repeat=repeat))
    return best / number / len(corpus) * 1e6


@dataclass
class _PacedSource:
    """20 s of silence in 100 ms chunks, paced by the session as a file would be (an AudioSource)."""

    name: str = "pacing"
    description: str = "silence"
    format: AudioFormat = LINEAR16
    realtime: bool = True
    reopenable: bool = False
    error: str | None = None
    hooks: SourceHooks = field(default_factory=SourceHooks)

    async def chunks(self):
        for i in range(1, PACED_CHUNKS + 1):
            yield AudioChunk(b"\0" * 3200, i / 10)


def pacing_jitter_ms(server: ServerThread) -> list[float]:
    """Send times against their schedule, measured at the socket (wrapping the connection's send)."""
    sends: list[float] = []

    async def run() -> LiveSession:
        session = LiveSession(SessionConfig("pacing", server.url), _PacedSource())
        import dgtui.live.session as module

        original = module.open_connection

        async def timed_open(*args, **kwargs):
            ws, timings = await original(*args, **kwargs)
            send = ws.send

            async def timed_send(data, *a, **k):
                if isinstance(data, bytes):
                    sends.append(time.monotonic())
                return await send(data, *a, **k)

            ws.send = timed_send
            return ws, timings

        module.open_connection = timed_open
        try:
            await session.run()
        finally:
            module.open_connection = original
        return session

    asyncio.run(run())
    start = sends[0]
    return [((t - start) - i * 0.1) * 1000 for i, t in enumerate(sends)]


def main() -> None:
    server = ServerThread(ServerConfig(workers=2, admission=False)).start()
    try:
        corpus = record_corpus(server)
        jitter = pacing_jitter_ms(server)
    finally:
        server.stop()
    kinds: dict[str, int] = {}
    for raw in corpus:
        kind = json.loads(raw)["type"]
        kinds[kind] = kinds.get(kind, 0) + 1
    dgtui_us = per_message_us(dgtui_path, corpus)
    sdk_us = per_message_us(sdk_path, corpus)
    json_us = per_message_us(lambda c: [json.loads(r) for r in c], corpus)
    print_table(
        f"Client path per message ({len(corpus)} recorded messages: {kinds})",
        ["path", "us / message", "x dgtui"],
        [
            ["dgtui: decode + transcript + metrics", dgtui_us, 1.0],
            ["deepgram-sdk: parse only", sdk_us, sdk_us / dgtui_us],
            ["json.loads alone", json_us, json_us / dgtui_us],
        ],
    )
    print_table(
        f"Send-loop pacing ({PACED_CHUNKS} chunks of 100 ms, real time)",
        ["p50 ms", "p95 ms", "p99 ms", "max ms"],
        [[percentile(jitter, 50), percentile(jitter, 95), percentile(jitter, 99), max(jitter)]],
    )
    emit_json(
        {
            "bench": "client",
            "messages": len(corpus),
            "dgtui_us_per_message": dgtui_us,
            "sdk_us_per_message": sdk_us,
            "json_loads_us_per_message": json_us,
            "sdk_over_dgtui": sdk_us / dgtui_us,
            "pacing_jitter_ms": {
                "p50": percentile(jitter, 50),
                "p95": percentile(jitter, 95),
                "p99": percentile(jitter, 99),
                "max": max(jitter),
            },
        }
    )


if __name__ == "__main__":
    main()
