"""Whose turn it is inside a worker that serves many streams: round robin, no I/O.

Frames queue per stream in arrival order. Each turn takes one stream's frames: its control frames and up to
:data:`QUANTUM` bytes of audio; then the stream goes to the back of the line. So a stream whose client sends a
file as fast as it can never holds up a stream sent in real time, and each stream's frames stay in order.
"""

from __future__ import annotations

from collections import deque

from dgtui.server.engine import ipc

QUANTUM = 32000  # bytes of audio a stream gets per turn: 1 s of 16 kHz linear16


class Rounds:
    def __init__(self, quantum: int = QUANTUM) -> None:
        self.quantum = quantum
        self._queues: dict[int, deque[ipc.Frame]] = {}  # insertion order is the line

    def put(self, frame: ipc.Frame) -> None:
        self._queues.setdefault(frame.stream, deque()).append(frame)

    def __bool__(self) -> bool:
        return bool(self._queues)

    def next_turn(self) -> list[ipc.Frame]:
        """The frames of the stream at the head of the line, for one turn (empty when nothing waits)."""
        if not self._queues:
            return []
        stream = next(iter(self._queues))
        queue = self._queues.pop(stream)
        turn: list[ipc.Frame] = []
        audio = 0
        while queue:
            frame = queue[0]
            if frame.kind == ipc.AUDIO:
                if audio and audio + len(frame.payload) > self.quantum:
                    break
                audio += len(frame.payload)
            turn.append(queue.popleft())
            if frame.kind in (ipc.CLOSE, ipc.ABORT):
                break
        if queue:
            self._queues[stream] = queue  # to the back of the line
        return turn
