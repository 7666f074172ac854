"""Giving the C allocator's free pages back to the system while streams run, for a monitor left on for weeks.

Measured with the soak (``python -m tests.bench.soak``, 16 streams): glibc's heap grew 4-6 MB per simulated hour
while the memory in use in it stayed flat. Long-lived blocks (a raw message a tab keeps, an event-log line) sit
between freed ones, so the free space is seldom at the heap's top, where glibc returns it by itself.
``malloc_trim(0)`` returns every free whole page wherever it lies; with it the soak's RSS levelled off. It is
glibc's; with another C library (or none found) the trimmer does nothing.
"""

from __future__ import annotations

import asyncio
import ctypes
import sys
import time
from collections.abc import Callable

TRIM_EVERY = 30.0  # seconds of clock time between passes


def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None).malloc_trim  # the process's own C library
    except (OSError, AttributeError):  # not glibc (musl has none)
        return None


class Trimmer:
    """One pass every :data:`TRIM_EVERY` seconds while anything is running; counts its passes and their cost."""

    def __init__(self, every: float = TRIM_EVERY) -> None:
        self.every = every
        self.passes = 0
        self.slowest = 0.0  # seconds, the longest pass (it holds the event loop)
        self._trim = _malloc_trim()
        self._task: asyncio.Task[None] | None = None
        self._users = 0

    @property
    def available(self) -> bool:
        return self._trim is not None

    def trim(self) -> None:
        if self._trim is None:
            return
        started = time.perf_counter()
        self._trim(0)
        self.passes += 1
        self.slowest = max(self.slowest, time.perf_counter() - started)

    def acquire(self) -> None:
        """Something started running (a stream): the passes run until the last one releases."""
        self._users += 1
        if self._task is None and self._trim is not None:
            self._task = asyncio.get_running_loop().create_task(self._loop())

    def release(self) -> None:
        self._users = max(0, self._users - 1)
        if not self._users and self._task is not None:
            self._task.cancel()
            self._task = None

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            self.trim()
