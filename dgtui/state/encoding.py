"""One encoding for every event: the lines of ``dgtui stream --json`` and of the recordings, and back.

An event's line is its tagged struct (``{"type": "dgtui.<Event>", "name": ..., ...}``, see
:mod:`dgtui.state.events`); a server message's line is ``{"type": "message", "name", "raw", "mono",
"cursor"}`` in a recording, and its raw text alone in ``--json``. A recording adds the wall-clock ``wall`` (and
``mono`` where the event has no time of its own) to each line; readers ignore what they do not know.
"""

from __future__ import annotations

import math
from typing import Any

import msgspec

from dgtui.process.secrets import redact, redact_url
from dgtui.state.events import Connected, DgtuiEvent, Event, MessageReceived, SessionError


def event_line(event: Event) -> dict[str, Any]:
    """The line of one event, without secrets."""
    if isinstance(event, MessageReceived):
        return {"type": "message", "name": event.name, "raw": event.raw, "mono": round(event.received_at, 6),
                "cursor": round(event.cursor or 0.0, 6)}  # fmt: skip
    line: dict[str, Any] = _rounded(msgspec.to_builtins(event))
    if isinstance(event, Connected):
        line["url"] = redact_url(event.url)
    elif isinstance(event, SessionError):
        line["message"], line["detail"] = redact(event.message), redact(event.detail)
    return line


def _rounded(data: dict[str, Any]) -> dict[str, Any]:
    """Times to the microsecond, NaN as null, nested tables too (the handshake's timings)."""
    for key, value in data.items():
        if isinstance(value, float):
            data[key] = None if math.isnan(value) else round(value, 6)
        elif isinstance(value, dict):
            _rounded(value)
    return data


def read_event(line: dict[str, Any]) -> Event | None:
    """The event a line holds; None for a line of a type this dgtui does not know (a newer one's)."""
    if line.get("type") == "message":
        if not isinstance(line.get("raw"), str):
            return None
        return MessageReceived(str(line.get("name", "")), line["raw"], None, float(line.get("mono", 0.0)),
                               float(line.get("cursor", 0.0)))  # fmt: skip
    try:
        return msgspec.convert(line, DgtuiEvent)
    except msgspec.ValidationError:
        return None
