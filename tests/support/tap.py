"""The tap for tests: a :class:`~dgtui.tap.runner.TapRunner` on the test's loop (``running_tap``) or on a thread
of its own for clients that block (Deepgram's SDK: ``TapThread``), and the bounded wait for analysis."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator
from typing import Any

from dgtui.tap.runner import TapRunner, TapSession


@contextlib.asynccontextmanager
async def running_tap(upstream: str, **options: Any) -> AsyncIterator[TapRunner]:
    runner = TapRunner(upstream, **options)
    await runner.start()
    try:
        yield runner
    finally:
        await runner.close()


class TapThread:
    def __init__(self, upstream: str, **options: Any) -> None:
        self.runner = TapRunner(upstream, **options)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dgtui-test-tap", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self.runner.start())
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self.runner.close())

    def __enter__(self) -> TapThread:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the tap did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    @property
    def root(self) -> str:
        return self.runner.url


async def until_closed(sessions: list[TapSession], count: int = 1) -> None:
    """Wait (bounded) until ``count`` tapped streams have ended: analysis runs just behind the traffic."""
    for _ in range(250):
        if len(sessions) >= count and all(s.ended.is_set() for s in sessions[:count]):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{count} tapped stream(s) did not end: {[s.state.connection.phase for s in sessions]}")


def wait_until_closed(sessions: list[TapSession], count: int = 1) -> None:
    """The same from a thread that is not the tap's (the SDK's tests)."""
    import time

    for _ in range(250):
        if len(sessions) >= count and all(s.ended.is_set() for s in sessions[:count]):
            return
        time.sleep(0.02)
    raise AssertionError(f"{count} tapped stream(s) did not end")
