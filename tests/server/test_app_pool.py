"""The server on its shared pool: past its capacity a stream is refused with Deepgram's 429; an engine process
that dies ends only its own streams, with Deepgram's 1011, and is replaced."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from dgtui.server.admission import HEADROOM
from tests.support.audio import clip_pcm

RAW16 = "encoding=linear16&sample_rate=16000"


async def test_past_its_capacity_a_stream_is_refused_with_deepgrams_429_and_a_closed_one_frees_its_place(
    make_server,
):
    server = make_server(capacity=2, admission=True, engine="synthetic")
    first = await websockets.connect(f"{server.url}?{RAW16}")
    second = await websockets.connect(f"{server.url}?{RAW16}")
    try:
        with pytest.raises(InvalidStatus) as refused:
            await websockets.connect(f"{server.url}?{RAW16}")
        response = refused.value.response
        body = json.loads(response.body)
        assert response.status_code == 429 and body["err_code"] == "TOO_MANY_REQUESTS"
        assert response.headers["dg-error"] == body["err_msg"] and response.headers["dg-request-id"]
        await first.send('{"type":"CloseStream"}')
        async for _ in first:
            pass
        for _ in range(100):  # bounded: the server lets go of the stream once its close is done
            if server.active_sessions < 2:
                break
            await asyncio.sleep(0.05)
        third = await websockets.connect(f"{server.url}?{RAW16}")
        await third.close()
    finally:
        await first.close()
        await second.close()


def test_the_measured_capacity_follows_the_engines_real_time_factor(make_server):
    server = make_server(admission=True)  # one pocketsphinx process
    admission = server.server.admission
    assert admission.rtf is not None and admission.limit == max(1, int(HEADROOM / admission.rtf + 1e-9))


async def test_an_engine_process_that_dies_fails_only_its_streams_and_is_replaced(make_server):
    server = make_server(workers=2, engine="synthetic")
    pool = server.server.pool
    pcm = clip_pcm("weather")

    async def talk(ws, seconds: float) -> None:
        for offset in range(0, int(seconds * 32000), 3200):
            await ws.send(pcm[offset : offset + 3200])
            await asyncio.sleep(0.02)

    doomed = await websockets.connect(f"{server.url}?{RAW16}")
    spared = await websockets.connect(f"{server.url}?{RAW16}")
    await talk(doomed, 1.0)
    await talk(spared, 1.0)
    assert sorted(len(worker.streams) for worker in pool.workers) == [1, 1]
    victim = next(worker for worker in pool.workers if worker.streams)
    victim_streams = set(victim.streams)
    victim.process.kill()
    with pytest.raises(ConnectionClosed):
        async with asyncio.timeout(30):
            while True:
                await doomed.recv()
    assert doomed.close_code == 1011 and "dpgr.am/net0000" in doomed.close_reason  # what Deepgram sends
    await talk(spared, 1.0)
    await spared.send('{"type":"CloseStream"}')
    messages = [json.loads(m) async for m in spared]
    assert spared.close_code == 1000 and messages[-1]["type"] == "Metadata"  # the other process's stream went on
    deadline = time.monotonic() + 30
    while pool.replaced < 1 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert pool.replaced == 1 and all(worker.alive for worker in pool.workers)
    assert not victim_streams & {s for worker in pool.workers for s in worker.streams}
    fresh = await websockets.connect(f"{server.url}?{RAW16}")
    await talk(fresh, 1.0)
    await fresh.send('{"type":"CloseStream"}')
    assert [json.loads(m) async for m in fresh][-1]["type"] == "Metadata" and fresh.close_code == 1000


async def test_a_file_sent_fast_does_not_hold_up_a_stream_sent_in_real_time_on_the_same_process(make_server):
    server = make_server(workers=1)  # both streams on one engine process
    backlog = clip_pcm("council") * 3  # ~80 s of audio, sent at once: seconds of decoding queue up
    arrivals: list[tuple[str, str]] = []  # (stream, what), in the order they came

    async def fast() -> None:
        async with websockets.connect(f"{server.url}?{RAW16}", max_size=None) as ws:
            for offset in range(0, len(backlog), 64000):
                await ws.send(backlog[offset : offset + 64000])
            await ws.send('{"type":"CloseStream"}')
            async for raw in ws:
                if json.loads(raw)["type"] == "Metadata":
                    arrivals.append(("fast", "Metadata"))

    async def live() -> None:
        pcm = clip_pcm("weather")[: 32000 * 4]
        async with websockets.connect(f"{server.url}?{RAW16}") as ws:
            for offset in range(0, len(pcm), 3200):
                await ws.send(pcm[offset : offset + 3200])
                await asyncio.sleep(0.1)
            await ws.send('{"type":"CloseStream"}')
            async for raw in ws:
                message = json.loads(raw)
                if message["type"] == "Results" and message["is_final"]:
                    arrivals.append(("live", "final"))

    fast_task = asyncio.create_task(fast())
    await asyncio.sleep(0.3)  # the backlog is queued first
    await asyncio.wait_for(live(), 120)
    await asyncio.wait_for(fast_task, 120)
    # In turns, the live stream's finals come while the backlog is still being decoded; first come first served,
    # they would wait behind it.
    assert arrivals.index(("live", "final")) < arrivals.index(("fast", "Metadata")), arrivals
