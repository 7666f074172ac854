"""The application's other traffic through a tap: every HTTP request and WebSocket that is not a live
transcription stream (pre-recorded ``POST /v1/listen``, ``/v1/speak``, the voice agent, management calls), one
flow each, listed with its method, path, status, size and duration. Data only: the tap fills the log, views
read it."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass
class Flow:
    number: int
    peer: str  # the app's address
    method: str
    target: str  # path and query, without secrets
    started: float  # clock time of the request's head
    status: int | None = None  # None: no answer (yet)
    sent: int = 0  # body bytes from the app (a WebSocket's: frame bytes)
    received: int = 0  # body bytes from the upstream
    ended: float | None = None
    note: str = ""  # how it ended, when not with an answer

    def duration(self, now: float) -> float:
        return (self.ended if self.ended is not None else now) - self.started

    @property
    def websocket(self) -> bool:
        return self.status == 101


class FlowLog:
    """The latest flows (bounded: a tap runs for days), in the order they started; ``version`` moves on every
    change so a view repaints only then."""

    def __init__(self, keep: int = 1000) -> None:
        self.flows: deque[Flow] = deque(maxlen=keep)
        self.count = 0
        self.version = 0

    def start(self, peer: str, method: str, target: str, at: float) -> Flow:
        self.count += 1
        self.version += 1
        flow = Flow(self.count, peer, method, target, at)
        self.flows.append(flow)
        return flow

    def changed(self) -> None:
        self.version += 1
