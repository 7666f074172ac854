"""Requests the local server does not serve, answered: an application's SDK sends its REST calls (pre-recorded
``POST /v1/listen``, ``POST /v1/speak``, management) to the same base URL as its live streams, and each gets
Deepgram's JSON error shape with a clear status and a ``dg-error`` that says what the local server offers, never
a dropped connection.

websockets reads only ``GET`` requests; this connection class looks at the first bytes of each connection and
answers any other method itself (after reading its body, so the client is not cut off mid-upload), leaving every
``GET`` to websockets and ``process_request`` (which answers an unknown ``GET`` path with a 404 the same way).
"""

from __future__ import annotations

import json
import re
import uuid
from http import HTTPStatus

from websockets.asyncio.server import ServerConnection

OFFER = ("dgtui serve offers live streaming only: a WebSocket (GET) on /v1/listen (Nova) or /v2/listen (Flux). "
         "Pre-recorded transcription, text-to-speech and management calls go to Deepgram's API.")  # fmt: skip
HEAD_LIMIT = 64 * 1024
METHOD = re.compile(rb"([A-Z]{3,10}) ")  # an HTTP request's first bytes
BODY_LIMIT = 512 * 1024 * 1024  # read and dropped before the answer, so the client's upload is not cut


def answer(method: str, path: str) -> bytes:
    """The response for a request the local server does not serve."""
    live = path.split("?", 1)[0].rstrip("/") in ("/v1/listen", "/v2/listen")
    status = HTTPStatus.METHOD_NOT_ALLOWED if live else HTTPStatus.NOT_FOUND
    what = f"{method} {path.split('?', 1)[0]}"
    message = f"{what} is not served here: {OFFER}"
    request_id = str(uuid.uuid4())
    code = "METHOD_NOT_ALLOWED" if live else "NOT_FOUND"
    body = json.dumps({"err_code": code, "err_msg": message, "request_id": request_id}).encode()
    allow = "Allow: GET\r\n" if live else ""
    head = (f"HTTP/1.1 {status.value} {status.phrase}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\ndg-error: {message}\r\ndg-request-id: {request_id}\r\n{allow}"
            "Connection: close\r\n\r\n")  # fmt: skip
    return head.encode() + body


class AnsweringConnection(ServerConnection):
    """A server connection that answers non-``GET`` requests itself (see the module's docstring)."""

    _head: bytes | None = b""  # None: a GET, websockets' from here on
    _body_left = 0
    _chunked = False
    _answer = b""

    def data_received(self, data: bytes) -> None:
        if self._head is None:
            super().data_received(data)
            return
        if self._answer:
            self._consume(data)
            return
        head = self._head + data
        method = METHOD.match(head)
        if method is None and len(head) < 12 and head.isalpha():
            self._head = head  # a method's first letters: wait for the rest
            return
        if method is None or method[1] == b"GET":  # a WebSocket (or not HTTP at all: websockets refuses it)
            self._head = None
            super().data_received(head)
            return
        end = head.find(b"\r\n\r\n")
        if end < 0:
            self._head = head if len(head) < HEAD_LIMIT else b""
            if not self._head:
                self.transport.close()
            return
        self._read_head(head[: end + 4])
        self._consume(head[end + 4 :])

    def _read_head(self, head: bytes) -> None:
        lines = head.decode("latin-1").split("\r\n")
        method, _, rest = lines[0].partition(" ")
        path = rest.rpartition(" ")[0] or rest
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        self._chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        length = headers.get("content-length", "0")
        self._body_left = min(int(length), BODY_LIMIT) if length.isdigit() else 0
        self._answer = answer(method or "?", path or "/")
        self._tail = b""

    def _consume(self, data: bytes) -> None:
        """Drop the body as it comes; answer once it has all come."""
        if self._chunked:
            self._tail = (self._tail + data)[-7:]
            done = self._tail.endswith(b"0\r\n\r\n")
        else:
            self._body_left -= len(data)
            done = self._body_left <= 0
        if done and self._answer:
            self.transport.write(self._answer)
            self._answer = b"-"  # answered: whatever else comes is dropped until the close
            self.transport.close()
