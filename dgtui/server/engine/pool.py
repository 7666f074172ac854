"""Warm engine workers: a stream gets a process whose model is already loaded (~0.5 s saved per stream)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
from typing import IO

from dgtui.server.engine import ipc


class EngineUnavailable(RuntimeError):
    """A worker process could not be started or died before it was ready."""


class Worker:
    """One engine process, serving one stream."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        assert process.stdin is not None and process.stdout is not None
        self._stdin = process.stdin
        self._stdout = process.stdout

    async def send(self, kind: bytes, payload: bytes = b"") -> None:
        self._stdin.write(ipc.pack(kind, payload))
        await self._stdin.drain()

    async def recv(self) -> ipc.Frame | None:
        return await ipc.read_frame_async(self._stdout)

    def kill(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()

    async def wait(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            await self.process.wait()

    async def stop(self, grace: float = 1.0) -> None:
        """End the worker: it exits by itself once its input ends (or after DONE); killed only if it hangs.

        Killing a process that has just exited races asyncio's child watcher, which then logs
        "Unknown child process pid": the process was reaped by the kill's poll first.
        """
        with contextlib.suppress(OSError, RuntimeError):
            self._stdin.close()
        try:
            async with asyncio.timeout(grace):
                await self.wait()
        except TimeoutError:
            self.kill()
            await self.wait()


class EnginePool:
    """Keeps ``warm`` workers started and ready; ``acquire`` hands one out and starts a replacement."""

    def __init__(
        self,
        warm: int = 2,
        stderr: IO[bytes] | int | None = None,
        cpu_slots: int | None = None,
        engine: str = "pocketsphinx",
    ) -> None:
        self.warm = warm
        self.engine = engine  # the workers' decoder: "pocketsphinx", or "synthetic" for load tests
        self.cpu_slots = cpu_slots if cpu_slots is not None else (os.cpu_count() or 1)
        self.slots_dir = tempfile.mkdtemp(prefix="dgtui-engine-")
        self._stderr = stderr
        self._ready: asyncio.Queue[Worker] = asyncio.Queue()
        self._starting: set[asyncio.Task[None]] = set()
        self._all: set[Worker] = set()
        self._closed = False
        self._spawn_lock = asyncio.Lock()

    async def start(self) -> None:
        """Start the warm workers, all at once: nothing is streaming yet."""
        for _ in range(self.warm):
            self._spawn_in_background(serial=False)

    def _spawn_in_background(self, serial: bool = True) -> None:
        task = asyncio.create_task(self._spawn_into_queue(serial))
        self._starting.add(task)
        task.add_done_callback(self._starting.discard)

    async def _spawn_into_queue(self, serial: bool) -> None:
        # Replacements load one at a time: a burst of model loads would steal the CPU from live streams.
        async with self._spawn_lock if serial else contextlib.nullcontext():
            with contextlib.suppress(EngineUnavailable):
                worker = await self._spawn()
                if self._closed:
                    worker.kill()
                else:
                    self._ready.put_nowait(worker)

    async def _spawn(self) -> Worker:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "dgtui.server.engine.worker",
            "--engine",
            self.engine,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=self._stderr,
        )
        worker = Worker(process)
        self._all.add(worker)
        process_done = asyncio.ensure_future(process.wait())
        process_done.add_done_callback(lambda _: self._all.discard(worker))
        frame = await worker.recv()
        if frame is None or frame[0] != ipc.READY:
            worker.kill()
            raise EngineUnavailable(f"engine worker exited with status {process.returncode} before it was ready")
        return worker

    async def wait_warm(self, timeout: float = 60.0) -> None:
        """Wait until the warm workers are started (tests and benchmarks start from a settled pool)."""
        async with asyncio.timeout(timeout):
            while self._ready.qsize() < self.warm and self._starting:
                await asyncio.sleep(0.05)

    async def acquire(self) -> Worker:
        """A ready worker; waits for one to start when none is warm."""
        while True:
            try:
                worker = self._ready.get_nowait()
            except asyncio.QueueEmpty:
                if self._closed:
                    raise EngineUnavailable("the engine pool is closed") from None
                worker = await self._spawn()
            if worker.process.returncode is None:
                break
        if self._ready.qsize() + len(self._starting) < self.warm:
            self._spawn_in_background()
        return worker

    async def close(self) -> None:
        self._closed = True
        for task in list(self._starting):
            task.cancel()
        for worker in list(self._all):
            worker.kill()
        for worker in list(self._all):
            await worker.wait()
        shutil.rmtree(self.slots_dir, ignore_errors=True)

    def slots_config(self) -> dict[str, object] | None:
        """What a worker needs to share the CPU slots (``None``: unlimited)."""
        return {"dir": self.slots_dir, "count": self.cpu_slots} if self.cpu_slots > 0 else None
