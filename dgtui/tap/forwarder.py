"""The tap's forwarding, in a process of its own (``python -m dgtui.tap.forwarder``): the relay, and nothing
else, so the app's traffic never waits on the view, the printer, a recorder or analysis, nor shares a GIL with
them. A copy of everything it forwards goes to its standard output as records (:mod:`dgtui.tap.copies`), which
the analysing process reads; if that process falls behind, the copies of a connection are dropped (and it is
told), never the traffic. It ends when its standard input closes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import ssl
import sys
import time

from dgtui.protocol.faults import FaultPlan
from dgtui.tap.copies import ANSWERED, DROPPED, ENDED, FAILED, FAULT, FROM_APP, FROM_UPSTREAM, READY, opened, pack
from dgtui.tap.http import Head
from dgtui.tap.relay import Upstream, start_tap

COPY_BACKLOG = 64 * 1024 * 1024  # bytes of copies waiting for the analysing process before a connection's drop


class Copies:
    """The records' way out: a pipe written without waiting (the transport buffers what the reader has not
    taken yet; past :data:`COPY_BACKLOG` new chunks are dropped)."""

    def __init__(self, transport: asyncio.WriteTransport) -> None:
        self.transport = transport

    @property
    def full(self) -> bool:
        return self.transport.get_write_buffer_size() > COPY_BACKLOG

    def write(self, record: bytes) -> None:
        if not self.transport.is_closing():
            self.transport.write(record)


class CopyTee:
    """One connection's copies, as records."""

    def __init__(self, copies: Copies, number: int, peer: str, request: Head) -> None:
        self.copies = copies
        self.number = number
        self.dropped = False
        copies.write(opened(number, time.monotonic(), peer, request.raw))

    def offer(self, from_app: bool, data: bytes | Head, at: float | None = None) -> None:
        at = time.monotonic() if at is None else at
        if isinstance(data, Head):
            self.copies.write(pack(ANSWERED, self.number, at, data.raw))
        elif self.dropped:
            return
        elif self.copies.full:
            self.dropped = True
            self.copies.write(pack(DROPPED, self.number, at))
        else:
            self.copies.write(pack(FROM_APP if from_app else FROM_UPSTREAM, self.number, at, bytes(data)))

    def fault(self, text: str, at: float | None = None) -> None:
        self.copies.write(pack(FAULT, self.number, time.monotonic() if at is None else at, text.encode()))

    def finish(self, note: str, at: float | None = None) -> None:
        self.copies.write(pack(ENDED, self.number, time.monotonic() if at is None else at, note.encode()))


def listening_tls(cert: str | None, key: str | None) -> ssl.SSLContext | None:
    if not cert:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def forward(args: argparse.Namespace) -> int:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.connect_write_pipe(asyncio.Protocol, sys.stdout.buffer)
    copies = Copies(transport)  # type: ignore[arg-type]
    numbers = itertools.count(1)
    try:
        upstream = Upstream.from_url(args.upstream, ca=args.ca)
        tap = await start_tap(args.host, args.port, upstream, tls=listening_tls(args.cert, args.key),
                              tees=lambda peer, request: CopyTee(copies, next(numbers), peer, request),
                              faults=FaultPlan.parse(args.fault))  # fmt: skip
    except (OSError, ValueError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        copies.write(pack(FAILED, 0, time.monotonic(), reason.encode()))
        await _drained(transport)
        return 1
    copies.write(pack(READY, 0, time.monotonic(), str(tap.port).encode()))
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    await stdin.read()  # until the analysing process closes it (or goes away)
    await tap.close()
    await _drained(transport)
    return 0


async def _drained(transport: asyncio.WriteTransport) -> None:
    for _ in range(200):  # bounded: a reader that is gone takes nothing more
        if not transport.get_write_buffer_size():
            break
        await asyncio.sleep(0.01)
    with contextlib.suppress(Exception):
        transport.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dgtui.tap.forwarder", description="The tap's forwarding.")
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--ca")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--fault", action="append", default=[])
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C reaches the whole terminal's group: the parent stops us
        return asyncio.run(forward(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
