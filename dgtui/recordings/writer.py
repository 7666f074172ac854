"""Recording a session to JSON Lines, the only copy of its transcript: Deepgram keeps none.

One file per session, ``sessions/YYYY-MM-DD/NAME-REQUESTID.jsonl`` under the data directory. The first line is
a header (format, dgtui version, source, backend URL without secrets, options, start time); then one line per
event in the events' one encoding (:mod:`dgtui.state.encoding`: each server message exactly as received, with
its receive time and the audio cursor, and dgtui's own events), each with its wall-clock and monotonic time.
Each line is written whole and flushed, so a crash or ``kill -9`` leaves a valid file up to its last line.

A recording that cannot be written (full disk, unwritable directory) is an error shown on the stream, which
goes on without it.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from dgtui import __version__
from dgtui.judge.compare import LaneGroup
from dgtui.process.secrets import redact_url
from dgtui.recordings.format import FORMAT, HEADER, NOTE
from dgtui.recordings.retention import KEEP_ALL, Retention, summary, sweep
from dgtui.recordings.segments import SegmentName, compress, session_files
from dgtui.state.controls import Stream
from dgtui.state.encoding import event_line
from dgtui.state.events import AudioProgress, Closed, Connected, Event

MAX_PENDING = 1000  # lines held before the file can be named (before the handshake ends)


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


def _open_binary(path: Path, mode: str) -> IO[bytes]:
    return open(path, mode, buffering=0)  # the recorder owns and closes it


@dataclass(frozen=True)
class RecordingPolicy:
    """How a long session is written: ``[recording]`` in the config file."""

    segment_seconds: float = 3600.0  # a new segment after this much audio or clock time, whichever first; 0: never
    segment_bytes: int = 100_000_000  # ... or when the segment is this big; 0: never
    compress: bool = True  # the closed segments of a session that rotated are gzipped
    retention: Retention = KEEP_ALL
    hold_bytes: int = 16_000_000  # lines held in memory while the disk is full (about an hour of a stream)
    retry_s: float = 5.0  # how often a full disk is tried again

    def describe(self) -> str:
        """``dgtui config show``: when a segment ends and what happens to it."""
        when = [f"{self.segment_seconds / 60:g} min" if self.segment_seconds else "",
                f"{self.segment_bytes / 1e6:g} MB" if self.segment_bytes else ""]  # fmt: skip
        rotate = " or ".join(w for w in when if w)
        return (f"a new segment every {rotate}" if rotate else "one file per session") + (
            ", closed segments gzipped" if self.compress and rotate else ""
        )


DEFAULT_POLICY = RecordingPolicy()
RESUMABLE = (errno.ENOSPC, errno.EDQUOT)  # the disk may have room again later; other errors stop the recording

_writing: set[Path] = set()  # segments this process writes or compresses: never deleted by retention
_writing_lock = threading.Lock()
_background: ThreadPoolExecutor | None = None


def _background_pool() -> ThreadPoolExecutor:
    """One thread for compression and retention, in order; its queue is finished before the process exits."""
    global _background
    if _background is None:
        _background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dgtui-recording")
    return _background


def _busy(path: Path, busy: bool) -> None:
    with _writing_lock:
        (_writing.add if busy else _writing.discard)(path)


def writing_now() -> set[Path]:
    with _writing_lock:
        return set(_writing)


@dataclass
class RecordingTotals:
    """What a recorder did with its files, for the soak's figures and the event log."""

    segments: int = 0
    bytes_written: int = 0
    compressed_before: int = 0  # bytes of the segments compressed so far ...
    compressed_after: int = 0  # ... and of their .gz files
    deleted_files: int = 0  # by retention (any session's)
    deleted_bytes: int = 0
    lines_lost: int = 0  # held while the disk was full, and dropped when the hold overflowed
    pauses: int = 0  # times the disk was full


class Recorder:
    """A consumer of one stream's events: appends each to its file, and reads nothing else of the stream.

    A long session rotates into segments (by audio or clock time, and by size); closed segments are compressed
    and the retention policy applied, on a background thread, and what that did is told on the next event.
    A full disk pauses the recording: lines are held (up to ``hold_bytes``) and tried again every ``retry_s``,
    into a new segment, so every file stays valid. The recorder tells its owner (the runner, which subscribed
    it) when the file is open (``on_open``), when writing failed (``on_failure``) and what else it did
    (``on_notice``); the owner decides what the stream shows.
    """

    def __init__(
        self,
        header: RecordingHeader,
        directory: Path,
        *,
        mono: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        opener: Callable[[Path, str], IO[bytes]] = _open_binary,  # tests inject failing files
        on_open: Callable[[Path], None] = _ignore,
        on_failure: Callable[[str], None] = _ignore,
        on_notice: Callable[[str], None] = _ignore,
        policy: RecordingPolicy = DEFAULT_POLICY,
    ) -> None:
        self.header = header
        self.directory = directory
        self.wall = wall
        self.mono = mono
        self.opener = opener
        self.on_open = on_open
        self.on_failure = on_failure
        self.on_notice = on_notice
        self.policy = policy
        self.path: Path | None = None  # the first segment, as it was named when opened
        self.current: Path | None = None  # the segment being written
        self.failed: str | None = None
        self.paused: str | None = None  # the disk was full: lines are held until it has room again
        self.lines = 0
        self.totals = RecordingTotals()
        self._url = header.url
        self._request_id: str | None = None
        self._file: IO[bytes] | None = None
        self._name: SegmentName | None = None
        self._size = 0  # bytes of whole lines in the current segment
        self._pending: list[bytes] = []
        self._held: deque[bytes] = deque()
        self._held_bytes = 0
        self._retry_at = 0.0
        self._lost_before_pause = 0
        self._cursor = 0.0
        self._segment_cursor = 0.0
        self._segment_mono = 0.0
        self._jobs: list[Future[list[str]]] = []
        self._started_wall = self.wall()
        self._started_mono = self.mono()

    def _header(self) -> dict[str, Any]:
        h = self.header
        segment = self._name.number if self._name else 1
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
            **(self._continues() if segment > 1 else {}),
        }

    def _continues(self) -> dict[str, Any]:
        """What a later segment's header adds: its number, where its audio starts, the session's request id."""
        assert self._name is not None
        return {"segment": self._name.number, "cursor_s": round(self._cursor, 3), "request_id": self._request_id}

    # -- events ------------------------------------------------------------------------------------------

    def on_event(self, event: Event) -> None:
        self._report_jobs()
        if self.failed is not None:
            return
        if isinstance(event, Connected):
            self._url, self._request_id = event.url, self._request_id or event.request_id
        elif isinstance(event, AudioProgress):
            self._cursor = event.cursor
        line = event_line(event)
        line["wall"] = round(self.wall(), 6)
        line.setdefault("mono", round(self.mono(), 6))
        self._write(self._encode(line))
        if self._name is None and isinstance(event, Connected | Closed):
            self._open()  # the request id is known now (or will never be)
        elif self._file is not None and self._segment_due():
            self._rotate()

    def note(self, action: str, text: str) -> None:
        """A line of the recorder's own in the recording (replays skip it), and the same on the event log."""
        self.on_notice(text)
        self._write(self._encode({"type": NOTE, "action": action, "text": text, "wall": round(self.wall(), 6),
                                  "mono": round(self.mono(), 6)}))  # fmt: skip

    # -- the file ----------------------------------------------------------------------------------------

    def _encode(self, line: dict[str, Any]) -> bytes:
        return (json.dumps(line, separators=(",", ":"), ensure_ascii=False) + "\n").encode()

    def _write(self, data: bytes) -> None:
        if self._name is None:  # not named yet: the handshake has not ended
            if len(self._pending) < MAX_PENDING:
                self._pending.append(data)
            return
        if self.paused is not None:
            self._hold(data)
            if self.mono() >= self._retry_at:
                self._resume()
            return
        if self._file is None:
            return
        try:
            self._put(data)
        except OSError as exc:
            self._trouble(exc, [data])

    def _put(self, data: bytes) -> None:
        assert self._file is not None
        view = memoryview(data)
        while view:
            written = self._file.write(view)
            if not written:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            view = view[written:]
        self._size += len(data)
        self.totals.bytes_written += len(data)
        self.lines += 1

    def _segment_due(self) -> bool:
        policy = self.policy
        if policy.segment_bytes and self._size >= policy.segment_bytes:
            return True
        seconds = policy.segment_seconds
        return bool(seconds) and (self._cursor - self._segment_cursor >= seconds
                                  or self.mono() - self._segment_mono >= seconds)  # fmt: skip

    def _segment_path(self, name: SegmentName) -> Path:
        return self.directory / datetime.fromtimestamp(self._started_wall, UTC).strftime("%Y-%m-%d") / name.filename()

    def _open(self) -> None:
        """The first segment: named by the stream and its request id, never over another session's files."""
        request = self._request_id or datetime.fromtimestamp(self._started_wall, UTC).strftime("%H%M%S")
        base = f"{_safe(self.header.name)}-{_safe(request)}"
        stem, folder = base, self._segment_path(SegmentName(base)).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            n = 1
            while session_files(folder / SegmentName(stem).filename()):
                n += 1
                stem = f"{base}-{n}"
        except OSError as exc:
            self._fail(exc, folder)
            return
        pending, self._pending = self._pending, []
        self._name = SegmentName(stem, 0)  # named: what comes now is written (or held), no longer pending
        if self._start_segment(pending):
            self._submit(self._retention_job())

    def _start_segment(self, lines: Iterable[bytes]) -> bool:
        """Open the next segment and write its header, then ``lines``; False if it could not be (the lines not
        written are then held, or the recording stopped, as the error decides)."""
        assert self._name is not None
        previous, self._name = self._name, SegmentName(self._name.stem, self._name.number + 1)
        path = self._segment_path(self._name)
        lines = list(lines)
        try:
            self._file = self.opener(path, "xb")
        except OSError as exc:
            self._file, self._name = None, previous  # nothing was created: the number is used next time
            self._trouble(exc, lines, path)
            return False
        self.current, self._size = path, 0
        self._segment_cursor, self._segment_mono = self._cursor, self.mono()
        _busy(path, True)
        for number, data in enumerate([self._encode(self._header()), *lines]):  # the header knows the URL now
            try:
                self._put(data)
            except OSError as exc:
                self._trouble(exc, lines[max(0, number - 1) :])
                return False
        self.totals.segments += 1
        if self.path is None:
            self.path = path
            self.on_open(path)
        return True

    def _close_segment(self) -> Path | None:
        """Close the current segment; its path, for compression."""
        path, self.current = self.current, None
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None
        return path

    def _rotate(self) -> None:
        closed = self._close_segment()
        if closed is not None:
            self._submit(self._compress_job(closed))
        if self._start_segment(()):
            self._submit(self._retention_job())

    # -- a full disk -------------------------------------------------------------------------------------

    def _trouble(self, exc: OSError, unwritten: list[bytes], path: Path | None = None) -> None:
        """A write or open failed: a full disk pauses (the lines held), anything else stops the recording."""
        if exc.errno not in RESUMABLE:
            self._fail(exc, path)
            return
        where = path or self.current or self.directory
        self._drop_torn()
        for data in unwritten:
            self._hold(data)
        self._retry_at = self.mono() + self.policy.retry_s
        if self.paused is not None:
            return  # a retry that failed again: still paused, already said
        self.paused = f"recording paused: cannot write {where}: {exc.strerror or exc}"
        self.totals.pauses += 1
        self._lost_before_pause = self.totals.lines_lost
        hold = f"{self.policy.hold_bytes / 1e6:.0f} MB"
        self.on_failure(f"{self.paused}. The stream goes on; free some space and writing resumes by itself, into "
                        f"a new segment, with up to {hold} of events held meanwhile.")  # fmt: skip

    def _drop_torn(self) -> None:
        """Close the segment a write failed in, cut back to its last whole line; one without even its header is
        removed (and its number used again). It stays uncompressed: the disk has no room for that now."""
        path, self.current = self.current, None
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.truncate(self._size)
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None
        if path is None:
            return
        _busy(path, False)
        if self._size == 0 and self._name is not None:
            with contextlib.suppress(OSError):
                path.unlink()
            self._name = SegmentName(self._name.stem, self._name.number - 1)

    def _hold(self, data: bytes) -> None:
        self._held.append(data)
        self._held_bytes += len(data)
        while self._held_bytes > self.policy.hold_bytes and self._held:
            self._held_bytes -= len(self._held.popleft())
            self.totals.lines_lost += 1

    def _resume(self) -> None:
        """Try the disk again: the held lines go into a new segment, or stay held."""
        held, self._held, self._held_bytes = list(self._held), deque(), 0
        if not self._start_segment(held):
            return  # still full (held again), or another error (stopped)
        self.paused = None
        lost = self.totals.lines_lost - self._lost_before_pause
        gap = f"; {lost} older lines were lost, more than the hold keeps" if lost else ""
        self.note("resumed", f"recording resumed in {self.current.name if self.current else '?'}, "
                             f"{len(held)} lines held while the disk was full written{gap}")  # fmt: skip

    def _fail(self, exc: OSError, path: Path | None = None) -> None:
        where = path or self.current or self.path or self.directory
        reason = exc.strerror or str(exc)
        self.failed = f"recording stopped: cannot write {where}: {reason}"
        advice = "free some space" if exc.errno in RESUMABLE else "check the directory, or record to another one"
        self.on_failure(f"{self.failed}. The stream goes on unrecorded; {advice}.")
        self.close()

    # -- background work ---------------------------------------------------------------------------------

    def _submit(self, job: Callable[[], list[str]] | None) -> None:
        if job is not None:
            self._jobs.append(_background_pool().submit(job))

    def _compress_job(self, path: Path) -> Callable[[], list[str]] | None:
        if not self.policy.compress:
            _busy(path, False)
            return None
        totals = self.totals

        def job() -> list[str]:
            try:
                done = compress(path)
            except OSError as exc:
                return [f"!could not compress {path.name} ({exc.strerror or exc}); it stays as it is"]
            finally:
                _busy(path, False)
            totals.compressed_before += done.before
            totals.compressed_after += done.after
            return [f"segment {path.name} compressed: {done.before / 1e6:.1f} MB -> {done.after / 1e6:.2f} MB"]

        return job

    def _retention_job(self) -> Callable[[], list[str]] | None:
        retention = self.policy.retention
        if not retention.active:
            return None
        totals, directory = self.totals, self.directory

        def job() -> list[str]:
            deleted = sweep(directory, retention, writing_now())
            totals.deleted_files += len(deleted)
            totals.deleted_bytes += sum(d.size for d in deleted)
            return [summary(deleted)] if deleted else []

        return job

    def _report_jobs(self) -> None:
        """What finished in the background, told on the stream's loop (never from the thread)."""
        if not self._jobs or not self._jobs[0].done():
            return
        while self._jobs and self._jobs[0].done():
            for text in self._jobs.pop(0).result():
                if text.startswith("!"):
                    self.on_failure(text[1:])
                elif self.failed is None and self.paused is None and self._file is not None:
                    self.note("background", text)
                else:
                    self.on_notice(text)

    def wait(self, timeout: float | None = 60.0) -> None:
        """Until this recorder's compression and retention are done (tests, benchmarks, the end of a run)."""
        wait_futures(self._jobs, timeout=timeout)
        self._report_jobs()

    def close(self) -> None:
        """Close the file; a session that never connected still gets its file, with what happened. The last
        segment of a session that rotated is compressed too."""
        if self._name is None and self.failed is None and self._pending:
            self._open()
        if self.paused is not None and self.failed is None:
            self._resume()  # one last try, so the lines held are not lost if there is room now
            if self.paused is not None:
                self.on_failure(f"recording ended with {len(self._held)} lines unwritten: the disk was still full")
        closed = self._close_segment()
        if closed is not None:
            if self._name is not None and self._name.number > 1:
                self._submit(self._compress_job(closed))
            else:
                _busy(closed, False)


def record(
    stream: Stream, directory: Path, *, backend: str = "", group: LaneGroup | None = None, **kwargs: Any
) -> Recorder:
    """A recorder subscribed to ``stream``'s state by its owner: the file's path goes on the stream (exports read the
    whole session from it), and what the recorder did or could not do is told on the stream, which goes on."""
    state = stream.state

    def opened(path: Path) -> None:
        stream.recording_path = path

    recorder = Recorder(
        RecordingHeader(
            state.name,
            state.setup.source,
            dict(state.setup.options),
            backend,
            state.connection.url,
            state.setup.api,
            group.as_header() if group is not None else None,
        ),
        directory,
        mono=kwargs.pop("mono", state.clock),
        on_open=opened,
        on_failure=stream.warn,
        on_notice=stream.note,
        **kwargs,
    )
    state.subscribe(recorder.on_event)
    return recorder
