"""Which server a session talks to: Deepgram, any compatible URL, or the embedded local engine."""

from __future__ import annotations

import ipaddress
import os
import subprocess
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from dgtui.secrets import redact_url, register_secret
from dgtui.session.session import SessionConfig

DEEPGRAM_URL = "wss://api.deepgram.com/v1/listen"


class BackendError(Exception):
    """The backend settings cannot work; the message says why and what to do."""


@dataclass(frozen=True)
class Backend:
    kind: str  # "deepgram", "url" or "local"
    url: str | None  # None for local until the engine has started
    api_key: str | None = None
    token: bool = False  # the key is a temporary token, sent as Bearer

    def session_config(
        self, name: str, url: str, options: dict[str, Any], duration: float | None = None
    ) -> SessionConfig:
        return SessionConfig(
            name=name,
            url=url,
            options=options,
            api_key=self.api_key,
            auth_scheme="Bearer" if self.token else "Token",
            duration=duration,
        )

    def describe(self, url: str | None = None) -> str:
        shown = redact_url(url or self.url or "")
        if self.kind == "deepgram":
            return f"Deepgram ({shown}), key from DEEPGRAM_API_KEY"
        if self.kind == "local":
            return "local engine (pocketsphinx, offline)" + (f" at {shown}" if shown else "")
        return f"{shown}" + (" with the key from DEEPGRAM_API_KEY" if self.api_key else "")


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
    register_secret(key)
    if local and url:
        raise BackendError("--local and --url contradict each other: use one.")
    if local:
        return Backend("local", None)
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
        return Backend("url", url, key, token)
    if key:
        return Backend("deepgram", DEEPGRAM_URL, key, token)
    return Backend("local", None)


class LocalEngine:
    """The local server on a free loopback port for the life of a command; decoding in worker processes."""

    def __init__(self, streams: int = 2) -> None:
        from dgtui.server.app import ListenServer, ServerConfig

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


@asynccontextmanager
async def listen_url(backend: Backend, streams: int) -> AsyncIterator[str]:
    """The URL to stream to; for the local backend, the engine runs for the life of the block."""
    if backend.kind == "local":
        async with LocalEngine(streams) as engine:
            yield engine.url
    else:
        assert backend.url is not None
        yield backend.url
