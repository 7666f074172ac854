"""Replaying a recording: the same messages and events, at their recorded times, through the same state code.

Metrics come out as they were live: every message is applied with its recorded receive time and audio cursor,
and a reconnect shifts the later timestamps exactly as it did then.
"""

from __future__ import annotations

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
    MessageReceived,
    SessionError,
    SourceOpened,
    SourceTitle,
    State,
    StateChanged,
)
from dgtui.state.stream import Clock
from dgtui.state.transcript import Transcript


def _step(line: dict[str, Any], at: float) -> Step | None:
    """A line of format 2: one of the events, in their one encoding."""
    event = read_event(line)
    if event is None:
        return None  # a newer dgtui's line: skipped, the rest still replays
    return Step(at, (event,))


def _format1_events(line: dict[str, Any]) -> tuple[Event, ...]:
    """A line of format 1 (dgtui 0.1, before the events had one encoding) as the events it stands for: kept so
    old recordings replay."""
    kind, name = line.get("type"), str(line.get("name", ""))
    if kind == "message" and isinstance(line.get("raw"), str):
        return (MessageReceived(name, line["raw"], None, 0.0, line.get("cursor", 0.0)),)
    if kind == "dgtui.audio":
        return (AudioProgress(name, line.get("cursor", 0.0), line.get("level_db"), 0.0, line.get("bytes", 0)),)
    if kind == "dgtui.connected":
        timings = HandshakeTimings(**line.get("handshake", {}))
        return (Connected(name, line.get("url", ""), line.get("request_id"), timings),)
    if kind == "dgtui.state":
        try:
            return (StateChanged(name, State(line["state"])),)
        except (KeyError, ValueError):
            return ()
    if kind == "dgtui.error":
        return (SessionError(name, line.get("message", ""), line.get("detail", ""), line.get("fatal", True)),)
    if kind == "dgtui.reconnect":
        return (Control(name, "reconnect", line.get("offset", 0.0)),)
    if kind in ("dgtui.finalize", "dgtui.pause", "dgtui.resume"):
        return (Control(name, kind.removeprefix("dgtui."), line.get("offset", 0.0)),)
    if kind == "dgtui.source":
        return (SourceOpened(name, line.get("kind", ""), line.get("reason", "")),)
    if kind == "dgtui.title":
        return (SourceTitle(name, line.get("title", "")),)
    if kind == "dgtui.closed":
        return (Closed(name, line.get("code"), line.get("reason", ""), line.get("explanation", "")),)
    return ()  # a newer dgtui's line: skipped, the rest still replays


def _format1_step(line: dict[str, Any], at: float) -> Step | None:
    events = _format1_events(line)
    return Step(at, events) if events else None


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
            local_engine=header.get("backend") == "local",  # not billed, as it was live
            tapped=header.get("backend") == "tap",  # an application's stream, seen by dgtui tap
            recording_path=path,
        )
        self.path = path
        self.header = header
        self.recording = recording
        if recording.missing:
            self.note(f"segments 1-{recording.missing} of this session were deleted (retention): it starts at "
                      f"segment {recording.missing + 1}", "warning")  # fmt: skip


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
    return session  # utterances still open (a recording cut short) count as they are
