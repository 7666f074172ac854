"""One source read and decoded once, handed sample for sample to several lanes.

Lanes compare settings or backends on the same audio: each lane is a source of its own for its stream, but
every chunk comes from one reading of the real source, so every lane gets the same samples with the same audio
cursor. The reading starts when the first lane asks for audio (the runner starts a group's lanes together) and
keeps at most ``buffer_seconds`` ahead of the slowest lane still reading; a lane whose stream ended or failed
stops counting, so it never holds the others back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from dgtui.audio.base import AudioSource, SourceError, SourceHooks, SourceKind
from dgtui.audio.chunks import AudioChunk, AudioFormat

_END = None  # the source ended


@dataclass
class LaneSource:
    """One lane's view of a fanned-out source (an :class:`AudioSource`)."""

    fanout: FanOut
    name: str
    hooks: SourceHooks = field(default_factory=SourceHooks)
    queue: asyncio.Queue[AudioChunk | Exception | None] = field(default_factory=asyncio.Queue)
    reading: bool = True
    put_until: float = 0.0  # audio handed to this lane ...
    taken_until: float = 0.0  # ... and taken by its stream: the difference is what it holds
    reopenable: bool = False  # the fan-out ends every lane together; a lane never reopens the source alone

    @property
    def description(self) -> str:
        return self.fanout.source.description

    @property
    def format(self) -> AudioFormat:
        return self.fanout.source.format

    @property
    def realtime(self) -> bool:
        return self.fanout.source.realtime

    @property
    def error(self) -> str | None:
        return self.fanout.source.error

    async def chunks(self) -> AsyncIterator[AudioChunk]:
        self.fanout.start()
        try:
            while True:
                item = await self.queue.get()
                if item is _END:
                    return
                if isinstance(item, Exception):
                    raise item
                self.taken_until = item.end
                self.fanout.drained.set()
                yield item
        finally:
            self.reading = False
            self.fanout.drained.set()  # the pump may have been waiting on this lane


class FanOut:
    def __init__(self, source: AudioSource, names: list[str], buffer_seconds: float = 30.0) -> None:
        self.source = source
        self.buffer_seconds = buffer_seconds
        self.lanes = [LaneSource(self, name) for name in names]
        self.drained = asyncio.Event()  # a lane took a chunk (or stopped): the pump may go on
        self._pump: asyncio.Task[None] | None = None
        source.hooks = SourceHooks(
            title=lambda title: [lane.hooks.title(title) for lane in self.lanes],  # type: ignore[func-returns-value]
            warning=lambda text: [lane.hooks.warning(text) for lane in self.lanes],  # type: ignore[func-returns-value]
            kind=self._kind,
        )

    def _kind(self, kind: SourceKind, reason: str) -> None:
        for lane in self.lanes:
            lane.hooks.kind(kind, reason)

    def start(self) -> None:
        if self._pump is None:
            self._pump = asyncio.get_running_loop().create_task(self._read(), name=f"fanout:{self.source.name}")

    async def _read(self) -> None:
        """Read the source once; every lane still reading gets every chunk, then the end (or the error)."""
        try:
            async for chunk in self.source.chunks():
                await self._room()
                for lane in self.lanes:
                    if lane.reading:
                        lane.queue.put_nowait(chunk)
                        lane.put_until = chunk.end
            outcome: AudioChunk | Exception | None = _END
        except SourceError as exc:
            outcome = exc
        except Exception as exc:  # a broken source ends its lanes with the reason, never the run
            outcome = SourceError(f"{self.source.description}: {type(exc).__name__}: {exc}")
        for lane in self.lanes:
            lane.queue.put_nowait(outcome)

    async def _room(self) -> None:
        """Wait while the slowest lane still reading holds ``buffer_seconds`` of audio it has not taken."""
        while True:
            held = max((lane.put_until - lane.taken_until for lane in self.lanes if lane.reading), default=0.0)
            if held < self.buffer_seconds:
                return
            self.drained.clear()
            await self.drained.wait()

    async def close(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._pump
