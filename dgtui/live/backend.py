"""Where a session connects: the backend as data, and the interface that turns it into a URL.

Choosing a backend (flags, environment, config file) and starting the local engine belong to the commands
(:mod:`dgtui.config.backend`); the runner is handed an :class:`Endpoints` and never imports a server.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from dgtui.live.session import SessionConfig
from dgtui.process.secrets import redact_url


class BackendKind(StrEnum):
    DEEPGRAM = "deepgram"  # Deepgram's cloud
    URL = "url"  # any compatible server at a URL (self-hosted Deepgram, dgtui serve, ...)
    LOCAL = "local"  # the embedded local engine, started for the run


@dataclass(frozen=True)
class Backend:
    kind: BackendKind
    url: str | None  # None for the local engine until it has started
    api_key: str | None = None
    token: bool = False  # the key is a temporary token, sent as Bearer
    key_source: str = ""  # where the key came from, to say so: an environment variable's name, "the config file"

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", BackendKind(self.kind))

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
        key = f"key from {self.key_source}" if self.key_source else "a key"
        if self.kind is BackendKind.DEEPGRAM:
            return f"Deepgram ({shown}), {key}"
        if self.kind is BackendKind.LOCAL:
            return "local engine (pocketsphinx, offline)" + (f" at {shown}" if shown else "")
        return f"{shown}" + (f" with the {key}" if self.key_source else " with a key" if self.api_key else "")


class Endpoints(Protocol):
    """Turns a backend into the URL to stream to; a provider may start a server the first time it is asked."""

    async def url_for(self, backend: Backend, streams: int) -> str:
        """The listen URL for ``backend`` (``streams``: how many local streams the run has, to size an engine)."""
        ...

    async def close(self) -> None:
        """Stop whatever was started."""
        ...


class RunningEndpoints:
    """Backends that already run somewhere: each is its own URL. The local engine needs a provider that starts it
    (the commands' :class:`dgtui.commands.engine.LocalEndpoints`)."""

    async def url_for(self, backend: Backend, streams: int) -> str:
        if backend.url is None:
            raise RuntimeError("this run has no provider that starts the local engine")
        return backend.url

    async def close(self) -> None:
        return None
