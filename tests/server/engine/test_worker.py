"""Engine worker processes: a worker serves one stream, then ends by itself, cleanly."""

from __future__ import annotations

import asyncio
import json

from dgtui.server.engine import ipc
from dgtui.server.engine.pool import EnginePool
from tests.support.audio import clip_pcm


async def test_a_worker_ends_with_status_0_after_its_stream_and_prints_nothing():
    pool = EnginePool(warm=0, stderr=asyncio.subprocess.PIPE, cpu_slots=0)
    pcm = clip_pcm("weather")[: 16000 * 2 * 2]
    try:
        for _ in range(3):  # how the exit meets the worker's stdin reader depends on timing: a few rounds
            worker = await pool.acquire()
            config = {"options": {"encoding": "linear16", "sample_rate": 16000}, "metadata": {}}
            await worker.send(ipc.OPEN, json.dumps(config).encode())
            await worker.send(ipc.AUDIO, pcm)
            await worker.send(ipc.CLOSE)
            kinds = []
            async with asyncio.timeout(60):
                while (frame := await worker.recv()) is not None:
                    kinds.append(frame[0])
            assert kinds[-1] == ipc.DONE and ipc.MESSAGE in kinds
            await worker.stop()
            assert worker.process.returncode == 0  # it ended by itself: not killed, and no abort at exit
            assert worker.process.stderr is not None
            assert await worker.process.stderr.read() == b""  # no "Fatal Python error" at shutdown
    finally:
        await pool.close()
