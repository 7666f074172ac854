"""Playing a stream from a list of timed steps: the player behind replays, and behind scripted tests.

A :class:`Step` is something that happens to a stream's state at a time (seconds from the start): a server
message arrives (as raw JSON, decoded by the real decoder), audio is sent, the state changes, an error.
:class:`PlayedSession` applies them at once (``advance``) or plays them in real time scaled by a speed, with
pause and a jump to the end; a replay (:mod:`dgtui.recordings.replay`) is one, fed from a recording.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from dgtui.state.events import State
from dgtui.state.stream import Clock, SessionState
from dgtui.state.transcript import Transcript


@dataclass(frozen=True, slots=True)
class Step:
    at: float  # seconds from the start of the play
    apply: Callable[[SessionState, float], None]  # (state, clock time when it happens)


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
    ) -> None:
        self.state = SessionState(
            name, source=source, url=url, options=options, clock=self._now, transcript=transcript, api=api
        )  # what views read; its clock is the player's (script time while playing)
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
        if self._playing and self.state.started_at is not None:
            return self.state.started_at + self.script_time()
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
        if self.state.started_at is None:
            self.state.started_at = self._base_clock() - until if origin is None else origin
        origin = self.state.started_at if origin is None else origin
        applied = 0
        while self.position < len(self.steps) and self.steps[self.position].at <= until:
            step = self.steps[self.position]
            self._step_time = origin + step.at
            try:
                step.apply(self.state, self._step_time)
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
        if self.state.started_at is None:
            self.state.started_at = self._base_clock()
        self._play_real, self._playing = time.monotonic(), True
        try:
            while not self.done and not self.stopped:
                await self._resume.wait()
                wait = (self.steps[self.position].at - self.script_time()) / self.speed
                if wait > 0:
                    await asyncio.sleep(min(wait, 0.1))  # short naps: pause, speed and jumps act at once
                    continue
                self.advance(self.script_time(), self.state.started_at)
        finally:
            self._rebase()
            self._playing = False
        if self.state.phase not in (State.CLOSED, State.ERROR):
            self.state.set_phase(State.CLOSED)
        return self.state.error is None

    def set_speed(self, speed: float) -> None:
        self._rebase()
        self.speed = max(0.1, min(64.0, speed))

    def jump_to_end(self) -> None:
        """Apply the rest of the script now."""
        self.advance(self.duration, self.state.started_at)
        self._play_pos, self._play_real = self.duration, time.monotonic()

    # -- the controls of a live session ------------------------------------------------------------------

    def pause(self) -> None:
        if self.state.phase is State.STREAMING:
            self._rebase()
            self._resume.clear()
            self.state.set_phase(State.PAUSED)

    def resume(self) -> None:
        if self.state.phase is State.PAUSED:
            self._play_real = time.monotonic()
            self._resume.set()
            self.state.set_phase(State.STREAMING)

    def request_finalize(self, channel: int | None = None) -> None:
        self.finalize_requests += 1
        self.state.control("finalize")

    def reconnect(self) -> None:
        self.state.control("reconnect", self.state.cursor)

    def configure(self, settings: dict[str, Any]) -> None:
        self.configures.append(dict(settings))
        self.state.control("configure", self.state.cursor)

    def stop(self) -> None:
        self.stopped = True
        self._resume.set()


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
