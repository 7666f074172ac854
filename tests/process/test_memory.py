"""The trimmer that gives the allocator's free pages back while streams run."""

from __future__ import annotations

import asyncio
import ctypes
import subprocess
import sys

import pytest

from dgtui.process.memory import Trimmer


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="malloc_trim is glibc's, on Linux")
def test_passes_run_while_anything_runs_and_stop_with_the_last():
    async def main() -> Trimmer:
        trimmer = Trimmer(every=0.01)
        assert trimmer.available
        trimmer.acquire()
        trimmer.acquire()
        for _ in range(200):  # bounded: a few passes come within a few loop turns of 10 ms
            await asyncio.sleep(0.01)
            if trimmer.passes >= 3:
                break
        trimmer.release()
        assert trimmer._task is not None  # one stream still runs
        trimmer.release()
        assert trimmer._task is None
        passes = trimmer.passes
        await asyncio.sleep(0.05)
        assert trimmer.passes == passes  # none after the last stream ended
        return trimmer

    trimmer = asyncio.run(main())
    assert trimmer.passes >= 3 and trimmer.slowest > 0


PROBE = """
import ctypes, sys
from dgtui.process.memory import pin_mmap_threshold

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
block = bytearray(8 << 20)  # mapped on its own; freeing it raises glibc's threshold to 8 MiB ...
del block
if sys.argv[1] == "pin":
    assert pin_mmap_threshold()
mapped = libc.mallinfo2().hblkhd
block = bytearray(1 << 20)  # ... so this one comes from the heap, unless the threshold is pinned
print(libc.mallinfo2().hblkhd - mapped)
"""


def _has_mallinfo2() -> bool:
    try:
        ctypes.CDLL(None).mallinfo2  # noqa: B018  (glibc 2.33 and later)
    except (OSError, AttributeError):
        return False
    return True


@pytest.mark.skipif(not sys.platform.startswith("linux") or not _has_mallinfo2(),
                    reason="the probe reads glibc's mallinfo2 (2.33 or later), on Linux")  # fmt: skip
@pytest.mark.parametrize(("mode", "mapped"), [("pin", True), ("leave", False)])
def test_a_pinned_threshold_keeps_large_blocks_off_the_heap_after_a_large_free(mode: str, mapped: bool) -> None:
    probe = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, timeout=60,
                           check=True)  # fmt: skip
    assert (int(probe.stdout) >= 1 << 20) is mapped  # unpinned, the sliding threshold puts it on the heap
