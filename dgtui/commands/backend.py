"""Choosing the backend from the settings (flags, environment, config file), and the local engine the commands
start for a run. The session layer only sees the :class:`~dgtui.session.backend.Backend` and an endpoint provider."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import subprocess
from collections.abc import Mapping
from urllib.parse import urlsplit

from dgtui.protocol.secrets import redact_url, register_secret
from dgtui.server.app import ListenServer, ServerConfig
from dgtui.session.backend import Backend, BackendKind

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


class LocalEngine:
    """The local server on a free loopback port for the life of a command; decoding in worker processes."""

    def __init__(self, streams: int = 2) -> None:
        self._server = ListenServer(
            ServerConfig(host="127.0.0.1", port=0, warm_workers=max(1, streams), worker_stderr=subprocess.DEVNULL)
        )

    @property
    def url(self) -> str:
        return self._server.url

    async def __aenter__(self) -> LocalEngine:
        await self._server.start()
        # Streams start on loaded engines: otherwise the first seconds of every metric measure model loading.
        await self._server.pool.wait_warm(timeout=30)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._server.close()


class LocalEndpoints:
    """Running backends by their URL; the local engine started the first time a local stream asks, stopped at
    ``close``."""

    def __init__(self) -> None:
        self._engine: LocalEngine | None = None
        self._lock = asyncio.Lock()

    async def url_for(self, backend: Backend, streams: int) -> str:
        if backend.kind is not BackendKind.LOCAL:
            assert backend.url is not None
            return backend.url
        async with self._lock:
            if self._engine is None:
                engine = LocalEngine(max(1, streams))
                await engine.__aenter__()
                self._engine = engine
            return self._engine.url

    async def close(self) -> None:
        async with self._lock:
            if self._engine is not None:
                engine, self._engine = self._engine, None
                await engine.__aexit__(None, None, None)
