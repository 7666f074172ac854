"""The pool of engine processes: many streams share a few workers; a worker that dies ends only its own streams
and is replaced."""

from __future__ import annotations

import asyncio
import json

import pytest

from dgtui.server.engine import ipc
from dgtui.server.engine.pool import EnginePool, EngineStream, EngineUnavailable
from tests.support.audio import clip_pcm

CONFIG = json.dumps({"options": {"encoding": "linear16", "sample_rate": 16000}, "metadata": {}}).encode()


async def frames_until_end(stream: EngineStream) -> list[bytes]:
    kinds: list[bytes] = []
    async with asyncio.timeout(60):
        while (frame := await stream.recv()) is not None:
            kinds.append(frame[0])
    return kinds


async def test_streams_share_the_workers_and_each_gets_its_own_results():
    pool = EnginePool(workers=2, engine="synthetic")
    await pool.start()
    try:
        pids = {worker.process.pid for worker in pool.workers}
        streams = [pool.open() for _ in range(6)]
        assert [len(worker.streams) for worker in pool.workers] == [3, 3]  # spread over the least busy
        pcm = clip_pcm("weather")[: 32000 * 3]
        for stream in streams:
            await stream.send(ipc.OPEN, CONFIG)
            await stream.send(ipc.AUDIO, pcm)
            await stream.send(ipc.CLOSE)
        results = await asyncio.gather(*(frames_until_end(stream) for stream in streams))
        for kinds in results:
            assert kinds[-1] == ipc.DONE and ipc.MESSAGE in kinds
        assert {worker.process.pid for worker in pool.workers} == pids  # no process started for a stream
        assert pool.streams == 0
    finally:
        await pool.close()
    assert all(worker.process.returncode is not None for worker in pool.workers)
    with pytest.raises(EngineUnavailable, match="closed"):
        pool.open()


async def test_a_worker_that_dies_ends_its_own_streams_and_is_replaced():
    pool = EnginePool(workers=2, engine="synthetic")
    await pool.start()
    try:
        doomed, spared = pool.open(), pool.open()
        assert doomed.worker is not spared.worker
        for stream in (doomed, spared):
            await stream.send(ipc.OPEN, CONFIG)
            await stream.send(ipc.AUDIO, clip_pcm("weather")[: 32000 * 2])
        doomed.worker.kill()
        assert ipc.DONE not in await frames_until_end(doomed)  # it ended without a report: the worker died
        with pytest.raises(ConnectionError):
            await doomed.send(ipc.AUDIO, b"\0" * 320)
        await spared.send(ipc.CLOSE)
        assert (await frames_until_end(spared))[-1] == ipc.DONE  # the other worker's stream went on
        async with asyncio.timeout(60):
            while pool.replaced < 1:
                await asyncio.sleep(0.05)
        assert all(worker.alive for worker in pool.workers) and len(pool.workers) == 2
        fresh = pool.open()
        await fresh.send(ipc.OPEN, CONFIG)
        await fresh.send(ipc.CLOSE)
        assert (await frames_until_end(fresh))[-1] == ipc.DONE
    finally:
        await pool.close()


async def test_the_first_worker_measures_its_real_time_factor():
    pool = EnginePool(workers=1)
    await pool.start()
    try:
        assert pool.rtf is not None and 0.001 < pool.rtf < 2.0  # pocketsphinx on a bundled clip, this machine
    finally:
        await pool.close()
