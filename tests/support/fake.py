"""A scripted WebSocket server on loopback: for exact message sequences the real engine would not produce."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from websockets.asyncio.server import ServerConnection, serve

Script = Callable[[ServerConnection], Awaitable[None]]


@contextlib.asynccontextmanager
async def scripted_server(script: Script) -> AsyncIterator[tuple[str, list[str]]]:
    """Yields ``(url, paths)``: the listen URL, and the request path (with query) of each connection."""
    paths: list[str] = []

    async def handler(connection: ServerConnection) -> None:
        paths.append(connection.request.path if connection.request else "")
        await script(connection)

    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/v1/listen", paths


async def until_close_stream(connection: ServerConnection) -> int:
    """Read frames until CloseStream; returns the audio bytes received."""
    received = 0
    async for frame in connection:
        if isinstance(frame, bytes):
            received += len(frame)
        elif '"CloseStream"' in frame:
            break
    return received


METADATA = (
    '{"type":"Metadata","transaction_key":"deprecated","request_id":"r","sha256":"","created":"",'
    '"duration":1.0,"channels":1}'
)
