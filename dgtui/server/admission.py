"""Admission by capacity, as Deepgram refuses a stream past a project's concurrency limit (429) rather than
slowing the streams it serves. No I/O: the server asks ``admits`` at each handshake and tells ``finished``.

The limit is what the engine keeps up with in real time: its workers times the share of a core streams may
use, over the CPU one second of audio costs. That cost is measured, not assumed: first by a worker at its
start (recognizing a bundled clip), then from the workers' own totals (all of a worker's CPU, decoding, IPC
and the cost of many decoders sharing a core, over the audio it recognized) each time a stream ends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

HEADROOM = 0.7  # the share of each core streams may use: the rest is for bursts and the server's own work
FULL_WEIGHT_S = 30.0  # a measure over this much audio (or more) replaces the estimate; a shorter one moves it
MIN_AUDIO_S = 2.0  # less audio than this between two measures of a worker says too little to count


@dataclass
class Admission:
    workers: int
    rtf: float | None = None  # CPU seconds per second of audio; None: unknown, so no limit from it
    fixed: int | None = None  # a limit set by hand (``dgtui serve --capacity``)
    headroom: float = HEADROOM
    _seen: dict[int, tuple[float, float]] = field(default_factory=dict)  # worker pid -> (CPU s, audio s) so far

    @property
    def limit(self) -> int | None:
        """Concurrent real-time streams admitted; ``None`` when nothing limits them."""
        if self.fixed is not None:
            return max(0, self.fixed)
        if not self.rtf:
            return None
        return max(1, math.floor(self.workers * self.headroom / self.rtf + 1e-9))  # 2 x 0.7 / 0.14 is 10

    def admits(self, active: int) -> bool:
        limit = self.limit
        return limit is None or active < limit

    def finished(self, worker: tuple[int, float, float] | None) -> None:
        """A stream ended; ``worker`` is its worker's totals (pid, CPU s, audio s) at that moment."""
        if worker is None:
            return
        pid, cpu_s, audio_s = worker
        before = self._seen.get(pid)
        if before is None:  # a worker's first report includes its start-up (model loads): a baseline only
            self._seen[pid] = (cpu_s, audio_s)
            return
        cpu, audio = cpu_s - before[0], audio_s - before[1]
        if audio < MIN_AUDIO_S:
            return
        self._seen[pid] = (cpu_s, audio_s)
        sample, weight = cpu / audio, min(1.0, audio / FULL_WEIGHT_S)
        self.rtf = sample if self.rtf is None else (1 - weight) * self.rtf + weight * sample

    def describe(self) -> str:
        limit = self.limit
        if limit is None:
            return "no stream limit"
        if self.fixed is not None:
            return f"up to {limit} streams (set by --capacity)"
        processes = f"{self.workers} engine process" + ("es" if self.workers != 1 else "")
        return f"up to {limit} real-time streams ({processes}, {self.rtf:.3f} CPU s per audio s, measured)"
