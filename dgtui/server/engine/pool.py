"""A fixed pool of engine worker processes (one per core by default), each serving many streams.

A stream gets an :class:`EngineStream`: a channel to the least busy worker, which already has its decoders
loaded, so a stream costs no process start and no model load. A worker that dies ends only its own streams
(their ``recv`` says so) and is replaced; the others go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from typing import IO

from dgtui.server.engine import ipc


class EngineUnavailable(Exception):
    """No engine worker could be started or reached."""


class EngineStream:
    """One stream's channel to the worker serving it: frames out, the worker's frames for this stream in."""

    def __init__(self, worker: WorkerProcess, stream_id: int) -> None:
        self.worker = worker
        self.id = stream_id
        self.inbox: asyncio.Queue[tuple[bytes, bytes] | None] = asyncio.Queue()
        self.ended = False  # DONE came, or the worker died

    async def send(self, kind: bytes, payload: bytes = b"") -> None:
        """Raises ``ConnectionError`` when the worker is gone."""
        await self.worker.send(kind, self.id, payload)

    async def recv(self) -> tuple[bytes, bytes] | None:
        """The next (kind, payload) from the worker for this stream; ``None`` after DONE or if the worker died."""
        if self.ended and self.inbox.empty():
            return None
        return await self.inbox.get()

    def kill(self) -> None:
        """The client went away: the worker drops the stream without recognizing the rest."""
        if not self.ended:
            self.worker.post(ipc.ABORT, self.id)

    async def stop(self) -> None:
        """The stream is over for the server: a worker still holding it lets it go."""
        self.kill()
        self.worker.streams.pop(self.id, None)


class WorkerProcess:
    """One worker process and the streams it serves; its reader hands each frame to its stream."""

    def __init__(self, process: asyncio.subprocess.Process, ready: dict[str, object]) -> None:
        self.process = process
        self.rtf = ready.get("rtf")  # CPU seconds per second of speech, if it measured itself
        self.streams: dict[int, EngineStream] = {}
        self.reader = asyncio.create_task(self._read(), name=f"engine-worker-{process.pid}")

    @property
    def alive(self) -> bool:
        return self.process.returncode is None and not self.reader.done()

    async def send(self, kind: bytes, stream: int, payload: bytes = b"") -> None:
        stdin = self.process.stdin
        if stdin is None or not self.alive:
            raise ConnectionError("the engine worker is gone")
        stdin.write(ipc.pack(kind, stream, payload))
        await stdin.drain()

    def post(self, kind: bytes, stream: int, payload: bytes = b"") -> None:
        """Send without waiting (best effort: a worker that is gone needs nothing more)."""
        stdin = self.process.stdin
        if stdin is not None and self.alive and not stdin.is_closing():
            stdin.write(ipc.pack(kind, stream, payload))

    async def _read(self) -> None:
        assert self.process.stdout is not None
        try:
            while (frame := await ipc.read_frame_async(self.process.stdout)) is not None:
                stream = self.streams.get(frame.stream)
                if stream is None:
                    continue
                stream.inbox.put_nowait((frame.kind, frame.payload))
                if frame.kind == ipc.DONE:
                    stream.ended = True
                    self.streams.pop(frame.stream, None)
        finally:
            for stream in self.streams.values():  # the worker died: each of its streams learns it
                stream.ended = True
                stream.inbox.put_nowait(None)
            self.streams.clear()

    def kill(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()

    async def stop(self, grace: float = 2.0) -> None:
        """Close its stdin (it exits by itself), killed if it does not within ``grace`` seconds."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            async with asyncio.timeout(grace):
                await self.process.wait()
        except TimeoutError:
            self.kill()
            await self.process.wait()
        self.reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.reader


def default_workers() -> int:
    return os.cpu_count() or 1


class EnginePool:
    """``workers`` engine processes started together; ``open`` puts a stream on the least busy one."""

    def __init__(
        self,
        workers: int | None = None,
        stderr: IO[bytes] | int | None = None,
        engine: str = "pocketsphinx",
        spares: int = 2,
        calibrate: bool = True,
    ) -> None:
        self.size = max(1, workers if workers is not None else default_workers())
        self.engine = engine  # the workers' decoder: "pocketsphinx", or "synthetic" for load tests
        self.spares = spares  # decoders each worker keeps loaded ahead of the streams that will need them
        self.calibrate = calibrate  # the first worker measures its real-time factor (what admission needs)
        self.rtf: float | None = None  # measured by the first worker at its start
        self.workers: list[WorkerProcess] = []
        self.replaced = 0  # workers that died and were replaced
        self._stderr = stderr
        self._next_id = 0
        self._closed = False
        self._replacing: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Start every worker and wait until each has its decoders loaded (the first one measures itself, if
        asked)."""
        started = await asyncio.gather(
            *(self._spawn(calibrate=self.calibrate and i == 0) for i in range(self.size)), return_exceptions=True
        )
        for result in started:
            if isinstance(result, BaseException):
                for worker in started:
                    if isinstance(worker, WorkerProcess):
                        await worker.stop()
                raise EngineUnavailable(f"the engine could not start: {result}") from result
        self.workers = [w for w in started if isinstance(w, WorkerProcess)]
        rtf = self.workers[0].rtf
        self.rtf = float(rtf) if isinstance(rtf, int | float) else None
        for worker in self.workers:
            self._watch(worker)

    async def _spawn(self, calibrate: bool = False) -> WorkerProcess:
        args = ["--engine", self.engine, "--spares", str(self.spares), *(["--calibrate"] if calibrate else [])]
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "dgtui.server.engine.worker",
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=self._stderr,
        )
        assert process.stdout is not None
        frame = await ipc.read_frame_async(process.stdout)
        if frame is None or frame.kind != ipc.READY:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            status = await process.wait()
            raise EngineUnavailable(f"engine worker exited with status {status} before it was ready")
        return WorkerProcess(process, json.loads(frame.payload or b"{}"))

    def _watch(self, worker: WorkerProcess) -> None:
        """When a worker dies, its streams have been told (its reader ended); a new worker takes its place."""

        def replace(_: object) -> None:
            if self._closed or worker not in self.workers:
                return
            task = asyncio.ensure_future(self._replace(worker))
            self._replacing.add(task)
            task.add_done_callback(self._replacing.discard)

        worker.reader.add_done_callback(replace)

    async def _replace(self, dead: WorkerProcess) -> None:
        dead.kill()
        await dead.process.wait()
        try:
            fresh = await self._spawn()
        except (EngineUnavailable, OSError):
            return  # the pool is one worker short; open() uses the others
        if self._closed:
            await fresh.stop()
            return
        self.workers[self.workers.index(dead)] = fresh
        self.replaced += 1
        self._watch(fresh)

    @property
    def streams(self) -> int:
        return sum(len(worker.streams) for worker in self.workers)

    def open(self) -> EngineStream:
        """A channel for a new stream, on the live worker serving the fewest streams."""
        live = [worker for worker in self.workers if worker.alive]
        if self._closed or not live:
            raise EngineUnavailable("the engine pool is closed" if self._closed else "no engine worker is running")
        worker = min(live, key=lambda w: len(w.streams))
        self._next_id += 1
        stream = EngineStream(worker, self._next_id)
        worker.streams[stream.id] = stream
        return stream

    async def close(self) -> None:
        self._closed = True
        for task in list(self._replacing):
            task.cancel()
        await asyncio.gather(*(worker.stop() for worker in self.workers), return_exceptions=True)
