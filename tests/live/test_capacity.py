"""The capacity finder: the real local server with a lowered connection limit (its 429, its freed slots), its
latency limit, and a scripted server that keeps the slots of closed streams (the "stale streams" question)."""

from __future__ import annotations

import http
from collections import Counter

import pytest
from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.http11 import Response

from dgtui.audio.local import FileSource
from dgtui.live.backend import Backend, BackendKind
from dgtui.live.capacity import Ramp, RampPlan, run_ramp, window
from dgtui.live.runner import StreamRunner
from tests.support.cli import dgtui
from tests.support.fake import METADATA, until_close_stream

OPTIONS = {"model": "nova-3", "interim_results": True}


def ramp_on(url: str, clip) -> Ramp:  # type: ignore[no-untyped-def]
    backend = Backend(BackendKind.URL, url)
    runner = StreamRunner(backend, OPTIONS, reconnect={"reconnect_attempts": 0})
    return Ramp(runner, lambda: FileSource(clip, loop=True), OPTIONS, backend)


def test_the_levels_climb_by_doubling_or_by_steps_up_to_the_largest():
    assert list(RampPlan(maximum=20).levels()) == [1, 2, 4, 8, 16, 20]
    assert list(RampPlan(start=2, step=3, maximum=10).levels()) == [2, 5, 8, 10]
    assert list(RampPlan(start=4, maximum=4).levels()) == [4]


def test_a_window_is_what_the_histogram_gained_between_two_looks():
    before, after = Counter({10: 5}), Counter({10: 7, 20: 1, 900: 2})
    summary = window(before, after)
    assert summary.count == 5 and summary.p50 == pytest.approx(0.02) and summary.max == pytest.approx(0.9)
    assert window(after, after).count == 0


@pytest.mark.serial  # each step's streams must be heard within its 2 s hold: the machine to itself
async def test_the_ramp_reaches_the_servers_429_and_a_closed_stream_frees_its_slot(make_server, clip_file):
    server = make_server(max_connections=3, workers=1, admission=False)
    plan = RampPlan(hold=2.0, maximum=8, max_p95=60.0)  # words by 2 s; the refusal stops it, not a loaded machine
    result = await run_ramp(ramp_on(server.url, clip_file(seconds=3.0)), plan)
    assert [step.streams for step in result.steps] == [1, 2, 4]
    assert [step.verdict for step in result.steps] == ["ok", "ok", "refused"]
    assert result.ceiling == 3 and result.stopped_by == "refused"
    refusal = result.refusal
    assert refusal is not None and refusal.status == 429
    assert refusal.dg_error == "Too many requests. Please try again later" and refusal.request_id
    assert "HTTP 429" in result.refusal_text and "What to do" in result.refusal_text
    assert result.slots is not None and result.slots.freed and result.slots.attempts >= 1
    assert all(step.latency.count for step in result.steps[:2])  # the running streams were measured
    assert result.as_dict()["refusal"]["status"] == 429 and result.as_dict()["slots_freed"] is True


async def test_the_ramp_stops_at_the_first_step_whose_latency_passes_the_limit(server, clip_file):
    result = await run_ramp(ramp_on(server.url, clip_file(seconds=3.0)), RampPlan(hold=2.0, max_p95=0.0005))
    assert result.stopped_by == "latency" and result.ceiling == 0 and len(result.steps) == 1  # nothing is 0.5 ms
    assert result.steps[0].latency.p95 > 0.0005 and result.refusal is None and result.slots is None


async def test_a_server_that_keeps_closed_streams_slots_is_reported_stale(clip_file):
    handshakes = 0  # slots taken, never given back: the server counts every stream it ever accepted

    def process_request(connection, request):  # type: ignore[no-untyped-def]
        nonlocal handshakes
        if handshakes >= 2:
            headers = Headers({"dg-error": "Too many requests", "dg-request-id": f"stale-{handshakes}"})
            return Response(http.HTTPStatus.TOO_MANY_REQUESTS, "Too Many Requests", headers, b"{}")
        handshakes += 1
        return None

    async def handler(connection):  # type: ignore[no-untyped-def]
        await until_close_stream(connection)
        await connection.send(METADATA)

    async with serve(handler, "127.0.0.1", 0, process_request=process_request) as scripted:
        url = f"ws://127.0.0.1:{scripted.sockets[0].getsockname()[1]}/v1/listen"
        plan = RampPlan(hold=0.5, maximum=4, slot_wait=2.5)
        result = await run_ramp(ramp_on(url, clip_file(seconds=3.0)), plan)
    assert result.ceiling == 2 and result.stopped_by == "refused" and result.refusal.status == 429  # type: ignore[union-attr]
    slots = result.slots
    assert slots is not None and not slots.freed and slots.attempts >= 2 and slots.after_s >= 2.5
    assert slots.refusal is not None and slots.refusal.request_id.startswith("stale-")


def test_the_command_says_the_ceiling_and_refuses_what_it_cannot_do(make_server, clip_file):
    server = make_server(max_connections=2, workers=1, admission=False)
    result = dgtui("bench", str(clip_file(seconds=3.0)), "--url", server.url, "--ramp", "--step-seconds", "1",
                   "--ramp-max", "4", "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    import json

    found = json.loads(result.stdout.decode().splitlines()[-1])
    assert found["ceiling"] == 2 and found["refusal"]["status"] == 429 and found["slots_freed"] is True
    said = result.stderr.decode()
    assert "ceiling: 2 concurrent streams" in said and "refused: HTTP 429 · dg-error:" in said
    assert "closed streams free their slots: yes" in said
    refused = dgtui("bench", str(clip_file(seconds=3.0)), "--local", "--ramp", "--lane", "a=", "--lane", "b=")
    assert refused.returncode == 2 and "--lane cannot be used with --ramp" in refused.stderr.decode()
