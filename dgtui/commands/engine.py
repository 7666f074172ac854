"""The embedded local engine a run starts: the local server on a free loopback port, started the first time a
local stream needs it and stopped at the end of the run."""

from __future__ import annotations

import asyncio
import subprocess

from dgtui.live.backend import Backend, BackendKind
from dgtui.server.app import ListenServer, ServerConfig


class LocalEngine:
    """The local server on a free loopback port for the life of a command; decoding in worker processes."""

    def __init__(self, streams: int = 2) -> None:
        self._server = ListenServer(
            ServerConfig(host="127.0.0.1", port=0, warm_workers=max(1, streams), worker_stderr=subprocess.DEVNULL)
        )

    @property
    def url(self) -> str:
        return self._server.url

    async def __aenter__(self) -> LocalEngine:
        await self._server.start()
        # Streams start on loaded engines: otherwise the first seconds of every metric measure model loading.
        await self._server.pool.wait_warm(timeout=30)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._server.close()


class LocalEndpoints:
    """Running backends by their URL; the local engine started the first time a local stream asks, stopped at
    ``close``."""

    def __init__(self) -> None:
        self._engine: LocalEngine | None = None
        self._lock = asyncio.Lock()

    async def url_for(self, backend: Backend, streams: int) -> str:
        if backend.kind is not BackendKind.LOCAL:
            assert backend.url is not None
            return backend.url
        async with self._lock:
            if self._engine is None:
                engine = LocalEngine(max(1, streams))
                await engine.__aenter__()
                self._engine = engine
            return self._engine.url

    async def close(self) -> None:
        async with self._lock:
            if self._engine is not None:
                engine, self._engine = self._engine, None
                await engine.__aexit__(None, None, None)
