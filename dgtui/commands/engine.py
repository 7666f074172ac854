"""The embedded local engine a run starts: the local server on a free loopback port, started the first time a
local stream needs it and stopped at the end of the run."""

from __future__ import annotations

import asyncio
import subprocess

from dgtui.live.backend import Backend, BackendKind
from dgtui.server.app import ListenServer, ServerConfig
from dgtui.server.engine.pool import default_workers


class LocalEngine:
    """The local server on a free loopback port for the life of a command; decoding in worker processes.

    It serves only this run's streams, which the user asked for: it admits every one (no 429), with as many
    engine processes as there are streams, up to one per core."""

    def __init__(self, streams: int = 2) -> None:
        workers = max(1, min(streams, default_workers()))
        self._server = ListenServer(
            ServerConfig(host="127.0.0.1", port=0, workers=workers, admission=False, worker_stderr=subprocess.DEVNULL)
        )

    @property
    def url(self) -> str:
        return self._server.url

    async def __aenter__(self) -> LocalEngine:
        await self._server.start()  # its engines are loaded: no metric measures model loading
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
