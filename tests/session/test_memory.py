"""The trimmer that gives the allocator's free pages back while streams run."""

from __future__ import annotations

import asyncio
import sys

import pytest

from dgtui.session.memory import Trimmer


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
