"""The tap on its own thread and event loop, for clients that block (Deepgram's SDK)."""

from __future__ import annotations

import asyncio
import threading

from dgtui.tap.relay import Observer, Upstream, start_tap


class TapThread:
    def __init__(self, upstream: str, observer: Observer | None = None) -> None:
        self._upstream = Upstream.from_url(upstream)
        self._observer = observer
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dgtui-test-tap", daemon=True)
        self.port = 0

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(start_tap("127.0.0.1", 0, self._upstream, lambda peer: self._observer))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()
        self._loop.run_until_complete(server.wait_closed())

    def __enter__(self) -> TapThread:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the tap did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    @property
    def root(self) -> str:
        return f"ws://127.0.0.1:{self.port}"


async def until_closed(streams: list) -> None:  # type: ignore[type-arg]
    """Wait (bounded) until the first tapped stream has closed: analysis runs just behind the traffic."""
    for _ in range(100):
        if streams and streams[0].connection.phase.value == "closed":
            return
        await asyncio.sleep(0.02)
