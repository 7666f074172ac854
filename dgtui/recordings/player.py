"""Playing a stream from a list of timed steps: the player behind replays, and behind scripted tests.

A :class:`Step` is what happens to a stream at a time (seconds from the start): events, applied to its state as
a live session applies them (a server message as raw JSON, decoded by the real decoder; audio sent; the state
changing; an error). :class:`PlayedSession` applies them at once (``advance``) or plays them in real time scaled
by a speed, with pause and a jump to the end; a replay (:mod:`dgtui.recordings.replay`) is one, fed from a
recording.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dgtui.state.events import Control, Event, Note, SessionError, Started, State, StateChanged
from dgtui.state.setup import Setup
from dgtui.state.stream import Clock, StreamState
from dgtui.state.transcript import Transcript

Made = Callable[[StreamState], Event]  # a scripted event that depends on where the stream is when it comes


@dataclass(frozen=True, slots=True)
class Step:
    at: float  # seconds from the start of the play
    events: tuple[Event | Made, ...]  # applied in order, at that time


def step(at: float, *events: Event | Made) -> Step:
    return Step(at, events)


class PlayedSession:
    """A stream whose messages and events are played from a list of steps, with the controls of a live one.

    ``advance`` applies steps up to a script time at once (tests, screenshots, exports); ``run`` plays them in
    real time scaled by ``speed``, with pause and a jump to the end. While it plays, its clock reads script
    time, so lights, uptime and rates look as they did when the script was recorded, whatever the speed.
    """

    def __init__(
        self,
        name: str,
        steps: Iterable[Step] = (),
        *,
        source: str = "",
        url: str = "",
        options: dict[str, Any] | None = None,
        clock: Clock = time.monotonic,
        speed: float = 1.0,
        transcript: Transcript | None = None,
        api: str = "v1",
        local_engine: bool = False,
        tapped: bool = False,
        conditions: Iterable[str] = (),
        recording_path: Path | None = None,
    ) -> None:
        self.state = StreamState(
            Setup(name, api, source, dict(options or {}), local_engine=local_engine, tapped=tapped),
            conditions=list(conditions),
            url=url,
            clock=self._now,
            transcript=transcript,
        )  # what views read; its clock is the player's (script time while playing)
        self.recording_path = recording_path  # a replay's own file
        self._base_clock = clock
        self._step_time: float | None = None  # while a step applies, the clock reads the step's time
        self.steps = sorted(steps, key=lambda step: step.at)
        self.position = 0  # index of the next step
        self.speed = speed
        self.stopped = False
        self.finalize_requests = 0
        self.configures: list[dict[str, Any]] = []  # what Configure asked for (nothing is sent)
        self._resume = asyncio.Event()
        self._resume.set()
        self._playing = False
        self._play_pos = 0.0  # script seconds played when playback (re)started
        self._play_real = 0.0  # real time then

    @property
    def name(self) -> str:
        return self.state.name

    def _now(self) -> float:
        if self._step_time is not None:
            return self._step_time
        started = self.state.connection.started_at
        if self._playing and started is not None:
            return started + self.script_time()
        return self._base_clock()

    def script_time(self) -> float:
        """Seconds of the script played so far."""
        if self._playing and self._resume.is_set():
            return self._play_pos + (time.monotonic() - self._play_real) * self.speed
        return self._play_pos

    def _rebase(self) -> None:
        self._play_pos, self._play_real = self.script_time(), time.monotonic()

    def advance(self, until: float, origin: float | None = None) -> int:
        """Apply every step due by ``until`` seconds of script time; the script started at clock ``origin``."""
        if self.state.connection.started_at is None:
            self.state.apply(Started(self.name), self._base_clock() - until if origin is None else origin)
        start = self.state.connection.started_at
        assert start is not None  # Started sets it
        origin = start if origin is None else origin
        applied = 0
        while self.position < len(self.steps) and self.steps[self.position].at <= until:
            step = self.steps[self.position]
            self._step_time = origin + step.at
            try:
                for event in step.events:
                    self.state.apply(event if isinstance(event, Event) else event(self.state), self._step_time)
            finally:
                self._step_time = None
            self.position += 1
            applied += 1
        return applied

    @property
    def done(self) -> bool:
        return self.position >= len(self.steps)

    @property
    def duration(self) -> float:
        return self.steps[-1].at if self.steps else 0.0

    async def run(self) -> bool:
        """Play the script in real time (scaled by ``speed``), holding while paused."""
        if self.state.connection.started_at is None:
            self.state.apply(Started(self.name), self._base_clock())
        self._play_real, self._playing = time.monotonic(), True
        try:
            while not self.done and not self.stopped:
                await self._resume.wait()
                if self.done:  # jumped to the end while paused
                    break
                wait = (self.steps[self.position].at - self.script_time()) / self.speed
                if wait > 0:
                    await asyncio.sleep(min(wait, 0.1))  # short naps: pause, speed and jumps act at once
                    continue
                self.advance(self.script_time(), self.state.connection.started_at)
        finally:
            self._rebase()
            self._playing = False
        if self.state.connection.phase not in (State.CLOSED, State.ERROR):
            self.state.apply(StateChanged(self.name, State.CLOSED))
        return self.state.connection.error is None

    def set_speed(self, speed: float) -> None:
        self._rebase()
        self.speed = max(0.1, min(64.0, speed))

    def jump_to_end(self) -> None:
        """Apply the rest of the script now."""
        self.advance(self.duration, self.state.connection.started_at)
        self._play_pos, self._play_real = self.duration, time.monotonic()

    # -- the controls of a live session ------------------------------------------------------------------

    def pause(self) -> None:
        if self.state.connection.phase is State.STREAMING:
            self._rebase()
            self._resume.clear()
            self.state.apply(StateChanged(self.name, State.PAUSED))

    def resume(self) -> None:
        if self.state.connection.phase is State.PAUSED:
            self._play_real = time.monotonic()
            self._resume.set()
            self.state.apply(StateChanged(self.name, State.STREAMING))

    def request_finalize(self, channel: int | None = None) -> None:
        self.finalize_requests += 1
        self.state.apply(Control(self.name, "finalize"))

    def reconnect(self) -> None:
        self.state.apply(Control(self.name, "reconnect", self.state.audio.cursor))

    def configure(self, settings: dict[str, Any]) -> None:
        self.configures.append(dict(settings))
        self.state.apply(Control(self.name, "configure", self.state.audio.cursor))

    def stop(self) -> None:
        self.stopped = True
        self._resume.set()

    def note(self, text: str, level: str = "info") -> None:
        self.state.apply(Note(self.name, text, level))

    def warn(self, text: str) -> None:
        self.state.apply(SessionError(self.name, text, fatal=False))


class PlayerRunner:
    """Runs played sessions for the app (replays, and scripted streams in tests and screenshots)."""

    def __init__(self, sessions: Iterable[PlayedSession]) -> None:
        self.sessions: list[PlayedSession] = list(sessions)

    async def run(self, session: PlayedSession) -> bool:  # type: ignore[override]
        return await session.run()

    def remove(self, session: PlayedSession) -> None:
        if session in self.sessions:
            self.sessions.remove(session)

    async def close(self) -> None:
        return None
