"""Recording a session to JSON Lines, the only copy of its transcript: Deepgram keeps none.

One file per session, ``sessions/YYYY-MM-DD/NAME-REQUESTID.jsonl`` under the data directory. The first line is
a header (format, dgtui version, source, backend URL without secrets, options, start time); then one line per
event in the events' one encoding (:mod:`dgtui.session.encoding`: each server message exactly as received, with
its receive time and the audio cursor, and dgtui's own events), each with its wall-clock and monotonic time.
Each line is written whole and flushed, so a crash or ``kill -9`` leaves a valid file up to its last line.

A recording that cannot be written (full disk, unwritable directory) is an error shown on the stream, which
goes on without it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from dgtui import __version__
from dgtui.protocol.secrets import redact_url
from dgtui.session.compare import LaneGroup
from dgtui.session.encoding import event_line, read_event
from dgtui.session.events import AudioProgress, Closed, Connected, Event, HandshakeTimings
from dgtui.session.state import SessionState

FORMAT = 2  # 2: lines are the events' one encoding (dgtui.session.encoding); 1: dgtui 0.1's own names
HEADER = "dgtui.header"
MAX_PENDING = 1000  # lines held before the file can be named (before the handshake ends)


def data_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """Where dgtui keeps its data: ``DGTUI_DATA_DIR``, else the platform's user data directory."""
    override = environ.get("DGTUI_DATA_DIR")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return platformdirs.user_data_path("dgtui")


def sessions_dir(base: Path | None = None) -> Path:
    return (base or data_dir()) / "sessions"


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "stream"


@dataclass(frozen=True)
class RecordingHeader:
    """What a recording says of its stream before any event: fixed when the stream is set up."""

    name: str
    source: str
    options: dict[str, Any]
    backend: str = ""
    url: str = ""  # until the first connection says where it went
    api: str = "v1"  # "v2": a Flux stream (its messages are Flux's)
    lane_group: dict[str, Any] | None = None  # a lane's group (LaneGroup.as_header): replays compare it again


def _ignore(*_: object) -> None:
    return None


class Recorder:
    """A consumer of one stream's events: appends each to its file, and reads nothing else of the stream.

    It tells its owner (the runner, which subscribed it) when the file is open (``on_open``) and when writing
    failed (``on_failure``); the owner decides what the stream shows.
    """

    def __init__(
        self,
        header: RecordingHeader,
        directory: Path,
        *,
        mono: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        opener: Any = open,  # how the file is opened (tests point it at /dev/full)
        on_open: Callable[[Path], None] = _ignore,
        on_failure: Callable[[str], None] = _ignore,
    ) -> None:
        self.header = header
        self.directory = directory
        self.wall = wall
        self.mono = mono
        self.opener = opener
        self.on_open = on_open
        self.on_failure = on_failure
        self.path: Path | None = None
        self.failed: str | None = None
        self.lines = 0
        self._url = header.url
        self._request_id: str | None = None
        self._file: IO[str] | None = None
        self._pending: list[str] = []
        self._started_wall = self.wall()
        self._started_mono = self.mono()

    def _header(self) -> dict[str, Any]:
        h = self.header
        return {
            "type": HEADER,
            "format": FORMAT,
            "dgtui": __version__,
            "name": h.name,
            "source": redact_url(h.source),
            "url": redact_url(self._url),
            "backend": h.backend,
            "api": h.api,
            **({"lane_group": h.lane_group} if h.lane_group else {}),
            "options": h.options,
            "started": datetime.fromtimestamp(self._started_wall, UTC).isoformat(timespec="milliseconds"),
            "wall": round(self._started_wall, 6),
            "mono": round(self._started_mono, 6),
        }

    # -- events ------------------------------------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        if self.failed is not None:
            return
        if isinstance(event, Connected):
            self._url, self._request_id = event.url, self._request_id or event.request_id
        line = event_line(event)
        line["wall"] = round(self.wall(), 6)
        line.setdefault("mono", round(self.mono(), 6))
        self._write(self._encode(line))
        if self._file is None and isinstance(event, Connected | Closed):
            self._open()  # the request id is known now (or will never be)

    # -- the file ----------------------------------------------------------------------------------------

    def _encode(self, line: dict[str, Any]) -> str:
        return json.dumps(line, separators=(",", ":"), ensure_ascii=False) + "\n"

    def _write(self, text: str) -> None:
        if self._file is None:
            if len(self._pending) < MAX_PENDING:
                self._pending.append(text)
            return
        try:
            self._file.write(text)
            self._file.flush()
            self.lines += 1
        except OSError as exc:
            self._fail(exc)

    def _open(self) -> None:
        day = datetime.fromtimestamp(self._started_wall, UTC).strftime("%Y-%m-%d")
        request = self._request_id or datetime.fromtimestamp(self._started_wall, UTC).strftime("%H%M%S")
        folder = self.directory / day
        path = folder / f"{_safe(self.header.name)}-{_safe(request)}.jsonl"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            n = 1
            while path.exists():
                n += 1
                path = folder / f"{_safe(self.header.name)}-{_safe(request)}-{n}.jsonl"
            self._file = self.opener(path, "x", encoding="utf-8", buffering=1)
            self.path = path
            self.on_open(path)
        except OSError as exc:
            self._fail(exc, path)
            return
        pending, self._pending = self._pending, []
        for text in [self._encode(self._header()), *pending]:  # the header now knows the backend URL
            self._write(text)

    def _fail(self, exc: OSError, path: Path | None = None) -> None:
        where = path or self.path or self.directory
        reason = exc.strerror or str(exc)
        self.failed = f"recording stopped: cannot write {where}: {reason}"
        advice = (
            "free some space" if getattr(exc, "errno", None) == 28 else "check the directory, or record to another one"
        )
        self.on_failure(f"{self.failed}. The stream goes on unrecorded; {advice}.")
        self.close()

    def close(self) -> None:
        """Close the file; a session that never connected still gets its file, with what happened."""
        if self._file is None and self.failed is None and self._pending:
            self._open()
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None


def record(
    state: SessionState, directory: Path, *, backend: str = "", group: LaneGroup | None = None, **kwargs: Any
) -> Recorder:
    """A recorder subscribed to ``state`` by its owner: the file's path goes on the stream's state (exports read
    the whole session from it), and a write failure is shown on the stream as a warning, which goes on."""

    def opened(path: Path) -> None:
        state.recording_path = path

    recorder = Recorder(
        RecordingHeader(
            state.name,
            state.source_label,
            dict(state.options),
            backend,
            state.url,
            state.api,
            group.as_header() if group is not None else None,
        ),
        directory,
        mono=kwargs.pop("mono", state.clock),
        on_open=opened,
        on_failure=lambda message: state.fail(message, fatal=False),
        **kwargs,
    )
    state.listeners.append(recorder.on_event)
    return recorder


def read_recording(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The header and the lines of a recording; a torn last line (a crash mid-write) is left out."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            lines.append(json.loads(line))
        except ValueError:
            if number == len(text.splitlines()) and not text.endswith("\n"):
                break  # the last line was being written when the process died
            raise RecordingError(f"{path}: line {number} is not JSON: the file is damaged") from None
    if not lines or lines[0].get("type") != HEADER:
        raise RecordingError(f"{path}: not a dgtui recording (no header line)")
    return lines[0], lines[1:]


class RecordingError(Exception):
    """A file that is not a readable recording; the message names it and says why."""


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

    COLUMNS = ("started (UTC)", "name", "audio", "request id", "model")

    def cells(self) -> tuple[str, ...]:
        """What a listing shows of it, under :attr:`COLUMNS` (``dgtui sessions`` and the sessions screen)."""
        return (self.started[:19].replace("T", " "), self.name, f"{self.duration:.1f} s", self.request_id or "-",
                self.model or "-")  # fmt: skip


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
    with open(path, encoding="utf-8") as f:
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
    return RecordingInfo(path, header.get("name", path.stem), header.get("started", ""), duration, request_id,
                         model, header.get("source", ""), tuple(request_ids))  # fmt: skip


def list_recordings(directory: Path) -> list[RecordingInfo]:
    """Every readable recording under ``directory``, newest first (unreadable files are skipped), each file read:
    listings go through :func:`dgtui.session.catalog.catalog`, its index, instead."""
    found = []
    for path in directory.glob("*/*.jsonl"):
        with contextlib.suppress(OSError, RecordingError, UnicodeDecodeError):
            found.append(describe_recording(path))
    return sorted(found, key=lambda info: (info.started, info.path.name), reverse=True)
