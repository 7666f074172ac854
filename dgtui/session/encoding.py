"""dgtui's own events as the JSON lines of ``dgtui stream --json``: one naming, ``dgtui.<Event>``.

Server messages are not encoded here: ``--json`` prints them exactly as received. Every other event a session
emits has one line type, so a script can follow the stream whole (the README lists them, one example each).
"""

from __future__ import annotations

import math
from typing import Any

from dgtui.protocol.secrets import redact, redact_url
from dgtui.session.events import (
    AudioProgress,
    Closed,
    Connected,
    Control,
    Event,
    MessageReceived,
    Reconnected,
    Reconnecting,
    SessionError,
    SourceOpened,
    SourceReopening,
    SourceTitle,
    StateChanged,
)

CONTROL_TYPES = {"finalize": "dgtui.Finalize", "pause": "dgtui.Pause", "resume": "dgtui.Resume"}


def _s(seconds: float) -> float:
    return round(seconds, 6)


def event_json(event: Event) -> dict[str, Any] | None:
    """The ``--json`` line of one event (``None``: a server message, printed raw, or a reconnect's start, which
    the ``dgtui.Reconnecting`` before it and the ``dgtui.Reconnected`` after it describe)."""
    base: dict[str, Any] = {"name": event.name}
    match event:
        case MessageReceived():
            return None
        case Connected():
            timings = {k: _s(getattr(event.timings, k)) for k in ("dns", "tcp", "tls", "upgrade")}
            return {"type": "dgtui.Connected", **base, "url": redact_url(event.url), "request_id": event.request_id,
                    "handshake": timings}  # fmt: skip
        case Reconnecting() | SourceReopening():
            kind = "dgtui.Reconnecting" if isinstance(event, Reconnecting) else "dgtui.SourceReopening"
            return {"type": kind, **base, "attempt": event.attempt, "max_attempts": event.max_attempts,
                    "backoff_s": _s(event.backoff), "reason": event.reason}  # fmt: skip
        case Reconnected():
            return {"type": "dgtui.Reconnected", **base, "request_id": event.request_id, "offset_s": _s(event.offset),
                    "gap_s": _s(event.gap), "audio_resent_s": _s(event.audio_resent),
                    "audio_lost_s": _s(event.audio_lost)}  # fmt: skip
        case Control():
            kind = CONTROL_TYPES.get(event.action)
            return None if kind is None else {"type": kind, **base, "cursor_s": _s(event.offset)}
        case StateChanged():
            return {"type": "dgtui.State", **base, "state": event.state.value}
        case SessionError():
            return {"type": "dgtui.Error", **base, "message": redact(event.message), "detail": redact(event.detail),
                    "fatal": event.fatal}  # fmt: skip
        case SourceOpened():
            return {"type": "dgtui.Source", **base, "kind": event.kind, "reason": event.reason}
        case SourceTitle():
            return {"type": "dgtui.SourceTitle", **base, "title": event.title}
        case AudioProgress():
            level = None if math.isnan(event.level_db) else round(event.level_db, 1)
            return {"type": "dgtui.Audio", **base, "cursor_s": _s(event.cursor), "level_db": level,
                    "bytes": event.bytes_sent}  # fmt: skip
        case Closed():
            return {"type": "dgtui.Closed", **base, "code": event.code, "reason": event.reason,
                    "explanation": event.explanation, "clean": event.clean}  # fmt: skip
    return None
