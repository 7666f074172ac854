"""HTTP/1.1 heads as the tap reads and forwards them, no I/O: the app's request passed upstream with only its
``Host`` changed, the upstream's answer passed back byte for byte, a 502 that names an unreachable upstream."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

HEAD_LIMIT = 64 * 1024  # bytes of request or response head the tap reads before it gives up
END = b"\r\n\r\n"
TAP_HEADER = "dgtui-tap"  # on the one answer the tap writes itself: the upstream could not be reached


class HeadError(ValueError):
    """Not an HTTP/1.1 head the tap can forward."""


@dataclass(frozen=True)
class Head:
    start: str  # the request line or the status line
    headers: tuple[tuple[str, str], ...]
    raw: bytes  # exactly as received, through the blank line

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((value for key, value in self.headers if key.lower() == lowered), None)

    @property
    def target(self) -> str:
        """A request's target: path and query."""
        parts = self.start.split(" ")
        return parts[1] if len(parts) == 3 else ""

    @property
    def status(self) -> int:
        """A response's status code."""
        parts = self.start.split(" ", 2)
        try:
            return int(parts[1])
        except (IndexError, ValueError):
            raise HeadError(f"not an HTTP status line: {self.start[:80]!r}") from None


LISTEN_PATHS = ("/v1/listen", "/v2/listen")


def is_listen(request: Head) -> bool:
    """Whether a request opens a live transcription stream (a WebSocket on ``/v1/listen`` or ``/v2/listen``, any
    query); the rest of the traffic (a pre-recorded ``POST /v1/listen`` among it) is flows."""
    upgrade = (request.header("upgrade") or "").lower() == "websocket"
    return upgrade and urlsplit(request.target).path.rstrip("/") in LISTEN_PATHS


def parse_head(raw: bytes) -> Head:
    """A complete head (through the blank line), as read off the wire."""
    if not raw.endswith(END):
        raise HeadError("the head does not end with a blank line")
    try:
        lines = raw[: -len(END)].decode("latin-1").split("\r\n")
    except UnicodeDecodeError as exc:  # pragma: no cover - latin-1 decodes every byte
        raise HeadError(str(exc)) from None
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise HeadError(f"not a header line: {line[:80]!r}")
        headers.append((name, value.strip()))
    return Head(lines[0], tuple(headers), raw)


def upstream_request(head: Head, host: str) -> bytes:
    """The app's request as the upstream gets it: every line as sent, in order, but ``Host``."""
    lines = [head.start]
    for name, value in head.headers:
        lines.append(f"{name}: {host}" if name.lower() == "host" else f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def bad_gateway(upstream: str, detail: str) -> bytes:
    """What the app gets when the upstream cannot be reached: a 502 that names it, in Deepgram's error shape."""
    message = f"dgtui tap could not reach the upstream {upstream}: {detail}"
    body = json.dumps({"err_code": "BAD_GATEWAY", "err_msg": message}).encode()
    head = (
        f"HTTP/1.1 502 Bad Gateway\r\n{TAP_HEADER}: upstream unreachable\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body
