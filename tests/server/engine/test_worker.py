"""An engine worker process: many streams in turns, a failure in one ends that one, and a clean exit when the
server closes its input."""

from __future__ import annotations

import asyncio
import json

from dgtui.server.engine import ipc
from dgtui.server.engine.pool import EnginePool
from tests.support.audio import clip_pcm


async def test_a_worker_serves_streams_one_after_another_and_exits_cleanly_when_its_input_closes():
    pool = EnginePool(workers=1, stderr=asyncio.subprocess.PIPE)
    await pool.start()
    worker = pool.workers[0]
    pcm = clip_pcm("weather")[: 16000 * 2 * 2]
    config = {"options": {"encoding": "linear16", "sample_rate": 16000}, "metadata": {}}
    finals: list[str] = []
    try:
        for _ in range(3):  # the same decoder, given back and taken again: the same words each time
            stream = pool.open()
            await stream.send(ipc.OPEN, json.dumps(config).encode())
            await stream.send(ipc.AUDIO, pcm)
            await stream.send(ipc.CLOSE)
            messages = []
            async with asyncio.timeout(60):
                while (frame := await stream.recv()) is not None:
                    if frame[0] == ipc.MESSAGE:
                        messages.append(json.loads(frame[1]))
            finals.append(" ".join(m["channel"]["alternatives"][0]["transcript"] for m in messages
                                   if m.get("is_final")))  # fmt: skip
        assert finals[0] and finals == [finals[0]] * 3, finals
    finally:
        await pool.close()
    assert worker.process.returncode == 0  # it ended by itself when its input closed: not killed
    assert worker.process.stderr is not None
    assert await worker.process.stderr.read() == b""  # no "Fatal Python error" at shutdown


async def test_undecodable_audio_fails_its_stream_and_not_the_worker():
    pool = EnginePool(workers=1, engine="synthetic")
    await pool.start()
    try:
        bad, good = pool.open(), pool.open()
        await bad.send(ipc.OPEN, json.dumps({"options": {}, "metadata": {}}).encode())
        await good.send(ipc.OPEN, json.dumps({"options": {"encoding": "linear16", "sample_rate": 16000},
                                              "metadata": {}}).encode())  # fmt: skip
        await bad.send(ipc.AUDIO, b"\x01\x02 not a container " * 5000)
        await bad.send(ipc.CLOSE)
        await good.send(ipc.AUDIO, clip_pcm("weather")[: 32000 * 2])
        await good.send(ipc.CLOSE)
        kinds = {}
        for name, stream in (("bad", bad), ("good", good)):
            kinds[name] = []
            async with asyncio.timeout(60):
                while (frame := await stream.recv()) is not None:
                    kinds[name].append(frame[0])
        assert ipc.ERROR in kinds["bad"] and kinds["bad"][-1] == ipc.DONE
        assert ipc.ERROR not in kinds["good"] and ipc.MESSAGE in kinds["good"] and kinds["good"][-1] == ipc.DONE
        assert pool.workers[0].alive
    finally:
        await pool.close()
