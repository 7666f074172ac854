"""The index of recordings kept beside them, so a listing of thousands reads one file and stats the rest.

``index.json`` in the recordings' folder maps each recording (its path under the folder) to what a listing
shows of it, with the size and modification time it had when it was read. A listing stats every recording:
one whose size or time changed (a session still being written), and one not in the index yet, is read again;
one gone is dropped. A missing or damaged index is rebuilt, and an index that cannot be written (a read-only
folder, a full disk) costs the speed only, never the listing.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from dgtui.recordings.format import RecordingError
from dgtui.recordings.listing import RecordingInfo, describe_recording, whole_sessions
from dgtui.recordings.segments import recording_entries

INDEX = "index.json"
VERSION = 2  # 2: an entry per segment file (rotated sessions), merged into sessions when listed


@dataclass(frozen=True)
class Filters:
    """``dgtui sessions --name --date --request-id``: every given one must match."""

    name: str | None = None  # a part of the name, any case
    date: str | None = None  # the day it started (UTC), YYYY-MM-DD, or its beginning (2026-12)
    request_id: str | None = None  # the beginning of any of its request ids

    def match(self, info: RecordingInfo) -> bool:
        if self.name and self.name.lower() not in info.name.lower():
            return False
        if self.date and not info.started.startswith(self.date):
            return False
        return not self.request_id or any(rid.startswith(self.request_id) for rid in info.request_ids)


NO_FILTERS = Filters()


def _files(directory: Path) -> Iterator[tuple[str, os.stat_result]]:
    """Each recording file under ``directory`` (its path under it) with its stat."""
    for day, entry in recording_entries(directory):
        with contextlib.suppress(OSError):
            if entry.is_file():
                yield f"{day}/{entry.name}", entry.stat()


def _read_index(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return {}  # missing or damaged: rebuilt
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("entries"), dict):
        return {}
    return data["entries"]


def _info(directory: Path, relative: str, entry: dict[str, Any]) -> RecordingInfo:
    fields = {key: entry[key] for key in ("name", "started", "duration", "request_id", "model", "source")}
    return RecordingInfo(directory / relative, **fields, request_ids=tuple(entry.get("request_ids", ())),
                         segment=int(entry.get("segment", 1)))  # fmt: skip


def catalog(directory: Path, filters: Filters = NO_FILTERS, write: bool = True) -> list[RecordingInfo]:
    """Every readable recording under ``directory`` that matches, newest first, read through the index (which
    is brought up to date, and written back when anything changed)."""
    index_path = directory / INDEX
    old = _read_index(index_path)
    entries: dict[str, dict[str, Any]] = {}
    changed = False
    for relative, stat in _files(directory):
        known = old.get(relative)
        if known is not None and known.get("size") == stat.st_size and known.get("mtime_ns") == stat.st_mtime_ns:
            entries[relative] = known
            continue
        changed = True
        try:
            info = describe_recording(directory / relative)
        except (OSError, RecordingError, UnicodeDecodeError, EOFError):
            continue  # not a readable recording: left out, and tried again next time
        record = {k: v for k, v in asdict(info).items() if k not in ("path", "segments")}
        record["request_ids"] = list(info.request_ids)
        entries[relative] = {**record, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    changed = changed or len(entries) != len(old)
    if changed and write:
        _write_index(index_path, entries)
    sessions = whole_sessions(_info(directory, relative, entry) for relative, entry in entries.items())
    return [info for info in sessions if filters.match(info)]


def _write_index(path: Path, entries: dict[str, dict[str, Any]]) -> None:
    tmp = path.with_name(path.name + ".part")
    with contextlib.suppress(OSError):  # the listing stands without it
        tmp.write_text(json.dumps({"version": VERSION, "entries": entries}, separators=(",", ":")), encoding="utf-8")
        tmp.replace(path)
    with contextlib.suppress(OSError):
        tmp.unlink(missing_ok=True)
