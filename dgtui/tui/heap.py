"""The garbage collector's policy while the app runs: fewer, not longer, stalls of the event loop.

Measured with four lanes growing at once (``python -m tests.bench.compare_view``), the collector's full passes
were the loop's longest stalls: 20 in 20 s, 50-100 ms each, over every object alive. Two changes, both undone
when the app stops so an embedding process (the tests) gets its collector back as it was:

* the heap built at start-up (Textual, Rich, the widgets, a reference text) lives as long as the app, so it is
  frozen after the first frame, and full passes skip it;
* a full pass waits for 50 passes of the middle generation instead of 10: the app's garbage is mostly strips
  and messages freed by reference counting, and the cycles wait a little longer.
"""

from __future__ import annotations

import gc

FULL_PASS_EVERY = 50  # middle-generation passes between full passes (CPython's default: 10)


class QuietCollector:
    def __init__(self) -> None:
        self._threshold: tuple[int, int, int] | None = None

    def start(self) -> None:
        """After the first frame: freeze what exists and space the full passes out."""
        self._threshold = gc.get_threshold()
        first, middle, _ = self._threshold
        gc.freeze()
        gc.set_threshold(first, middle, FULL_PASS_EVERY)

    def stop(self) -> None:
        if self._threshold is not None:
            gc.set_threshold(*self._threshold)
            self._threshold = None
        gc.unfreeze()
