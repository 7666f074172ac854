"""``dgtui tap`` without the app, in the process: a stream's finals printed under its name as they come, each flow
one line, and the table of the streams when it stops."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json

import httpx
import websockets

from dgtui.headless.tap import flow_line, run_tap
from dgtui.state.client import Flow
from dgtui.tap.runner import TapRunner
from tests.support.audio import clip_pcm


async def test_finals_per_stream_a_line_per_flow_and_the_table_at_the_end(server, capsys):
    runner = TapRunner(server.url)
    out, started = io.StringIO(), asyncio.Event()
    task = asyncio.create_task(run_tap(runner, json_mode=False, show_interim=False, out=out, started=started))
    await asyncio.wait_for(started.wait(), 10)
    pcm = clip_pcm("council")[: 32000 * 4]
    async with websockets.connect(f"{runner.url}/v1/listen?encoding=linear16&sample_rate=16000&tag=desk-2") as ws:
        await ws.send(pcm)
        await ws.send('{"type":"CloseStream"}')
        finals = [json.loads(m)["channel"]["alternatives"][0]["transcript"] async for m in ws
                  if json.loads(m).get("is_final")]  # fmt: skip
    async with httpx.AsyncClient() as client:
        await client.get(f"{runner.url.replace('ws://', 'http://')}/v1/projects")
    for _ in range(100):
        if runner.sessions and runner.sessions[0].ended.is_set() and runner.flows.flows:
            break
        await asyncio.sleep(0.02)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    err = capsys.readouterr().err
    assert out.getvalue().splitlines() == [f"[desk-2] {text}" for text in finals if text] and finals
    assert "dgtui tap: stream 1 desk-2 (v1) from 127.0.0.1:" in err
    assert "dgtui tap: flow GET /v1/projects → " in err
    table = [line for line in err.splitlines() if line.startswith("desk-2")]
    assert table and table[0].split()[1] == "4.0" and table[0].rstrip().endswith("ok"), err


def test_a_flow_line_has_its_figures():
    flow = Flow(3, "127.0.0.1:5", "POST", "/v1/listen?token=***", 10.0, 200, 1000, 20, 10.5)
    assert flow_line(flow) == {"type": "dgtui.Flow", "flow": 3, "peer": "127.0.0.1:5", "method": "POST",
                               "path": "/v1/listen?token=***", "status": 200, "sent_bytes": 1000,
                               "received_bytes": 20, "duration_s": 0.5}  # fmt: skip
