"""Results do not depend on how a client cuts its audio: 20, 50, 80, 100 and 250 ms chunks (LiveKit sends 50,
Flux clients 80, the SDK examples up to 1 s) give the same finals, on Nova and on Flux, through the real
server."""

from __future__ import annotations

import pytest

from tests.support.audio import clip_pcm
from tests.support.client import stream

CHUNKS_MS = (20, 50, 80, 250)  # each against 100 ms
NOVA = "encoding=linear16&sample_rate=16000&interim_results=true&smart_format=true&utterance_end_ms=1000"


def finals(run) -> list[tuple]:  # type: ignore[no-untyped-def]
    return [(f["start"], f["duration"], f["speech_final"], f["channel"]["alternatives"][0]["transcript"],
             tuple((w["word"], w["start"], w["end"]) for w in f["channel"]["alternatives"][0]["words"]))
            for f in run.finals]  # fmt: skip


@pytest.mark.parametrize(("clip", "endpointing"), [("council", 10), ("support", 300)])
async def test_nova_finals_are_the_same_whatever_the_chunk_size(server, clip, endpointing):
    audio = clip_pcm(clip)[: 32000 * 9]
    query = f"{NOVA}&endpointing={endpointing}"
    expected = finals(await stream(server.url, audio, query, realtime=False, chunk_ms=100))
    assert len(expected) >= 2 and any(text for _, _, _, text, _ in expected)
    for chunk_ms in CHUNKS_MS:
        assert finals(await stream(server.url, audio, query, realtime=False, chunk_ms=chunk_ms)) == expected, chunk_ms


async def test_flux_turns_are_the_same_whatever_the_chunk_size(server):
    audio = clip_pcm("support")[: 32000 * 8]
    url = server.url.replace("/v1/listen", "/v2/listen")
    query = "model=flux-general-en&encoding=linear16&sample_rate=16000"

    async def turns(chunk_ms: int) -> list[tuple]:
        run = await stream(url, audio, query, realtime=False, chunk_ms=chunk_ms, close_with='{"type":"CloseStream"}')
        return [(m["turn_index"], m["transcript"], m["audio_window_start"], m["audio_window_end"])
                for m in run.of_type("TurnInfo") if m["event"] == "EndOfTurn"]  # fmt: skip

    expected = await turns(80)
    assert expected and all(text for _, text, _, _ in expected)
    for chunk_ms in (20, 50, 100, 250):
        assert await turns(chunk_ms) == expected, chunk_ms
