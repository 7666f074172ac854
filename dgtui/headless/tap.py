"""``dgtui tap`` without the app: the tap runs until interrupted, each tapped stream printed as it goes (finals
per stream, or every line of ``dgtui stream --json`` with a stream id per connection), the other traffic one line
per flow, and a table of the streams at the end."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from typing import TextIO

from dgtui.headless.printer import Printer
from dgtui.headless.tables import print_summary_table
from dgtui.process.secrets import redact
from dgtui.state.client import Flow
from dgtui.tap.runner import TapRunner, TapSession


def flow_line(flow: Flow) -> dict[str, object]:
    return {"type": "dgtui.Flow", "flow": flow.number, "peer": flow.peer, "method": flow.method,
            "path": flow.target, "status": flow.status, "sent_bytes": flow.sent, "received_bytes": flow.received,
            "duration_s": None if flow.ended is None else round(flow.ended - flow.started, 6),
            **({"note": flow.note} if flow.note else {})}  # fmt: skip


def flow_text(flow: Flow) -> str:
    status = flow.status if flow.status is not None else "-"
    took = f"{(flow.ended or flow.started) - flow.started:.2f} s"
    what = "WebSocket" if flow.websocket else f"{flow.sent} B up, {flow.received} B down"
    note = f" ({flow.note})" if flow.note else ""
    return f"dgtui tap: flow {flow.method} {flow.target} → {status} · {what} · {took}{note}"


async def run_tap(runner: TapRunner, *, json_mode: bool, show_interim: bool, out: TextIO | None = None,
                  started: asyncio.Event | None = None) -> int:  # fmt: skip
    """Serve until interrupted (SIGINT or SIGTERM) or cancelled; the exit status."""
    stream: TextIO = out or sys.stdout
    printer = Printer(stream, json_mode, show_interim, prefix=True)

    def on_stream(session: TapSession) -> None:
        session.state.subscribe(printer.for_stream(session.number))
        if not json_mode:
            peer = session.state.setup.source.removeprefix("tapped from ")
            print(f"dgtui tap: stream {session.number} {session.name} ({session.state.setup.api}) from {peer}",
                  file=sys.stderr, flush=True)  # fmt: skip

    def on_flow(flow: Flow) -> None:
        if json_mode:
            stream.write(redact(json.dumps(flow_line(flow), separators=(",", ":"))) + "\n")
            stream.flush()
        else:
            print(redact(flow_text(flow)), file=sys.stderr, flush=True)

    runner.on_stream, runner.flow_done = on_stream, on_flow
    await runner.start()
    where = f"the local engine ({runner.upstream.root})" if runner.engine is not None else runner.upstream.root
    print(f"dgtui tap: listening on {runner.url} → {where}\n"
          f"  point the app's Deepgram SDK at {runner.url} (its base URL); Ctrl-C stops",
          file=sys.stderr, flush=True)  # fmt: skip
    if runner.record_dir is not None:
        audio = " with the app's audio" if runner.keep_audio else ""
        print(f"dgtui tap: recording each stream{audio} to {runner.record_dir}", file=sys.stderr, flush=True)
    if started is not None:
        started.set()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)
        await runner.close()
        if runner.sessions and not json_mode:
            print_summary_table(runner.sessions, sys.stderr)
        stream.flush()
    return 0
