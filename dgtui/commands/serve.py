"""``dgtui serve``'s console: the server runs until interrupted, saying where it listens and how each stream went.

With ``--fault`` or ``--json`` the server listens on a private loopback port and the tap's relay, in front of it on
the public address, does the faults and watches each client (one core for both commands: :mod:`dgtui.tap`).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from dataclasses import replace
from typing import TYPE_CHECKING, TextIO

from dgtui.commands.metrics import counting_faults, watch_server
from dgtui.headless.printer import Printer
from dgtui.process.secrets import redact
from dgtui.server.app import LISTEN_PATH, ListenServer, ServerConfig
from dgtui.server.engine_info import model_info
from dgtui.server.stream import StreamStats
from dgtui.state.events import Event, FaultFired
from dgtui.tap.runner import TapRunner, TapSession

if TYPE_CHECKING:
    from dgtui.metrics.exporter import MetricsExporter


async def run_server(config: ServerConfig, faults: list[str] | None = None, json_mode: bool = False,
                     log: str | None = None, exporter: MetricsExporter | None = None) -> None:  # fmt: skip
    """``dgtui serve``: serve until interrupted, a line for the start and a line per finished stream."""
    if faults or json_mode or log:
        with open(log, "a", encoding="utf-8", buffering=1) if log else contextlib.nullcontext() as log_file:
            await _run_watched(config, faults or [], json_mode, log_file, exporter)
        return
    server = ListenServer(config)
    if exporter is not None:
        watch_server(exporter, server)
    async with server:
        server.on_finished = lambda stats: _log_stream(stats, server, sys.stdout)
        _greet(server, server.url, sys.stdout)
        await asyncio.Future()


def _greet(server: ListenServer, url: str, out: TextIO, faults: list[str] = ()) -> None:  # type: ignore[assignment]
    config = server.config
    info = model_info(config.engine)
    auth_note = "key required (Authorization: Token KEY)" if config.api_key else "no key required"
    if server.replays is not None:
        names = ", ".join(r.path.name for r in server.replays.recorded)
        print(f"dgtui serve: listening on {url}  [replaying {names}; {auth_note}]\n"
              "  each stream gets the next recording of its API, each message as its audio reaches it",
              file=out, flush=True)  # fmt: skip
        _say_faults(faults, out)
        return
    print(
        f"dgtui serve: listening on {url}  [{info['name']} {info['version']}, {auth_note}]\n"
        f"  Flux on {url.replace('/v1/listen', '/v2/listen')}: turns from the local engine, "
        "not Deepgram's Flux model\n"
        f"  point a Deepgram SDK or dgtui at it: dgtui --url {url} SOURCE\n"
        f"  capacity: {server.admission.describe()}; past it HTTP 429, as Deepgram refuses past a concurrency limit",
        file=out,
        flush=True,
    )
    _say_faults(faults, out)


def _say_faults(faults: list[str], out: TextIO) -> None:
    if faults:
        print(f"  faults: {'; '.join(faults)} (each said as it fires)", file=out, flush=True)


async def _run_watched(config: ServerConfig, faults: list[str], json_mode: bool, log: TextIO | None,
                       exporter: MetricsExporter | None = None) -> None:  # fmt: skip
    """The server behind the tap's relay: faults done, and every client watched (``--json`` on standard output,
    ``--log FILE`` into the file: the same lines; with metrics, the faults fired are counted)."""
    server = ListenServer(replace(config, host="127.0.0.1", port=0))
    metrics = watch_server(exporter, server) if exporter is not None else None
    console = sys.stderr if json_mode else sys.stdout  # --json: standard output is the lines'
    printers = [Printer(out, True, show_interim=False, prefix=True) for out in (sys.stdout if json_mode else None,
                                                                                  log) if out is not None]  # fmt: skip

    def on_stream(session: TapSession) -> None:
        for printer in printers:
            session.state.subscribe(printer.for_stream(session.number))
        if not json_mode:
            session.state.subscribe(lambda event: _say_fault(session, event, console))
        if metrics is not None:  # the server's figures (each client's own are its own dgtui's to export)
            session.state.subscribe(counting_faults(metrics))

    runner = TapRunner("ws://127.0.0.1:9", host=config.host, port=config.port, engine=server, faults=faults,
                       on_stream=on_stream)  # fmt: skip
    server.on_finished = lambda stats: _log_stream(stats, server, console)
    await runner.start()
    try:
        _greet(server, f"{runner.url}{LISTEN_PATH}", console, faults)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        await runner.close()


def _say_fault(session: TapSession, event: Event, out: TextIO) -> None:
    if isinstance(event, FaultFired):
        request = session.state.connection.request_id or session.name
        print(redact(f"fault on stream {request}: {event.fault}"), file=out, flush=True)


def _log_stream(stats: StreamStats, server: ListenServer, out: TextIO) -> None:
    limit = server.admission.limit
    load = f"{len(server.sessions)} of {limit} streams" if limit is not None else f"{len(server.sessions)} streams"
    note = f" · {stats.note}" if stats.note else ""
    print(
        f"stream {stats.request_id}: {stats.audio_s:.1f} s audio, RTF {stats.real_time_factor:.2f}, "
        f"closed {stats.close_code} · now {load}{note}",
        file=out,
        flush=True,
    )
