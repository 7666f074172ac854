"""A local Deepgram for an application's tests: ``dgtui serve`` (the chosen engine, a key of its own) behind the
tap's relay, which does the test's faults and watches each client, all on a thread of its own so a test's
blocking client (Deepgram's SDK) can talk to it. What it saw of each connection is read back as :class:`Seen`.
"""

from __future__ import annotations

import asyncio
import functools
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dgtui.audio.decode import decoded_pcm
from dgtui.data import clip
from dgtui.server.app import ListenServer, ServerConfig
from dgtui.tap.runner import TapRunner, TapSession


@functools.cache
def _clip(name: str) -> bytes:
    return decoded_pcm(str(clip(name).path))


def speech(seconds: float, name: str = "council") -> bytes:
    """``seconds`` of one of dgtui's bundled clips (English speech) as 16 kHz mono linear16: audio for a test that
    has none of its own (``encoding=linear16&sample_rate=16000``)."""
    pcm = _clip(name)
    return pcm[: int(seconds * 16000) * 2]


@dataclass(frozen=True)
class Seen:
    """What the server saw of one client's stream, once it ended."""

    request_id: str | None
    api: str  # "v1" (Nova) or "v2" (Flux)
    options: dict[str, str]
    audio_seconds: float  # the audio the client sent, by its declared format
    controls: dict[str, int]  # KeepAlive, Finalize, CloseStream, ForceEndTurn: how many of each
    close_code: int | None  # how the connection ended (None: cut, no close frame)
    transcript: str  # the finals the server sent
    diagnoses: list[str] = field(default_factory=list)  # the mistakes seen: no-audio, tail-lost, ...
    faults: list[str] = field(default_factory=list)  # the injected faults that fired
    closed_by: str = ""  # who closed first: "client", "server" or "neither" (cut)

    @classmethod
    def of(cls, session: TapSession) -> Seen:
        state = session.state
        return cls(state.connection.request_id, state.setup.api, {k: str(v) for k, v in state.setup.options.items()},
                   round(state.audio.cursor, 6), dict(state.sending.controls), state.connection.close_code,
                   state.transcript.text(), [f.code for f in state.sending.findings],
                   list(state.connection.faults), state.sending.closed_by)  # fmt: skip


class LocalDeepgram:
    """Start with :meth:`start` (or ``with``); point the application at :attr:`url` with :attr:`key`."""

    def __init__(self, engine: str = "synthetic", faults: Sequence[str] = (), workers: int = 1,
                 replay: Sequence[str] = ()) -> None:  # fmt: skip
        self.key = f"dgtui-local-{secrets.token_hex(8)}"
        self.engine = engine
        self.faults = list(faults)
        if engine.startswith("script:"):  # the engine's processes read it: a path that holds wherever they run
            engine = "script:" + str(Path(engine.removeprefix("script:")).resolve())
        self._config = ServerConfig(host="127.0.0.1", port=0, api_key=self.key, engine=engine, workers=workers,
                                    admission=False, replay=tuple(str(Path(p)) for p in replay))  # fmt: skip
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="dgtui-local-deepgram", daemon=True)
        self.runner: TapRunner | None = None

    @property
    def url(self) -> str:
        """The base URL an SDK takes (``ws://127.0.0.1:PORT``); SDKs add ``/v1/listen`` or ``/v2/listen``."""
        assert self.runner is not None, "not started"
        return self.runner.url

    @property
    def http_url(self) -> str:
        return self.url.replace("ws://", "http://")

    def start(self) -> LocalDeepgram:
        self._thread.start()
        server = ListenServer(self._config)
        self.runner = TapRunner("ws://127.0.0.1:9", engine=server, faults=self.faults)
        asyncio.run_coroutine_threadsafe(self.runner.start(), self._loop).result(60)
        return self

    def stop(self) -> None:
        if self.runner is not None:
            asyncio.run_coroutine_threadsafe(self.runner.close(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> LocalDeepgram:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def seen(self, count: int = 1, timeout: float = 30.0) -> list[Seen]:
        """What the server saw of the first ``count`` streams, once each has ended (waiting at most ``timeout``)."""
        assert self.runner is not None, "not started"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            sessions = list(self.runner.sessions)
            if len(sessions) >= count and all(s.ended.is_set() for s in sessions[:count]):
                return [Seen.of(s) for s in sessions[:count]]
            time.sleep(0.02)
        raise TimeoutError(f"{count} stream(s) did not end within {timeout:g} s (seen: {len(self.runner.sessions)})")
