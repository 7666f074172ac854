"""Heads as the tap forwards them: only Host changes upstream; a 502 names the upstream it could not reach."""

from __future__ import annotations

import json

import pytest

from dgtui.tap.http import HeadError, bad_gateway, parse_head, upstream_request

REQUEST = (
    b"GET /v1/listen?model=nova-3&tag=agent HTTP/1.1\r\nHost: 127.0.0.1:9000\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nAuthorization: Token secret-key\r\nSec-WebSocket-Protocol: token, secret-key\r\n\r\n"
)


def test_the_request_goes_upstream_as_sent_but_its_host():
    head = parse_head(REQUEST)
    assert head.target == "/v1/listen?model=nova-3&tag=agent" and head.header("authorization") == "Token secret-key"
    forwarded = upstream_request(head, "api.deepgram.com")
    assert forwarded == REQUEST.replace(b"Host: 127.0.0.1:9000", b"Host: api.deepgram.com")


def test_a_status_line_and_a_bad_head():
    response = parse_head(b"HTTP/1.1 429 Too Many Requests\r\ndg-error: Too many requests\r\n\r\n")
    assert response.status == 429 and response.header("DG-Error") == "Too many requests"
    with pytest.raises(HeadError):
        parse_head(b"GET / HTTP/1.1\r\nno colon here\r\n\r\n")
    with pytest.raises(HeadError):
        parse_head(b"GET / HTTP/1.1\r\n")


def test_an_unreachable_upstream_is_a_502_that_names_it():
    raw = bad_gateway("wss://api.deepgram.com", "Connection refused")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 502 ")
    assert "wss://api.deepgram.com" in json.loads(body)["err_msg"]
