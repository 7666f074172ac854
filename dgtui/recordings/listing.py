"""What ``dgtui sessions`` shows of each recording, read in one pass without decoding every message; a session's
segments merged into one row. Listings go through :mod:`dgtui.recordings.catalog`, its index."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from dgtui.recordings.format import HEADER, RecordingError
from dgtui.recordings.segments import is_recording, open_text, parse_name
from dgtui.state.encoding import read_event
from dgtui.state.events import AudioProgress, Connected, Event, HandshakeTimings


@dataclass(frozen=True)
class RecordingInfo:
    path: Path
    name: str
    started: str
    duration: float  # seconds of audio
    request_id: str
    model: str
    source: str
    request_ids: tuple[str, ...] = ()  # every connection's, the first first (request_id is the first)
    segment: int = 1  # the first segment there (earlier ones were deleted when it is more than 1)
    segments: int = 1  # how many files the session is in

    COLUMNS = ("started (UTC)", "name", "audio", "request id", "model")

    def cells(self) -> tuple[str, ...]:
        """What a listing shows of it, under :attr:`COLUMNS` (``dgtui sessions`` and the sessions screen)."""
        hours, rest = divmod(int(self.duration), 3600)
        length = f"{hours}h{rest // 60:02d}m" if hours else f"{self.duration:.1f} s"  # a day reads as 24h00m
        audio = length + (f" in {self.segments} segments" if self.segments > 1 else "")
        if self.segment > 1:
            audio += f" (1-{self.segment - 1} deleted)"
        return (self.started[:19].replace("T", " "), self.name, audio, self.request_id or "-", self.model or "-")


# the start of the lines a listing reads, per recording format: (audio progress, connected)
PREFIXES = {1: ('{"type":"dgtui.audio"', '{"type":"dgtui.connected"'),
            2: ('{"type":"dgtui.Audio"', '{"type":"dgtui.Connected"')}  # fmt: skip


def _read(line: str, header: dict[str, Any]) -> Event | None:
    """One line's event, in either format."""
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if header.get("format", 1) >= 2:
        return read_event(data)
    if data.get("type") == "dgtui.audio":  # format 1 names
        return AudioProgress("", data.get("cursor", 0.0), None, data.get("mono", 0.0))
    return Connected("", data.get("url", ""), data.get("request_id"), HandshakeTimings())


def describe_recording(path: Path) -> RecordingInfo:
    """What ``dgtui sessions`` shows of a file, read in one pass without decoding every message."""
    header: dict[str, Any] | None = None
    request_id, model, duration = "", "", 0.0
    request_ids: list[str] = []
    with open_text(path) as f:
        for number, line in enumerate(f):
            if number == 0:
                try:
                    header = json.loads(line)
                except ValueError:
                    break
                continue
            audio, connected = PREFIXES[header.get("format", 1) if isinstance(header, dict) else 1]
            if line.startswith(audio):  # only the lines it needs are decoded (the prefix is their type)
                event = _read(line, header)
                if isinstance(event, AudioProgress):
                    duration = max(duration, event.cursor)
            elif line.startswith(connected):
                event = _read(line, header)
                if isinstance(event, Connected) and event.request_id:
                    request_ids.append(event.request_id)
                    request_id = request_id or event.request_id
            elif not model and line.startswith('{"type":"message"') and "model_info" in line:
                with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError):
                    model = json.loads(json.loads(line)["raw"])["metadata"]["model_info"]["name"]
    if header is None or header.get("type") != HEADER:
        raise RecordingError(f"{path}: not a dgtui recording (no header line)")
    model = model or str(header.get("options", {}).get("model", ""))
    segment = int(header.get("segment", 1))
    if not request_ids and isinstance(header.get("request_id"), str):  # a later segment: its session's first id
        request_ids.append(header["request_id"])
        request_id = header["request_id"]
    return RecordingInfo(path, header.get("name", path.stem), header.get("started", ""), duration, request_id,
                         model, header.get("source", ""), tuple(request_ids), segment)  # fmt: skip


def whole_sessions(files: Iterable[RecordingInfo]) -> list[RecordingInfo]:
    """Segments described one by one, merged into their sessions (a file not named as a segment is its own):
    the first segment there names it, the audio is the furthest, every request id is kept in order."""
    groups: dict[tuple[Path, str], list[RecordingInfo]] = {}
    for info in files:
        name = parse_name(info.path.name)
        groups.setdefault((info.path.parent, name.stem if name else info.path.name), []).append(info)
    merged = []
    for group in groups.values():
        if len(group) == 1:
            merged.append(group[0])
            continue
        group.sort(key=lambda info: info.segment)
        first = group[0]
        ids = tuple(dict.fromkeys(rid for info in group for rid in info.request_ids))
        model = next((info.model for info in group if info.model), "")
        merged.append(replace(first, duration=max(info.duration for info in group), request_ids=ids, model=model,
                              request_id=ids[0] if ids else first.request_id, segments=len(group)))  # fmt: skip
    return sorted(merged, key=lambda info: (info.started, info.path.name), reverse=True)


def list_recordings(directory: Path) -> list[RecordingInfo]:
    """Every readable recording under ``directory``, newest first (unreadable files are skipped), each file read:
    listings go through :func:`dgtui.recordings.catalog.catalog`, its index, instead."""
    found = []
    for path in directory.glob("*/*.jsonl*"):
        if is_recording(path.name):
            with contextlib.suppress(OSError, RecordingError, UnicodeDecodeError, EOFError):
                found.append(describe_recording(path))
    return whole_sessions(found)
