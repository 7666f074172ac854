"""Warm engine workers: started before streams come, handed out ready, replaced, all stopped at close."""

from __future__ import annotations

import asyncio

import pytest

from dgtui.server.engine import ipc
from dgtui.server.engine.pool import EnginePool, EngineUnavailable


async def test_warm_workers_are_ready_and_each_one_taken_is_replaced():
    pool = EnginePool(warm=2, cpu_slots=0, engine="synthetic")
    await pool.start()
    try:
        await pool.wait_warm(timeout=60)
        first = await pool.acquire()
        assert first.process.returncode is None
        await pool.wait_warm(timeout=60)  # its replacement started in the background
        assert pool._ready.qsize() == 2
        await first.send(ipc.CLOSE)
        await first.stop()
    finally:
        await pool.close()
    assert all(w.process.returncode is not None for w in pool._all)
    with pytest.raises(EngineUnavailable, match="closed"):
        await asyncio.wait_for(pool.acquire(), 5)


def test_the_cpu_slots_a_worker_is_told_to_share():
    pool = EnginePool(warm=0, cpu_slots=3)
    assert pool.slots_config() == {"dir": pool.slots_dir, "count": 3}
    assert EnginePool(warm=0, cpu_slots=0).slots_config() is None
