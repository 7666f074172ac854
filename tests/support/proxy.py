"""A TCP proxy on loopback between a client and a real server, to inject network faults mid-stream.

Faults: ``drop()`` resets every open connection (RST, as a dead network or a killed server looks);
``delay(seconds)`` holds every chunk that long in both directions; ``truncate(n)`` lets n more bytes through
from the server, then cuts the connection; ``refuse(True)`` rejects new connections. Runs on its own thread and
loop, so sync and async tests alike can use it. With ``tls`` it is also a TLS front for the server (``wss://``).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import struct
import threading
from urllib.parse import urlsplit, urlunsplit


class FaultProxy:
    def __init__(self, target_url: str, tls: ssl.SSLContext | None = None) -> None:
        parts = urlsplit(target_url)
        self._target = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._parts = parts._replace(scheme="wss") if tls else parts
        self._tls = tls
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0
        self.connections = 0
        self._delay = 0.0
        self._truncate_after: int | None = None
        self._refuse = False

    # -- control (from any thread) -----------------------------------------------------------------------

    def start(self) -> FaultProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fault proxy did not start")
        return self

    def stop(self) -> None:
        self._call(self._close_server)
        self._thread.join(10)

    @property
    def url(self) -> str:
        return self.url_for("127.0.0.1")

    def url_for(self, host: str) -> str:
        """The URL through the proxy, naming it ``host`` (a TLS client checks the certificate against it)."""
        return urlunsplit(self._parts._replace(netloc=f"{host}:{self.port}"))

    def drop(self) -> None:
        self._call(self._reset_all)

    def delay(self, seconds: float) -> None:
        self._delay = seconds

    def truncate(self, after_bytes: int) -> None:
        self._truncate_after = after_bytes

    def refuse(self, refuse: bool = True) -> None:
        self._refuse = refuse

    def _call(self, function) -> None:  # type: ignore[no-untyped-def]
        done = threading.Event()

        def run() -> None:
            try:
                function()
            finally:
                done.set()

        self._loop.call_soon_threadsafe(run)
        done.wait(5)

    # -- the proxy ---------------------------------------------------------------------------------------

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self._tls)
        self.port = self._server.sockets[0].getsockname()[1]

    def _close_server(self) -> None:
        if self._server is not None:
            self._server.close()
        self._reset_all()
        self._loop.call_later(0.1, self._loop.stop)

    def _reset_all(self) -> None:
        for writer in list(self._writers):
            sock = writer.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
        self._writers.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._refuse:
            writer.transport.abort()
            return
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        await asyncio.gather(
            self._pipe(reader, up_writer, downstream=False),
            self._pipe(up_reader, writer, downstream=True),
            return_exceptions=True,
        )
        for w in (writer, up_writer):
            self._writers.discard(w)
            w.transport.abort()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, downstream: bool) -> None:
        try:
            while data := await reader.read(65536):
                if self._delay:
                    await asyncio.sleep(self._delay)
                if downstream and self._truncate_after is not None:
                    if len(data) >= self._truncate_after:
                        writer.write(data[: self._truncate_after])
                        self._truncate_after = None
                        await writer.drain()
                        self._reset_all()
                        return
                    self._truncate_after -= len(data)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()
