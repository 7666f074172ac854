"""One live stream on the local server: client frames in, engine results out, then the close.

The pump is the same for both APIs; its dialect (:mod:`dgtui.server.dialects`) says what text frames mean,
what the engine's messages become and how a clean stream ends (Nova: Metadata and 1000; Flux: no status code).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from dgtui.protocol.errors import NET0000_REASON, NET0001_REASON, CloseCode
from dgtui.server.dialects import Dialect, FluxDialect, NovaDialect
from dgtui.server.engine import ipc
from dgtui.server.engine.pool import EnginePool, EngineStream, EngineUnavailable
from dgtui.server.engine_info import model_info, model_uuid


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class StreamStats:
    """What one finished stream cost: the figures ``dgtui serve`` logs and the benchmark reads."""

    request_id: str
    audio_s: float
    cpu_s: float
    close_code: int
    worker: tuple[int, float, float] | None = None  # its worker so far: pid, CPU seconds, audio seconds
    note: str = ""  # what the server has to say of it (a replay's mismatches)

    @property
    def real_time_factor(self) -> float:
        return self.cpu_s / self.audio_s if self.audio_s else 0.0


@dataclass
class StreamContext:
    """What the handshake decided about a stream."""

    request_id: str
    options: dict[str, Any]
    created: str = field(default_factory=_now_iso)
    flux: bool = False  # a /v2/listen stream
    engine: str = "pocketsphinx"  # what the model info names

    def results_metadata(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {
            "request_id": self.request_id,
            "model_info": model_info(self.engine),
            "model_uuid": model_uuid(self.engine),
        }
        extra = _extra_map(self.options.get("extra", []))
        if extra:
            metadata["extra"] = extra
        return metadata


def _extra_map(values: list[str]) -> dict[str, str]:
    """``extra=key:value`` pairs; the last duplicate key wins, as Deepgram documents."""
    pairs = (value.partition(":") for value in values)
    return {key: value for key, _, value in pairs if key}


class StreamSession:
    """Pumps one connection: audio and control to the worker, results to the client, a watchdog for idling."""

    def __init__(
        self,
        connection: ServerConnection,
        context: StreamContext,
        pool: EnginePool,
        idle_timeout: float,
        interim_interval_s: float,
        on_wait: Callable[[float], None] | None = None,
    ) -> None:
        self.connection = connection
        self._on_wait = on_wait  # told how long each audio frame waited to enter the engine (the metrics)
        self.context = context
        self._pool = pool
        self._idle_timeout = idle_timeout
        self._interim_interval_s = interim_interval_s
        self._sha256 = hashlib.sha256()
        self._audio_bytes = 0
        self._loop = asyncio.get_running_loop()
        self._last_frame_at = self._loop.time()
        self._closing = False  # CloseStream received (or the stream is ending for another reason)
        self._worker: EngineStream | None = None  # this stream's channel to the worker serving it
        self._close_as: tuple[int, str] = (CloseCode.NORMAL, "")
        self.stats: StreamStats | None = None
        self._aborting = False
        self.dialect: Dialect = FluxDialect(context) if context.flux else NovaDialect(context)

    async def run(self) -> None:
        try:
            self._worker = self._pool.open()
        except EngineUnavailable as exc:
            await self.connection.close(CloseCode.INTERNAL, f"NET-0000: the local engine is not running: {exc}"[:120])
            return
        config = {
            "metadata": self.context.results_metadata(),
            "interim_interval_s": self._interim_interval_s,
            **self.dialect.engine_config(),
        }
        try:
            await self._worker.send(ipc.OPEN, json.dumps(config).encode())
        except ConnectionError:
            await self._worker.stop()
            await self.connection.close(CloseCode.INTERNAL, NET0000_REASON)
            return
        for message in self.dialect.greeting():
            await self._send_text(message)
        from_client = asyncio.create_task(self._pump_client(), name="client")
        watchdog = asyncio.create_task(self._watch_idle(), name="idle")
        try:
            await self._pump_engine()
        finally:
            for task in (from_client, watchdog):
                task.cancel()
            await self._worker.stop()

    # -- client -> engine --------------------------------------------------------------------------------

    async def _pump_client(self) -> None:
        assert self._worker is not None
        try:
            async for frame in self.connection:
                self._last_frame_at = self._loop.time()
                if isinstance(frame, bytes):
                    if not frame:  # legacy close signal
                        await self._begin_close()
                        return
                    self._sha256.update(frame)
                    self._audio_bytes += len(frame)
                    if self._on_wait is None:
                        await self._worker.send(ipc.AUDIO, frame)
                    else:
                        began = time.perf_counter()
                        await self._worker.send(ipc.AUDIO, frame)
                        self._on_wait(time.perf_counter() - began)
                elif await self._control(frame):
                    return
        except ConnectionClosed:
            pass
        except (ConnectionError, BrokenPipeError):
            await self.connection.close(CloseCode.INTERNAL, NET0000_REASON)
            return
        # The client went away without CloseStream: nothing left to deliver.
        self._worker.kill()

    async def _control(self, text: str) -> bool:
        """Handle a text frame as the dialect reads it; True when the stream is closing."""
        assert self._worker is not None
        reply = self.dialect.control(text)
        for message in reply.send:
            await self._send_text(message)
        for kind, payload in reply.to_engine:
            await self._worker.send(kind, payload)
        if reply.fatal is not None:
            await self._abort(*reply.fatal)
            return True
        if reply.close:
            await self._begin_close()
        return reply.close

    async def _begin_close(self) -> None:
        assert self._worker is not None
        self._closing = True
        await self._worker.send(ipc.CLOSE)

    # -- engine -> client --------------------------------------------------------------------------------

    async def _pump_engine(self) -> None:
        """The only reader of the worker: forwards results until the worker reports DONE or dies."""
        assert self._worker is not None
        while (frame := await self._worker.recv()) is not None:
            kind, payload = frame
            if kind == ipc.MESSAGE:
                if not self._aborting:
                    await self._send_text(self.dialect.from_engine(payload))
            elif kind == ipc.DONE:
                await self._finish(json.loads(payload), *self._close_as)
                return
            elif kind == ipc.ERROR:
                error = json.loads(payload)
                await self._abort(error["code"], error["reason"])
        await self._finish({}, CloseCode.INTERNAL, NET0000_REASON)

    async def _abort(self, code: int, reason: str) -> None:
        """Ask the worker to stop without flushing; the engine pump then sends Metadata and closes."""
        assert self._worker is not None
        if self._aborting:
            return
        self._aborting = True
        self._closing = True
        self._close_as = (code, reason)
        with contextlib.suppress(ConnectionError, BrokenPipeError):
            await self._worker.send(ipc.ABORT)

    async def _finish(self, report: dict[str, Any], code: int, reason: str) -> None:
        worker = report.get("worker")
        self.stats = StreamStats(
            self.context.request_id,
            report.get("duration", 0.0),
            report.get("cpu_s", 0.0),
            int(code),
            (worker["pid"], worker["cpu_s"], worker["audio_s"]) if worker else None,
        )
        if self.connection.state.name != "OPEN":
            return
        for message in self.dialect.farewell(report, self._sha256.hexdigest()):
            await self._send_text(message)
        with contextlib.suppress(ConnectionClosed):
            if (code, reason) == (CloseCode.NORMAL, "") and self.dialect.clean_close_code == CloseCode.NO_STATUS:
                await self._close_without_status()
            else:
                await self.connection.close(code, reason)

    async def _close_without_status(self) -> None:
        """A close frame with no status code (peers see 1005): how Flux ends a stream after CloseStream.
        ``close()`` always sends a code, so the frame goes through the protocol object it wraps."""
        async with self.connection.send_context():
            self.connection.protocol.send_close()
        await self.connection.wait_closed()

    async def _send_text(self, text: str | None) -> None:
        if text is None:
            return
        with contextlib.suppress(ConnectionClosed):
            await self.connection.send(text)

    # -- idle --------------------------------------------------------------------------------------------

    async def _watch_idle(self) -> None:
        while True:
            remaining = self._last_frame_at + self._idle_timeout - self._loop.time()
            if remaining > 0:
                await asyncio.sleep(remaining)
                continue
            if not self._closing:
                await self._send_text(self.dialect.idle_error())
                await self._abort(CloseCode.INTERNAL, NET0001_REASON)
            return
