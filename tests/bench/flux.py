"""Flux turn-taking against the local server: how long after speech really ends does EndOfTurn come, and how
often is an eager end of turn taken back.

``python -m tests.bench.flux [--streams 1 4]``

The bundled clips are streamed in real time by dgtui's own client to ``dgtui serve``'s ``/v2/listen`` (the
local engine), ``eager_eot_threshold`` 0.4 and ``eot_threshold`` 0.7, one stream at a time and then several at
once. The reference end of each sentence comes from the audio itself, not from the engine: the clips are
synthetic speech with digital silence between sentences, so a run of 300 ms below -50 dBFS after speech marks
where a sentence ended. Each EndOfTurn is matched to the last reference end before it.

* audio: ``audio_window_end`` of EndOfTurn minus the reference end (what the engine needed to hear);
* wall: EndOfTurn's arrival minus when the audio at the reference end was sent (adds the network, the chunking
  and the engine's decoding delay);
* resumed: TurnResumed per EagerEndOfTurn (speculative work thrown away).

Deepgram quotes about 260 ms at p50 for its own model (measured how, it does not say).
"""

from __future__ import annotations

import argparse
import asyncio
import math
from array import array
from typing import Any

from dgtui.audio.local import FileSource
from dgtui.data import clips
from dgtui.live.session import LiveSession, SessionConfig
from dgtui.protocol.flux import END_OF_TURN, TurnInfo
from dgtui.server.app import ServerConfig
from dgtui.state.events import Event, MessageReceived
from tests.bench.report import emit_json, percentile, print_table
from tests.support.audio import clip_pcm
from tests.support.server import ServerThread

FRAME = 160  # 10 ms at 16 kHz
SILENCE_DBFS = -50.0
MIN_SILENCE_S = 0.3
OPTIONS = {"model": "flux-general-en", "eager_eot_threshold": 0.4, "eot_threshold": 0.7}


def speech_ends(pcm: bytes) -> list[float]:
    """Where each sentence ends: the start of every run of at least 300 ms of near-silence after speech."""
    samples = array("h", pcm)
    ends, quiet_from, speaking = [], None, False
    for index in range(0, len(samples) - FRAME, FRAME):
        frame = samples[index : index + FRAME]
        rms = math.sqrt(sum(s * s for s in frame) / FRAME) or 1e-9
        loud = 20 * math.log10(rms / 32768) > SILENCE_DBFS
        at = index / 16000
        if loud:
            speaking, quiet_from = True, None
        elif speaking:
            quiet_from = at if quiet_from is None else quiet_from
            if at - quiet_from >= MIN_SILENCE_S:
                ends.append(quiet_from)
                speaking, quiet_from = False, None
    if speaking:
        ends.append(len(samples) / 16000)
    return ends


async def stream(url: str, name: str) -> dict[str, Any]:
    ends_at: list[tuple[TurnInfo, float]] = []

    def listen(event: Event) -> None:
        message = event.message if isinstance(event, MessageReceived) else None
        if isinstance(message, TurnInfo) and message.event == END_OF_TURN:
            ends_at.append((message, event.received_at))  # type: ignore[union-attr]

    clip = next(c for c in clips() if c.name == name)
    session = LiveSession(SessionConfig(name, url, dict(OPTIONS)), FileSource(clip.path), [listen])
    await session.run()
    reference = speech_ends(clip_pcm(name))
    audio, wall = [], []
    for message, received_at in ends_at:
        before = [end for end in reference if end <= message.audio_window_end + 1e-6]
        if not before or message.trigger != "model":
            continue
        audio.append(message.audio_window_end - before[-1])
        sent = session.state.turns.sent_at(before[-1])
        if sent is not None:
            wall.append(received_at - sent)
    events = session.state.turns.metrics.events
    return {"audio": audio, "wall": wall, "eager": events["EagerEndOfTurn"], "resumed": events["TurnResumed"],
            "turns": events[END_OF_TURN], "sentences": len(reference),
            "error": session.state.connection.error}  # fmt: skip


async def run(url: str, streams: int) -> list[dict[str, Any]]:
    names = [c.name for c in clips()]
    if streams == 1:
        return [await stream(url, name) for name in names[:2]]  # one at a time
    return list(await asyncio.gather(*(stream(url, names[i % len(names)]) for i in range(streams))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args()
    server = ServerThread(ServerConfig(workers=2, admission=False)).start()
    rows, figures = [], {}
    try:
        for count in args.streams:
            results = asyncio.run(run(server.url, count))
            audio = [v for r in results for v in r["audio"]]
            wall = [v for r in results for v in r["wall"]]
            eager, resumed = sum(r["eager"] for r in results), sum(r["resumed"] for r in results)
            turns, sentences = sum(r["turns"] for r in results), sum(r["sentences"] for r in results)
            errors = [r["error"] for r in results if r["error"]]
            p = {name: round(percentile(values, q) * 1000) if values else None
                 for name, values, q in (("audio_p50", audio, 50), ("audio_p95", audio, 95), ("wall_p50", wall, 50),
                                         ("wall_p95", wall, 95))}  # fmt: skip
            rate = resumed / eager if eager else None
            rows.append([count, f"{turns}/{sentences}", p["audio_p50"], p["audio_p95"], p["wall_p50"], p["wall_p95"],
                         eager, "-" if rate is None else f"{rate:.0%}", len(errors)])  # fmt: skip
            figures[f"streams_{count}"] = {**p, "turns": turns, "sentences": sentences, "eager": eager,
                                           "resumed": resumed, "resumed_rate": rate, "errors": errors}  # fmt: skip
    finally:
        server.stop()
    print_table(
        "Flux EndOfTurn after the reference end of speech (ms; local engine, eot 0.7, eager 0.4, real time)",
        ["streams", "turns/sentences", "audio p50", "audio p95", "wall p50", "wall p95", "eager", "resumed", "errors"],
        rows,
    )
    emit_json({"bench": "flux", **figures})


if __name__ == "__main__":
    main()
