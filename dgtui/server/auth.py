"""Credential checks for the local server, in every form Deepgram accepts."""

from __future__ import annotations

import hmac

from websockets.datastructures import Headers

SCHEMES = ("token", "bearer")


def offered_credential(headers: Headers) -> str | None:
    """The key or token a client presented: ``Authorization: Token|Bearer X`` or subprotocols ``token, X``."""
    authorization = headers.get("Authorization")
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() in SCHEMES and value.strip():
            return value.strip()
        return None
    protocols = [p.strip() for value in headers.get_all("Sec-WebSocket-Protocol") for p in value.split(",")]
    for i, protocol in enumerate(protocols[:-1]):
        if protocol.lower() in SCHEMES:
            return protocols[i + 1]
    return None


def is_authorized(headers: Headers, api_key: str) -> bool:
    offered = offered_credential(headers)
    return offered is not None and hmac.compare_digest(offered.encode(), api_key.encode())


def select_subprotocol(offered: list[str]) -> str | None:
    """Echo the scheme word (never the key) when a browser-style client offered ``token, KEY``."""
    for protocol in offered:
        if protocol.lower() in SCHEMES:
            return protocol
    return None
