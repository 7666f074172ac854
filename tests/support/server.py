"""The real local server on a loopback port, run on its own thread and event loop for the tests."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import replace

from dgtui.server.app import ListenServer, ServerConfig


class ServerThread:
    def __init__(self, config: ServerConfig | None = None, port: int = 0) -> None:
        self.config = replace(config or ServerConfig(), port=port, host="127.0.0.1")  # 0: a free port
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dgtui-test-server", daemon=True)
        self._stop: asyncio.Event | None = None
        self.server: ListenServer | None = None
        self.error: BaseException | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        try:
            async with ListenServer(self.config) as server:
                self.server = server
                self._ready.set()
                await self._stop.wait()
        except BaseException as exc:
            self.error = exc
            self._ready.set()

    def start(self) -> ServerThread:
        self._thread.start()
        if not self._ready.wait(30) or self.error is not None:
            raise RuntimeError(f"the test server did not start: {self.error!r}")
        return self

    def stop(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(15)

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait (bounded) until the server has finished every session, stats recorded."""
        deadline = time.monotonic() + timeout
        while self.active_sessions and time.monotonic() < deadline:
            time.sleep(0.02)

    @property
    def active_sessions(self) -> int:
        assert self.server is not None
        return len(self.server.sessions)
