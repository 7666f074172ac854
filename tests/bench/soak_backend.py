"""The soak's other side, in its own process: the local server (``--engine``) behind a proxy that drops each
connection after a random 2-8 minutes of audio (``--drop-min``/``--drop-max``, counted in bytes upstream, so
the drops land the same whatever the sending speed).

``python -m tests.bench.soak_backend [--engine synthetic] [--seed 7]``: prints ``READY ws://...`` once serving, and
runs until its standard input closes; then it prints ``DROPS n``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import socket
import struct
import sys

from dgtui.server.app import ListenServer, ServerConfig

BYTES_PER_S = 32000  # 16 kHz linear16 mono, what the soak sends


class DroppingProxy:
    """TCP to the server; the upstream half of each connection counts bytes and is reset past its budget."""

    def __init__(self, target: tuple[str, int], budget: tuple[float, float], seed: int) -> None:
        self.target = target
        self.budget = budget  # minutes of audio
        self.random = random.Random(seed)
        self.drops = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        allowance = int(self.random.uniform(*self.budget) * 60 * BYTES_PER_S)
        ends = (writer, up_writer)
        await asyncio.gather(self.pipe(reader, up_writer, allowance, ends), self.pipe(up_reader, writer, None, ends),
                             return_exceptions=True)  # fmt: skip
        for w in ends:
            w.transport.abort()

    async def pipe(self, reader, writer, allowance, ends) -> None:  # type: ignore[no-untyped-def]
        try:
            while data := await reader.read(1 << 18):
                writer.write(data)
                await writer.drain()
                if allowance is not None:
                    allowance -= len(data)
                    if allowance <= 0:
                        self.drops += 1
                        for w in ends:  # a reset, as a network failure looks
                            sock = w.get_extra_info("socket")
                            if sock is not None:
                                with contextlib.suppress(OSError):
                                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                            w.transport.abort()
                        return
        except (ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()  # one side ended: so does the other (the server closing ends the client's)


async def main(args: argparse.Namespace) -> None:
    config = ServerConfig(port=0, engine=args.engine, max_connections=256, workers=args.workers,
                          admission=False, idle_timeout=60.0)  # fmt: skip
    async with ListenServer(config) as server:
        host, port = server.url.split("//")[1].split("/")[0].split(":")
        proxy = DroppingProxy((host, int(port)), (args.drop_min, args.drop_max), args.seed)
        listener = await asyncio.start_server(proxy.handle, "127.0.0.1", 0)
        proxy_port = listener.sockets[0].getsockname()[1]
        print(f"READY ws://127.0.0.1:{proxy_port}/v1/listen", flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)  # until the soak closes our input
        listener.close()
        print(f"DROPS {proxy.drops}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="synthetic", choices=["synthetic", "pocketsphinx"])
    parser.add_argument("--drop-min", type=float, default=2.0, help="minutes of audio before a drop, at least")
    parser.add_argument("--drop-max", type=float, default=8.0, help="... and at most")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=None, help="engine processes (default: one per core)")
    asyncio.run(main(parser.parse_args()))
