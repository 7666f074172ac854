"""The live sessions of one run and the endpoints they share.

The TUI (and anything else that adds streams while running) asks this for sessions: it names them uniquely,
asks its endpoint provider for each stream's URL (the commands' provider starts the embedded engine the first
time a local stream needs it, and stops it at the end), and turns any failure of one session into that
session's error so the others go on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from dgtui.audio.base import AudioSource
from dgtui.audio.conditions import NO_CONDITIONS, Conditions
from dgtui.judge.compare import LaneGroup
from dgtui.live.backend import Backend, BackendKind, Endpoints, RunningEndpoints
from dgtui.live.session import LiveSession
from dgtui.process.memory import Trimmer
from dgtui.recordings.writer import DEFAULT_POLICY, Recorder, RecordingPolicy, record
from dgtui.state.stream import Clock
from dgtui.state.usage import DEFAULT_PRICES, Prices


class StreamRunner:
    def __init__(
        self,
        backend: Backend,
        options: dict[str, Any],
        *,
        duration: float | None = None,
        clock: Clock = time.monotonic,
        record_dir: Path | None = None,
        reconnect: dict[str, Any] | None = None,
        endpoints: Endpoints | None = None,
        prices: Prices = DEFAULT_PRICES,
        record_policy: RecordingPolicy = DEFAULT_POLICY,
    ) -> None:
        self.backend = backend
        self.endpoints = endpoints or RunningEndpoints()  # the commands give one that starts the local engine
        self.reconnect = dict(reconnect or {})  # SessionConfig fields for every stream (attempts, buffer, resend)
        self.record_dir = record_dir  # None: no recordings
        self.record_policy = record_policy  # segments, compression, retention
        self.recorders: dict[str, Recorder] = {}
        self.options = options
        self.duration = duration
        self.prices = prices  # what the streams' usage costs
        self.clock = clock
        self.sessions: list[LiveSession] = []
        self.backends: dict[str, Backend] = {}  # session name -> its backend
        self._local_started = False
        self.trimmer = Trimmer()  # the freed heap goes back to the system while streams run (weeks-long runs)
        self.on_add: list[Callable[[LiveSession, Backend, LaneGroup | None], None]] = []  # told of each new stream

    def unique_name(self, base: str) -> str:
        taken = {s.name for s in self.sessions}
        name, n = base or "stream", 1
        while name in taken:
            n += 1
            name = f"{base}#{n}"
        return name

    def add(
        self,
        source: AudioSource,
        options: dict[str, Any] | None = None,
        backend: Backend | None = None,
        group: LaneGroup | None = None,
        conditions: Conditions = NO_CONDITIONS,
    ) -> LiveSession:
        """A stream for ``source`` (its audio through ``conditions`` first), with its own options and backend."""
        backend = backend or self.backend
        name = self.unique_name(source.name)
        if conditions.changes_signal:
            from dgtui.audio.impair import condition  # numpy and PyAV, loaded only for a stream that needs them

            source = condition(source, conditions)
        source.name = name
        config = replace(
            backend.session_config(name, backend.url or "", options or self.options, self.duration),
            **self.reconnect,
            conditions=conditions,
            prices=self.prices,
            local_engine=backend.kind is BackendKind.LOCAL,
        )
        session = LiveSession(config, source, clock=self.clock)
        source.hooks = session.source_hooks()  # a damaged file is a warning: the stream goes on
        self.sessions.append(session)
        self.backends[name] = backend
        if self.record_dir is not None:
            self.recorders[name] = record(
                session, self.record_dir, backend=backend.kind, group=group, policy=self.record_policy
            )
        for told in self.on_add:
            told(session, backend, group)
        return session

    def remove(self, session: LiveSession) -> None:
        if session in self.sessions:
            self.sessions.remove(session)

    @property
    def local_streams(self) -> int:
        return sum(1 for b in self.backends.values() if b.kind is BackendKind.LOCAL)

    async def run(self, session: LiveSession) -> bool:
        """Run one session to its end; never raises (a failure becomes the session's error)."""
        backend = self.backends.get(session.name, self.backend)
        self.trimmer.acquire()
        try:
            if session.source.error:  # it could not be opened: no connection for it
                return await session.run()
            if backend.kind is BackendKind.LOCAL and not self._local_started:
                session.note("starting the local engine (loading the speech model)")
            session.set_endpoint(await self.endpoints.url_for(backend, self.local_streams))
            self._local_started = self._local_started or backend.kind is BackendKind.LOCAL
            return await session.run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # one stream's failure must never stop the others
            session.fail(f"internal error: {type(exc).__name__}: {exc}")
            return False
        finally:
            self.trimmer.release()
            recorder = self.recorders.get(session.name)
            if recorder is not None:
                recorder.close()

    async def close(self) -> None:
        """Stop whatever the endpoint provider started (the local engine)."""
        await self.endpoints.close()
