"""Every request gets an answer: an SDK's REST calls to the local server (a pre-recorded POST with a large body,
text-to-speech, management) get Deepgram's JSON error shape, a clear status and a ``dg-error`` saying what it
offers, never a dropped connection; live streams are served as before."""

from __future__ import annotations

import httpx
import pytest

from dgtui.server.requests import OFFER
from tests.support.audio import clip_pcm
from tests.support.client import stream


@pytest.mark.parametrize(
    ("method", "path", "size", "status"),
    [
        ("POST", "/v1/listen?model=nova-3&smart_format=true", 3_000_000, 405),  # pre-recorded audio, 3 MB
        ("POST", "/v1/speak?model=aura-2", 17, 404),
        ("DELETE", "/v1/projects/abc/keys/1", 0, 404),
        ("GET", "/v1/projects", 0, 404),
    ],
)
def test_a_request_it_does_not_serve_gets_deepgrams_error_shape(server, method, path, size, status):
    root = server.url.replace("ws://", "http://").removesuffix("/v1/listen")
    response = httpx.request(method, root + path, content=b"\0" * size if size else None, timeout=30)
    error = response.json()
    assert response.status_code == status and set(error) == {"err_code", "err_msg", "request_id"}
    assert response.headers["dg-error"] == error["err_msg"] and response.headers["dg-request-id"] == error["request_id"]
    assert "/v1/listen" in error["err_msg"] and "/v2/listen" in error["err_msg"]


def test_a_chunked_upload_is_read_to_its_end_then_answered(server):
    root = server.url.replace("ws://", "http://").removesuffix("/v1/listen")
    response = httpx.post(f"{root}/v1/listen", content=(b"\0" * 65536 for _ in range(20)), timeout=30)
    assert response.status_code == 405 and OFFER in response.json()["err_msg"]


async def test_live_streams_are_served_beside_them(server):
    run = await stream(server.url, clip_pcm("council")[: 32000 * 3], "encoding=linear16&sample_rate=16000",
                       realtime=False)  # fmt: skip
    assert run.close_code == 1000 and "council" in run.transcript().lower()
