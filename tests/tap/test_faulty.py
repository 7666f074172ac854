"""Each fault done by the relay to a real stream of the local server, as the client sees it: the status, the close
code and reason, the missing close frame, the delay measured on the client's side, the malformed message; and the
other connections served as before."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from dgtui.protocol.errors import NET0001_REASON
from dgtui.protocol.faults import FaultPlan
from dgtui.tap.relay import Upstream, start_tap

QUERY = "encoding=linear16&sample_rate=16000&interim_results=true"
SECOND = b"\1\0" * 16000


@contextlib.asynccontextmanager
async def faulted(url: str, *specs: str):  # type: ignore[no-untyped-def]
    tap = await start_tap("127.0.0.1", 0, Upstream.from_url(url), faults=FaultPlan.parse(list(specs)))
    try:
        yield f"ws://127.0.0.1:{tap.port}"
    finally:
        await tap.close()


async def session(root: str, seconds: int = 4, path: str = "/v1/listen", query: str = QUERY) -> dict:  # type: ignore[type-arg]
    """A client in real time: what it received and when, and how it ended."""
    got: list[tuple[float, str | bytes]] = []
    start = time.monotonic()
    async with websockets.connect(f"{root}{path}?{query}") as ws:

        async def send() -> None:
            with contextlib.suppress(ConnectionClosed):
                for _ in range(seconds * 5):
                    await ws.send(SECOND[:6400])
                    await asyncio.sleep(0.2)
                await ws.send('{"type":"CloseStream"}')

        sender = asyncio.create_task(send())
        with contextlib.suppress(ConnectionClosed):
            async for message in ws:
                got.append((time.monotonic() - start, message))
        sender.cancel()
    return {"messages": got, "code": ws.close_code, "reason": ws.close_reason, "ended": time.monotonic() - start}


@pytest.fixture
def synthetic(make_server):  # type: ignore[no-untyped-def]
    return make_server(engine="synthetic", workers=1).url.removesuffix("/v1/listen")


async def test_close_at_an_audio_time_and_the_other_connections_go_on(synthetic):
    async with faulted(synthetic, "close:code=1011,at=2s,conn=1") as root:
        hit, spared = await asyncio.gather(session(root), session(root))
    results = sorted([hit, spared], key=lambda s: s["code"])
    assert (results[0]["code"], results[1]["code"]) == (1000, 1011) and results[1]["reason"] == NET0001_REASON
    assert json.loads(results[0]["messages"][-1][1])["type"] == "Metadata"  # the other one ended cleanly


async def test_drop_cuts_without_a_close_frame(synthetic):
    async with faulted(synthetic, "drop:at=1s") as root:
        dropped = await session(root)
    assert dropped["code"] == 1006 and dropped["reason"] == ""


async def test_refuse_answers_the_handshake_as_deepgram_does(synthetic):
    async with faulted(synthetic, "refuse:status=429") as root:
        with pytest.raises(InvalidStatus) as caught:
            await session(root)
    response = caught.value.response
    body = json.loads(response.body)
    assert response.status_code == 429 and body["err_code"] == "TOO_MANY_REQUESTS"
    assert response.headers["dg-error"] == body["err_msg"] and response.headers["dg-request-id"] == body["request_id"]


async def test_delay_holds_every_message_at_least_that_long(synthetic):
    direct = await session(synthetic, seconds=3)
    async with faulted(synthetic, "delay:ms=800") as root:
        delayed = await session(root, seconds=3)
    assert len(delayed["messages"]) == len(direct["messages"]) and delayed["code"] == 1000
    first_direct, first_delayed = direct["messages"][0][0], delayed["messages"][0][0]
    assert first_delayed >= first_direct + 0.5  # a lower bound: a delay can only come later


async def test_stall_holds_then_resumes_or_closes(synthetic):
    async with faulted(synthetic, "stall:at=1s,for=2s") as root:
        resumed = await session(root, seconds=4)
    assert resumed["code"] == 1000 and resumed["messages"][0][0] >= 2.0  # held 2 s, then everything, then the end
    assert json.loads(resumed["messages"][-1][1])["type"] == "Metadata"
    async with faulted(synthetic, "stall:at=1s,for=1s,then=close") as root:
        closed = await session(root, seconds=4)
    assert closed["code"] == 1011 and "net0000" in closed["reason"]


async def test_malformed_and_flux_error(synthetic):
    async with faulted(synthetic, "malformed:after=1") as root:
        broken = await session(root, seconds=3)
    texts = [m for _, m in broken["messages"]]
    unparsable = [t for t in texts if not _is_json(t)]
    assert len(unparsable) == 1 and broken["code"] == 1000
    async with faulted(synthetic, "error:code=SLOW_CLIENT,path=v2") as root:
        flux = await session(root, seconds=3, path="/v2/listen", query="model=flux-general-en&encoding=linear16"
                             "&sample_rate=16000")  # fmt: skip
    errors = [json.loads(m) for _, m in flux["messages"] if _is_json(m) and json.loads(m)["type"] == "Error"]
    assert errors and errors[0]["code"] == "SLOW_CLIENT" and flux["code"] == 1011


async def test_a_slow_handshake_and_a_narrow_pipe(synthetic):
    async with faulted(synthetic, "handshake:ms=1200") as root:
        began = time.monotonic()
        async with websockets.connect(f"{root}/v1/listen?{QUERY}"):
            waited = time.monotonic() - began
    assert waited >= 1.2
    async with faulted(synthetic, "bandwidth:kbps=128") as root:
        narrow = await session(root, seconds=2)
    assert narrow["code"] == 1000 and narrow["ended"] >= 64000 / 16000 - 0.5  # 64 KB up at 16 KB/s: about 4 s


def _is_json(text: str | bytes) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
