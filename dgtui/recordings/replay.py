"""Replaying a recording: the same messages and events, at their recorded times, through the same state code.

Metrics come out as they were live: every message is applied with its recorded receive time and audio cursor,
and a reconnect shifts the later timestamps exactly as it did then.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from dgtui.recordings.format import RecordingError
from dgtui.recordings.player import PlayedSession, Step
from dgtui.recordings.reader import SessionRecording, read_session
from dgtui.state.encoding import read_event
from dgtui.state.events import (
    AudioProgress,
    Closed,
    Connected,
    Control,
    Event,
    HandshakeTimings,
    Manifest,
    MessageReceived,
    Reconnected,
    Reconnecting,
    SessionError,
    SourceOpened,
    SourceReopening,
    SourceTitle,
    State,
    StateChanged,
)
from dgtui.state.stream import Clock, SessionState
from dgtui.state.transcript import Transcript


def apply_event(state: SessionState, event: Event, now: float) -> None:
    """A recorded event applied to a stream's state as it was live (the state emits it again to its listeners)."""
    match event:
        case MessageReceived():
            try:
                state.receive(event.raw, now, event.cursor)
            except ValueError:
                state.fail("the recorded server message is not JSON (ignored)", event.raw[:200], fatal=False)
        case AudioProgress():
            level = math.nan if event.level_db is None else event.level_db
            state.on_audio(max(0, event.bytes_sent - state.metrics.bytes_sent), event.cursor, level, now)
        case Connected():
            state.connected(event.url, event.request_id, event.timings)
        case StateChanged():
            state.set_phase(event.state)
        case SessionError():
            state.fail(event.message, event.detail, event.fatal)
        case Control():
            state.control(event.action, event.offset)
        case SourceTitle():
            state.title(event.title)
        case SourceOpened():
            state.source_opened(event.kind, event.reason)
        case Reconnecting():
            state.will_reconnect(event.attempt, event.max_attempts, event.backoff, event.reason)
        case SourceReopening():
            state.source_reopening(event.attempt, event.max_attempts, event.backoff, event.reason)
        case Closed():
            state.closed(event.code, event.reason, event.explanation)
        case Reconnected():  # the state tells it again (applying the connection); the audio it cost is the recording's
            state.reconnected_audio(event.audio_resent, event.audio_lost)
        case Manifest():
            state.finish(event)


def _step(line: dict[str, Any], at: float) -> Step | None:
    """A line of format 2: one of the events, in their one encoding."""
    event = read_event(line)
    if event is None:
        return None  # a newer dgtui's line: skipped, the rest still replays
    return Step(at, lambda s, now: apply_event(s, event, now))


def _format1_step(line: dict[str, Any], at: float) -> Step | None:
    """A line of format 1 (dgtui 0.1, before the events had one encoding): kept so old recordings replay."""
    kind = line.get("type")
    if kind == "message":
        raw, cursor = line["raw"], line.get("cursor", 0.0)

        def message(s: SessionState, now: float) -> None:
            try:
                s.receive(raw, now, cursor)
            except ValueError:
                s.fail("the recorded server message is not JSON (ignored)", raw[:200], fatal=False)

        return Step(at, message)
    if kind == "dgtui.audio":
        cursor, level, sent = line.get("cursor", 0.0), line.get("level_db"), line.get("bytes", 0)
        level = math.nan if level is None else level
        return Step(at, lambda s, now: s.on_audio(max(0, sent - s.metrics.bytes_sent), cursor, level, now))
    if kind == "dgtui.connected":
        timings = HandshakeTimings(**line.get("handshake", {}))
        return Step(at, lambda s, now: s.connected(line.get("url", ""), line.get("request_id"), timings))
    if kind == "dgtui.state":
        try:
            state = State(line["state"])
        except (KeyError, ValueError):
            return None
        return Step(at, lambda s, now: s.set_phase(state))
    if kind == "dgtui.error":
        return Step(at, lambda s, now: s.fail(line.get("message", ""), line.get("detail", ""), line.get("fatal", True)))
    if kind == "dgtui.reconnect":
        return Step(at, lambda s, now: s.control("reconnect", line.get("offset", 0.0)))
    if kind in ("dgtui.finalize", "dgtui.pause", "dgtui.resume"):
        action = kind.removeprefix("dgtui.")
        return Step(at, lambda s, now: s.control(action, line.get("offset", 0.0)))
    if kind == "dgtui.source":
        return Step(at, lambda s, now: s.source_opened(line.get("kind", ""), line.get("reason", "")))
    if kind == "dgtui.title":
        return Step(at, lambda s, now: s.title(line.get("title", "")))
    if kind == "dgtui.closed":
        return Step(at, lambda s, now: s.closed(line.get("code"), line.get("reason", ""), line.get("explanation", "")))
    return None  # a newer dgtui's line: skipped, the rest still replays


def api_of(header: dict[str, Any]) -> str:
    """Which protocol a recording holds: its header says (recordings before Flux are Nova's)."""
    api = header.get("api")
    return api if api in ("v1", "v2") else "v1"


def steps_from(header: dict[str, Any], lines: list[dict[str, Any]], origin: float | None = None) -> list[Step]:
    """The steps of ``lines``, timed from ``origin`` (the header's monotonic time unless given)."""
    origin = header.get("mono", 0.0) if origin is None else origin
    read = _format1_step if header.get("format", 1) < 2 else _step
    steps = []
    for line in lines:
        step = read(line, max(0.0, line.get("mono", origin) - origin))
        if step is not None:
            steps.append(step)
    return steps


def _origin(recording: SessionRecording, first: list[dict[str, Any]]) -> float:
    """Where the script starts: the session's start, or, when retention deleted its first segments, the first
    line still there (a replay does not wait through the hours deleted)."""
    if recording.missing and first:
        return float(first[0].get("mono", recording.header.get("mono", 0.0)))
    return float(recording.header.get("mono", 0.0))


class ReplaySession(PlayedSession):
    """A recorded session, played back (or applied at once) with everything a live one shows; any of its
    segment files stands for the whole session."""

    def __init__(
        self,
        path: Path,
        *,
        clock: Clock = time.monotonic,
        speed: float = 1.0,
        transcript: Transcript | None = None,
        read_lines: bool = True,
    ) -> None:
        recording = read_session(path)
        header = recording.header
        lines = recording.lines() if read_lines else []
        self.origin = _origin(recording, lines)
        super().__init__(
            header.get("name", path.stem),
            steps_from(header, lines, self.origin),
            source=header.get("source", ""),
            url=header.get("url", ""),
            options=header.get("options", {}),
            api=api_of(header),
            clock=clock,
            speed=speed,
            transcript=transcript,
        )
        self.path = path
        self.header = header
        self.recording = recording
        self.state.recording_path = path
        self.state.local_engine = header.get("backend") == "local"  # not billed, as it was live
        if recording.missing:
            self.state.note(f"segments 1-{recording.missing} of this session were deleted (retention): it starts "
                            f"at segment {recording.missing + 1}", "warning")  # fmt: skip


def load(path: Path, transcript: Transcript | None = None) -> ReplaySession:
    """A recording applied whole (for exports and listings), one segment in memory at a time; raises
    RecordingError with what is wrong."""
    try:
        session = ReplaySession(path, transcript=transcript, read_lines=False)
        origin: float | None = None
        for lines in session.recording.segments():
            origin = _origin(session.recording, lines) if origin is None else origin
            session.steps, session.position = steps_from(session.header, lines, origin), 0
            session.advance(session.duration, origin=0.0)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise RecordingError(f"{path}: {exc.strerror or exc}") from None
    session.state.transcript.finish()
    return session
