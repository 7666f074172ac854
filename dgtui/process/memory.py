"""Keeping the C allocator's heap from growing in a process left on for weeks (a monitor, ``dgtui serve``).

Measured with the soak (``python -m tests.bench.soak``, 16 streams): glibc's heap grew about 6 MB per simulated
hour while the memory in use in it stayed flat at 27 MB. The cause is glibc's sliding mmap threshold. A block of
128 KiB or more starts out mapped on its own and unmapped when freed, but each such free raises the threshold to
that block's size (up to 32 MiB), so from then on the large passing buffers (asyncio's 256 KiB socket reads, the
gzip of a segment) are cut from the heap, and the small long-lived blocks allocated between them keep their
space from ever being reused whole. Pinning the threshold with ``mallopt`` turns that rule off; with it the
soak's heap stayed at 30 MB for hours. ``malloc_trim(0)`` every 30 s then gives back the free whole pages left
inside the heap. Both are glibc's; with another C library (or none found) they do nothing.
"""

from __future__ import annotations

import asyncio
import ctypes
import sys
import time

TRIM_EVERY = 30.0  # seconds of clock time between passes
M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)
MMAP_THRESHOLD = 128 * 1024  # glibc's own starting value, kept from then on


def _libc() -> ctypes.CDLL | None:
    """The process's own C library when it is glibc (the one with both calls), else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
        libc.malloc_trim.argtypes, libc.mallopt.argtypes = [ctypes.c_size_t], [ctypes.c_int, ctypes.c_int]
    except (OSError, AttributeError):  # musl has neither
        return None
    return libc


_pinned = False


def pin_mmap_threshold(libc: ctypes.CDLL | None = None) -> bool:
    """Keep large blocks mapped on their own for the rest of the process (once; idempotent). True if pinned."""
    global _pinned
    libc = libc or _libc()
    if not _pinned and libc is not None:
        _pinned = bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    return _pinned


class Trimmer:
    """While anything runs: the mmap threshold pinned, and one trim pass every :data:`TRIM_EVERY` seconds;
    counts its passes and their cost."""

    def __init__(self, every: float = TRIM_EVERY) -> None:
        self.every = every
        self.passes = 0
        self.slowest = 0.0  # seconds, the longest pass (it holds the event loop)
        self._libc = _libc()
        self._task: asyncio.Task[None] | None = None
        self._users = 0

    @property
    def available(self) -> bool:
        return self._libc is not None

    def trim(self) -> None:
        if self._libc is None:
            return
        started = time.perf_counter()
        self._libc.malloc_trim(0)
        self.passes += 1
        self.slowest = max(self.slowest, time.perf_counter() - started)

    def acquire(self) -> None:
        """Something started running (a stream, a server): the passes run until the last one releases."""
        self._users += 1
        if self._task is None and self._libc is not None:
            pin_mmap_threshold(self._libc)
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
