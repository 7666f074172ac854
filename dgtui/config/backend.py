"""Choosing the backend from the settings (flags, environment, config file). The live loop only sees the
:class:`~dgtui.live.backend.Backend` and an endpoint provider (the commands' one starts the local engine)."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from dgtui.live.backend import Backend, BackendKind
from dgtui.process.secrets import redact_url, register_secret

DEEPGRAM_URL = "wss://api.deepgram.com/v1/listen"


class BackendError(Exception):
    """The backend settings cannot work; the message says why and what to do."""


def is_loopback(host: str | None) -> bool:
    if host in (None, ""):
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def choose_backend(
    url: str | None,
    local: bool,
    environ: Mapping[str, str] = os.environ,
    allow_insecure_key: bool = False,
    token: bool = False,
    key_env: str = "DEEPGRAM_API_KEY",
    file_key: str | None = None,
) -> Backend:
    """The backend the settings ask for; the key comes from ``key_env`` in the environment, else the file."""
    key = environ.get(key_env) or file_key or None
    key_source = key_env if environ.get(key_env) else "the config file" if file_key else ""
    register_secret(key)
    if local and url:
        raise BackendError("--local and --url contradict each other: use one.")
    if local:
        return Backend(BackendKind.LOCAL, None)
    if url:
        parts = urlsplit(url)
        if parts.scheme in ("http", "https"):
            url = url.replace(parts.scheme, "ws" if parts.scheme == "http" else "wss", 1)
            parts = urlsplit(url)
        if parts.scheme not in ("ws", "wss") or not parts.hostname:
            raise BackendError(f"--url {redact_url(url)!r} is not a ws:// or wss:// URL.")
        if not parts.path or parts.path == "/":
            url = url.rstrip("/") + "/v1/listen"
        if key and parts.scheme == "ws" and not is_loopback(parts.hostname) and not allow_insecure_key:
            raise BackendError(
                f"refusing to send the API key unencrypted to {parts.hostname} over ws://. "
                "Use wss://, unset the key, or pass --allow-insecure-key if you really mean it."
            )
        return Backend(BackendKind.URL, url, key, token, key_source)
    if key:
        return Backend(BackendKind.DEEPGRAM, DEEPGRAM_URL, key, token, key_source)
    return Backend(BackendKind.LOCAL, None)
