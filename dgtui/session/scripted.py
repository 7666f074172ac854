"""Sessions fed from a script instead of a connection: deterministic input for tests, benchmarks, screenshots.

A script is a list of :class:`Step`: at a time (seconds from the start), something happens to the state:
a server message arrives (as raw JSON, decoded by the real decoder), audio is sent, the state changes, an
error. :func:`conversation` writes the messages Deepgram sends for spoken sentences: interims every 250 ms of
audio, finals at pauses, ``speech_final``, ``SpeechStarted`` and ``UtteranceEnd``.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from dgtui.protocol.errors import CloseCode, explain_close
from dgtui.session.events import HandshakeTimings, State
from dgtui.session.state import Clock, SessionState
from dgtui.session.transcript import Transcript

MODEL_INFO = {"name": "2-general-nova", "version": "2024-01-18.26916", "arch": "nova-3"}
MODEL_UUID = "40bd3654-e622-47c4-a111-63a61b23bfe2"


@dataclass(frozen=True, slots=True)
class Step:
    at: float  # seconds from the start of the script
    apply: Callable[[SessionState, float], None]  # (state, clock time when it happens)


def message(at: float, data: dict[str, Any] | str, cursor: float | None = None) -> Step:
    raw = data if isinstance(data, str) else json.dumps(data)
    return Step(at, lambda s, now: s.receive(raw, now, cursor))


def audio(at: float, cursor: float, level_db: float = -20.0) -> Step:
    return Step(at, lambda s, now: s.on_audio(3200, cursor, level_db, now))


def connect(at: float, url: str, request_id: str) -> Step:
    def apply(s: SessionState, now: float) -> None:
        s.connected(url, request_id, HandshakeTimings(0.002, 0.004, 0.0, 0.011))
        s.set_state(State.STREAMING)

    return Step(at, apply)


def fail(at: float, text: str, detail: str = "") -> Step:
    def apply(s: SessionState, now: float) -> None:
        s.fail(text, detail)
        s.set_state(State.ERROR)

    return Step(at, apply)


def close(at: float, code: int = CloseCode.NORMAL, reason: str = "") -> Step:
    def apply(s: SessionState, now: float) -> None:
        s.set_state(State.CLOSED if code == CloseCode.NORMAL else State.ERROR)
        s.closed(code, reason, explain_close(code, reason))

    return Step(at, apply)


def results(
    words: Sequence[tuple[str, float, float, float]],
    *,
    start: float,
    end: float,
    is_final: bool = False,
    speech_final: bool = False,
    from_finalize: bool = False,
    channel: int = 0,
    channels: int = 1,
    speaker: int | None = None,
    request_id: str = "",
) -> dict[str, Any]:
    """A Results message for (word, start, end, confidence) tuples, shaped like Deepgram's."""
    word_objects = []
    for word, w_start, w_end, confidence in words:
        item: dict[str, Any] = {
            "word": word.lower().strip(".,?!"),
            "start": round(w_start, 3),
            "end": round(w_end, 3),
            "confidence": confidence,
            "punctuated_word": word,
        }
        if speaker is not None:
            item["speaker"] = speaker
        word_objects.append(item)
    transcript = " ".join(w[0] for w in words)
    return {
        "type": "Results",
        "channel_index": [channel, channels],
        "duration": round(end - start, 3),
        "start": round(start, 3),
        "is_final": is_final,
        "speech_final": speech_final,
        "from_finalize": from_finalize,
        "channel": {"alternatives": [{"transcript": transcript, "confidence": 0.98, "words": word_objects}]},
        "metadata": {"request_id": request_id, "model_info": MODEL_INFO, "model_uuid": MODEL_UUID},
    }


def conversation(
    sentences: Iterable[str],
    *,
    start: float = 0.6,
    word_seconds: float = 0.32,
    pause: float = 1.2,
    latency: float = 0.15,
    request_id: str = "",
    speakers: Sequence[int] | None = None,
    low_confidence: Callable[[str], bool] = lambda word: False,
    channel: int = 0,
    channels: int = 1,
) -> Iterator[Step]:
    """The messages of a live stream of ``sentences``, in order of arrival, with audio steps every 100 ms."""
    t = start
    for index, sentence in enumerate(sentences):
        speaker = speakers[index % len(speakers)] if speakers else None
        words = []
        for word in sentence.split():
            confidence = 0.42 if low_confidence(word) else 0.97
            words.append((word, t, t + word_seconds * 0.9, confidence))
            t += word_seconds
        utterance_start, utterance_end = words[0][1], words[-1][2]
        yield message(
            utterance_start + 0.08,
            {"type": "SpeechStarted", "channel": [channel, channels], "timestamp": round(utterance_start, 3)},
        )
        window_start = max(0.0, utterance_start - 0.3)

        def window(heard: list[Any], end: float, final: bool = False, start: float = window_start,
                   who: int | None = speaker) -> dict[str, Any]:  # fmt: skip
            return results(heard, start=start, end=end, is_final=final, speech_final=final, channel=channel,
                           channels=channels, speaker=who, request_id=request_id)  # fmt: skip

        cursor = utterance_start + 0.25
        while cursor < utterance_end:
            heard = [w for w in words if w[2] <= cursor]
            if heard:
                yield message(cursor + latency, window(heard, cursor), cursor + latency)
            cursor += 0.25
        final_at = utterance_end + 0.3
        yield message(final_at + latency, window(words, final_at, final=True), final_at + latency)
        yield message(
            utterance_end + 1.0 + latency,
            {"type": "UtteranceEnd", "channel": [channel, channels], "last_word_end": round(utterance_end, 3)},
            utterance_end + 1.0 + latency,
        )
        t = utterance_end + pause


def audio_steps(until: float, level: Callable[[float], float] | None = None, every: float = 0.1) -> Iterator[Step]:
    level = level or (lambda t: -18.0 - 6.0 * math.sin(t * 3.0))
    for i in range(1, int(until / every) + 1):
        t = round(i * every, 3)
        yield audio(t, t, level(t))


class ScriptedSession(SessionState):
    """A stream whose messages and events come from a script, with the controls of a live one.

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
    ) -> None:
        super().__init__(name, source=source, url=url, options=options, clock=self._now, transcript=transcript)
        self._base_clock = clock
        self._step_time: float | None = None  # while a step applies, the clock reads the step's time
        self.steps = sorted(steps, key=lambda step: step.at)
        self.position = 0  # index of the next step
        self.speed = speed
        self.stopped = False
        self.finalize_requests = 0
        self._resume = asyncio.Event()
        self._resume.set()
        self._playing = False
        self._play_pos = 0.0  # script seconds played when playback (re)started
        self._play_real = 0.0  # real time then

    def _now(self) -> float:
        if self._step_time is not None:
            return self._step_time
        if self._playing and self.started_at is not None:
            return self.started_at + self.script_time()
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
        if self.started_at is None:
            self.started_at = self._base_clock() - until if origin is None else origin
        origin = self.started_at if origin is None else origin
        applied = 0
        while self.position < len(self.steps) and self.steps[self.position].at <= until:
            step = self.steps[self.position]
            self._step_time = origin + step.at
            try:
                step.apply(self, self._step_time)
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
        if self.started_at is None:
            self.started_at = self._base_clock()
        self._play_real, self._playing = time.monotonic(), True
        try:
            while not self.done and not self.stopped:
                await self._resume.wait()
                wait = (self.steps[self.position].at - self.script_time()) / self.speed
                if wait > 0:
                    await asyncio.sleep(min(wait, 0.1))  # short naps: pause, speed and jumps act at once
                    continue
                self.advance(self.script_time(), self.started_at)
        finally:
            self._rebase()
            self._playing = False
        if self.state not in (State.CLOSED, State.ERROR):
            self.set_state(State.CLOSED)
        return self.error is None

    def set_speed(self, speed: float) -> None:
        self._rebase()
        self.speed = max(0.1, min(64.0, speed))

    def jump_to_end(self) -> None:
        """Apply the rest of the script now."""
        self.advance(self.duration, self.started_at)
        self._play_pos, self._play_real = self.duration, time.monotonic()

    # -- the controls of a live session ------------------------------------------------------------------

    def pause(self) -> None:
        if self.state is State.STREAMING:
            self._rebase()
            self._resume.clear()
            self.set_state(State.PAUSED)

    def resume(self) -> None:
        if self.state is State.PAUSED:
            self._play_real = time.monotonic()
            self._resume.set()
            self.set_state(State.STREAMING)

    def request_finalize(self, channel: int | None = None) -> None:
        self.finalize_requests += 1
        self.control("finalize")

    def reconnect(self) -> None:
        self.control("reconnect", self.cursor)

    def stop(self) -> None:
        self.stopped = True
        self._resume.set()


class ScriptedRunner:
    """Runs scripted sessions for the app (it needs nothing else from a runner)."""

    def __init__(self, sessions: Iterable[ScriptedSession]) -> None:
        self.sessions: list[ScriptedSession] = list(sessions)

    async def run(self, session: ScriptedSession) -> bool:  # type: ignore[override]
        return await session.run()

    def remove(self, session: ScriptedSession) -> None:
        if session in self.sessions:
            self.sessions.remove(session)

    async def close(self) -> None:
        return None
