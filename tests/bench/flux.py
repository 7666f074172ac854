"""Flux turn-taking on the local engine: how long after speech ends does EndOfTurn come, and how often is an
eager end taken back.

``python -m tests.bench.flux``

Each bundled clip goes through the engine's Flux path (the recognizer fed 0.25 s at a time, as a server worker
does), once with eager end of turn off and once with ``eager_eot_threshold=0.4``, at ``eot_threshold`` 0.7.
End-of-turn latency is in audio time: ``audio_window_end`` of EndOfTurn minus the end of the turn's last word
as the engine timed it. Wall-clock latency adds the network and the engine's decoding delay (RTF ~0.15) on
top. Deepgram quotes about 260 ms at p50 for its model.
"""

from __future__ import annotations

import json
from typing import Any

from dgtui.data import clips
from dgtui.server.engine import ipc
from dgtui.server.engine.recognizer import new_decoder
from dgtui.server.engine.worker import EngineSession
from tests.bench.report import emit_json, percentile, print_table
from tests.support.audio import clip_pcm

ENGINE = {"interim_results": True, "punctuate": True, "endpointing": 300, "encoding": "linear16", "sample_rate": 16000}


class Collect:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def send(self, kind: bytes, payload: bytes = b"") -> None:
        if kind == ipc.MESSAGE:
            self.messages.append(json.loads(payload))


def run(name: str, eager: float | None) -> list[dict[str, Any]]:
    out = Collect()
    flux = {"eot_threshold": 0.7, "eager_eot_threshold": eager, "eot_timeout_ms": 5000}
    session = EngineSession({"options": ENGINE, "metadata": {}, "flux": flux}, new_decoder(), out)  # type: ignore[arg-type]
    session.audio(clip_pcm(name))
    session.close(flush=True)
    return out.messages


def main() -> None:
    rows, figures = [], {}
    for eager in (None, 0.4):
        gaps, turns, eagers, resumed = [], 0, 0, 0
        for clip in clips():
            for message in run(clip.name, eager):
                event = message.get("event")
                if event == "EndOfTurn" and message["words"]:
                    turns += 1
                    gaps.append(message["audio_window_end"] - message["words"][-1]["end"])
                eagers += event == "EagerEndOfTurn"
                resumed += event == "TurnResumed"
        label = "off" if eager is None else f"{eager:g}"
        p50, p95 = percentile(gaps, 50) * 1000, percentile(gaps, 95) * 1000
        rows.append(
            [label, str(turns), f"{p50:.0f}", f"{p95:.0f}", f"{max(gaps) * 1000:.0f}", str(eagers), str(resumed)]
        )
        figures[f"eager_{label}"] = {
            "turns": turns,
            "eot_after_speech_ms": {"p50": round(p50), "p95": round(p95), "max": round(max(gaps) * 1000)},
            "eager": eagers,
            "resumed": resumed,
            "resumed_rate": round(resumed / eagers, 3) if eagers else None,
        }
    print_table(
        "Flux end of turn on the local engine (audio time, eot_threshold 0.7)",
        ["eager", "turns", "EoT p50 ms", "p95 ms", "max ms", "eager ends", "resumed"],
        rows,
    )
    emit_json({"bench": "flux", **figures})


if __name__ == "__main__":
    main()
