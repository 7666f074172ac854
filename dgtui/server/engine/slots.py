"""Cross-process CPU slots: at most N engine workers recognize at the same moment.

Measured on 2 cores: two decoders at once cost what one does per audio second, four at once cost 58 % more
each, because time-slicing evicts each decoder's model from the caches. Holding a slot for one chunk of work
(~15 ms) lets the others sleep instead, so eight streams fit where four did not. Slots are ``flock`` locks
on files in a directory the pool creates; a worker that dies releases its slot with its file descriptors.
"""

from __future__ import annotations

import fcntl
import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class CpuSlots:
    def __init__(self, directory: str | os.PathLike[str], count: int) -> None:
        self._fds = [os.open(Path(directory) / f"slot-{i}.lock", os.O_RDWR | os.O_CREAT, 0o600) for i in range(count)]

    @contextmanager
    def held(self) -> Iterator[None]:
        fd = self._acquire()
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def _acquire(self) -> int:
        for fd in self._fds:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                continue
        fd = random.choice(self._fds)
        fcntl.flock(fd, fcntl.LOCK_EX)
        return fd


class NoSlots:
    """No limit (a single stream, or slots disabled)."""

    @contextmanager
    def held(self) -> Iterator[None]:
        yield
