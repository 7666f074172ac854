"""Opening one live connection, timing each step (DNS, TCP, TLS, upgrade) and explaining failures."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import time
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, InvalidStatus

from dgtui.process.secrets import redact, redact_url
from dgtui.state.events import HandshakeTimings

STATUS_ADVICE = {
    400: "a query parameter was rejected; fix the option it names",
    401: "the API key was refused; check the key, or stream to a server that needs none",
    402: "the Deepgram project has no credits left; add funds or use another project's key",
    403: "the key's project has no access to this model or feature; pick another model",
    404: "there is no live endpoint at this URL; it should end in /v1/listen",
    429: "too many concurrent streams for this project; close some or retry later",
    503: "the service is unavailable right now; retry later",
}


class HandshakeError(Exception):
    """The connection could not be opened; ``str()`` says what happened and what to do."""

    def __init__(
        self, message: str, status: int | None = None, request_id: str | None = None, dg_error: str = ""
    ) -> None:
        super().__init__(message)
        self.status = status
        self.request_id = request_id
        self.dg_error = dg_error  # the server's dg-error header, as sent


class _TimedConnection(ClientConnection):
    """Notes when the transport is ready: after TCP (and TLS), before the HTTP upgrade."""

    transport_ready_at = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport_ready_at = time.perf_counter()
        super().connection_made(transport)  # type: ignore[arg-type]


async def open_connection(
    url: str, headers: dict[str, str] | None = None, timeout: float = 10.0, max_size: int | None = 2**24
) -> tuple[ClientConnection, HandshakeTimings]:
    parts = urlsplit(url)
    secure = parts.scheme == "wss"
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise HandshakeError(f"{redact_url(url)} is not a ws:// or wss:// URL.")
    host, port = parts.hostname, parts.port or (443 if secure else 80)
    shown = redact_url(url)
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            t0 = time.perf_counter()
            try:
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except socket.gaierror as exc:
                raise HandshakeError(
                    f"cannot resolve {host}: {exc.strerror}. Check the host name and your DNS."
                ) from None
            t1 = time.perf_counter()
            sock = await _tcp_connect(infos, host, port)
            t2 = time.perf_counter()
            try:
                connection = await connect(
                    url,
                    sock=sock,
                    ssl=ssl.create_default_context() if secure else None,
                    server_hostname=host if secure else None,
                    additional_headers=headers,
                    create_connection=_TimedConnection,
                    max_size=max_size,
                    open_timeout=None,
                    ping_interval=20,
                    compression=None,
                )
            except BaseException:
                sock.close()
                raise
            t4 = time.perf_counter()
    except TimeoutError:
        raise HandshakeError(
            f"{shown}: no answer within {timeout:g} s. The server may be down or unreachable."
        ) from None
    except InvalidStatus as exc:
        raise _status_error(exc) from None
    except ssl.SSLCertVerificationError as exc:
        raise HandshakeError(
            f"TLS failure with {host}: {str(exc.verify_message).rstrip('.')}. The certificate could not be "
            "verified, so nothing was sent. Check the URL's host; for a server with a private certificate "
            "authority, point SSL_CERT_FILE at that authority's certificate."
        ) from None
    except ssl.SSLError as exc:
        raise HandshakeError(f"TLS failure with {host}: {exc.reason or exc}.") from None
    except InvalidHandshake as exc:
        raise HandshakeError(
            f"{shown}: the server did not complete a WebSocket handshake ({redact(str(exc))})."
        ) from None
    except (ConnectionError, OSError) as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        if parts.scheme == "wss" and isinstance(exc, ConnectionResetError | BrokenPipeError):
            raise HandshakeError(
                f"TLS failure with {host}: the server reset the connection during the TLS handshake ({reason}). "
                "If it does not speak TLS on that port, use ws://."
            ) from None
        raise HandshakeError(f"{shown}: the connection failed ({reason}).") from None
    t3 = getattr(connection, "transport_ready_at", t2) or t2
    return connection, HandshakeTimings(dns=t1 - t0, tcp=t2 - t1, tls=max(0.0, t3 - t2), upgrade=max(0.0, t4 - t3))


async def _tcp_connect(infos: list, host: str, port: int) -> socket.socket:
    loop = asyncio.get_running_loop()
    last: OSError | None = None
    for family, kind, proto, _, address in infos:
        sock = socket.socket(family, kind, proto)
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, address)
            return sock
        except OSError as exc:
            sock.close()
            last = exc
    if isinstance(last, ConnectionRefusedError):
        raise HandshakeError(f"connection refused by {host}:{port}: nothing is listening there. Is the server running?")
    raise HandshakeError(f"cannot connect to {host}:{port}: {getattr(last, 'strerror', None) or last}.")


def _status_error(exc: InvalidStatus) -> HandshakeError:
    response = exc.response
    status = response.status_code
    dg_error = response.headers.get("dg-error", "")
    request_id = response.headers.get("dg-request-id")
    body = response.body.decode("utf-8", "replace").strip() if response.body else ""
    detail = dg_error
    try:
        parsed = json.loads(body) if body else None
        if isinstance(parsed, dict):
            detail = detail or parsed.get("err_msg", "")
            body = json.dumps(parsed)
    except ValueError:
        pass
    parts = [f"HTTP {status} {response.reason_phrase}".strip()]
    if dg_error:
        parts.append(f"dg-error: {dg_error}")
    if body:
        parts.append(f"body: {body[:500]}")
    if request_id:
        parts.append(f"request id {request_id}")
    advice = STATUS_ADVICE.get(status, "")
    message = "; ".join(parts) + (f". What to do: {advice}." if advice else ".")
    return HandshakeError(redact(message), status=status, request_id=request_id, dg_error=redact(dg_error))
