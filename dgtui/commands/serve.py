"""``dgtui serve``'s console: the server runs until interrupted, saying where it listens and how each stream went."""

from __future__ import annotations

import asyncio

from dgtui.server.app import ListenServer, ServerConfig
from dgtui.server.engine_info import model_info
from dgtui.server.stream import StreamStats


async def run_server(config: ServerConfig) -> None:
    """``dgtui serve``: serve until interrupted, a line for the start and a line per finished stream."""
    async with ListenServer(config) as server:
        server.on_finished = lambda stats: _log_stream(stats, server)
        info = model_info(config.engine)
        auth_note = "key required (Authorization: Token KEY)" if config.api_key else "no key required"
        print(
            f"dgtui serve: listening on {server.url}  [{info['name']} {info['version']}, "
            f"{auth_note}]\n"
            f"  Flux on {server.url.replace('/v1/listen', '/v2/listen')}: turns from the local engine, "
            "not Deepgram's Flux model\n"
            f"  point a Deepgram SDK or dgtui at it: dgtui --url {server.url} SOURCE\n"
            f"  capacity: {server.admission.describe()}; past it HTTP 429, "
            "as Deepgram refuses past a concurrency limit",
            flush=True,
        )
        await asyncio.Future()


def _log_stream(stats: StreamStats, server: ListenServer) -> None:
    limit = server.admission.limit
    load = f"{len(server.sessions)} of {limit} streams" if limit is not None else f"{len(server.sessions)} streams"
    print(
        f"stream {stats.request_id}: {stats.audio_s:.1f} s audio, RTF {stats.real_time_factor:.2f}, "
        f"closed {stats.close_code} · now {load}",
        flush=True,
    )
