"""The app's other traffic through the tap, against a real HTTP server on loopback: every request and its answer
forwarded unchanged (keep-alive, a POST body streamed, a chunked answer), each listed as a flow with its method,
path (no secret), status, sizes and duration; a WebSocket that is not a live stream is one flow."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import websockets

from dgtui.state.client import FlowLog
from dgtui.tap.flows import FlowWatch
from dgtui.tap.http import parse_head
from tests.support.tap import running_tap


class Upstream(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: several requests on one connection

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        answer = b'{"results":{"bytes":%d}}' % len(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("dg-request-id", "req-1")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def do_GET(self) -> None:
        if self.path.startswith("/v1/missing"):
            self.send_error(404, "no such thing")
            return
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for part in (b"hello ", b"from ", b"upstream"):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def http_upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_requests_pass_through_unchanged_and_are_listed_as_flows():
    audio = bytes(range(256)) * 800  # a pre-recorded request's body: 200 KB
    with http_upstream() as upstream:
        async with running_tap(upstream) as tap:
            async with httpx.AsyncClient(base_url=tap.url.replace("ws://", "http://")) as client:
                posted = await client.post("/v1/listen?model=nova-3&token=sekrit", content=audio,
                                           headers={"Authorization": "Token sekrit"})  # fmt: skip
                chunked = await client.get("/v1/projects")
                missing = await client.get("/v1/missing")
            for _ in range(100):
                if len([f for f in tap.flows.flows if f.ended is not None]) == 3:
                    break
                await asyncio.sleep(0.02)
            flows = list(tap.flows.flows)
    assert posted.status_code == 200 and posted.json() == {"results": {"bytes": len(audio)}}
    assert posted.headers["dg-request-id"] == "req-1"
    assert chunked.text == "hello from upstream" and missing.status_code == 404
    assert [(f.method, f.target, f.status) for f in flows] == [
        ("POST", "/v1/listen?model=nova-3&token=***", 200),
        ("GET", "/v1/projects", 200),
        ("GET", "/v1/missing", 404),
    ]
    assert flows[0].sent == len(audio) and flows[0].received == len(posted.content)
    assert flows[1].received == len(b"hello from upstream") and all(f.ended is not None for f in flows)
    assert len({f.peer for f in flows}) == 1  # one keep-alive connection carried all three


async def test_a_websocket_that_is_not_a_live_stream_is_one_flow():
    async def speak(ws) -> None:  # type: ignore[no-untyped-def]
        async for message in ws:
            await ws.send(b"\0" * 4800 if message == '{"type":"Flush"}' else message)

    async with (
        websockets.serve(speak, "127.0.0.1", 0) as upstream,
        running_tap(f"ws://127.0.0.1:{upstream.sockets[0].getsockname()[1]}") as tap,
    ):
        async with websockets.connect(f"{tap.url}/v1/speak?model=aura-2") as ws:
            await ws.send('{"type":"Speak","text":"hello"}')
            assert await ws.recv() == '{"type":"Speak","text":"hello"}'
            await ws.send('{"type":"Flush"}')
            assert len(await ws.recv()) == 4800
        for _ in range(100):
            if tap.flows.flows and tap.flows.flows[0].ended is not None:
                break
            await asyncio.sleep(0.02)
        assert tap.sessions == []  # not a transcription stream
        flow = tap.flows.flows[0]
    assert (flow.method, flow.target, flow.status, flow.websocket) == ("GET", "/v1/speak?model=aura-2", 101, True)
    assert flow.received > 4800 and flow.sent > 30


def test_an_answer_that_never_completes_says_so():
    log = FlowLog()
    watch = FlowWatch(log, "app", parse_head(b"POST /v1/listen HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n"), 1.0)
    watch.data(True, b"123456789", 1.1)
    watch.data(False, b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{", 1.2)
    watch.ended(2.0, "connection closed")
    (flow,) = log.flows
    assert flow.status == 200 and flow.sent == 9 and flow.received == 1 and flow.ended == 2.0
    assert flow.note == "no complete answer: connection closed" and log.version >= 3
    garbage = FlowWatch(FlowLog(), "app", parse_head(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 1.0)
    garbage.data(False, b"NOT HTTP AT ALL\r\n\r\n", 1.1)  # following stops; nothing raises
    assert garbage.log.flows[0].note.startswith("not followed further")
