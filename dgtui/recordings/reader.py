"""Reading a recording back: one file's header and lines, or a whole session from any one of its segments."""

from __future__ import annotations

import errno
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dgtui.recordings.format import HEADER, RecordingError
from dgtui.recordings.segments import open_text, session_files


def read_recording(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The header and the lines of one file (a segment, compressed or not); a torn last line (a crash
    mid-write) is left out."""
    with open_text(path) as f:
        try:
            text = f.read()
        except (EOFError, OSError) as exc:  # a truncated or damaged .gz
            raise RecordingError(f"{path}: cannot be read ({exc}): the file is damaged") from None
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


@dataclass(frozen=True)
class SessionRecording:
    """A whole recorded session: its segments, in order, from any one of them (or the name it started with).

    The header is the first segment's still there. When retention deleted earlier ones, ``missing`` says how
    many, and the session is what is left.
    """

    header: dict[str, Any]
    files: tuple[Path, ...]

    @property
    def missing(self) -> int:
        return int(self.header.get("segment", 1)) - 1

    def segments(self) -> Iterator[list[dict[str, Any]]]:
        """Each segment's lines, read one segment at a time (a day of audio need not be in memory at once)."""
        yield read_recording(self.files[0])[1]
        for path in self.files[1:]:
            yield read_recording(path)[1]

    def lines(self) -> list[dict[str, Any]]:
        return [line for segment in self.segments() for line in segment]


def read_session(path: Path) -> SessionRecording:
    """The session ``path`` is part of; FileNotFoundError when none of its files is there."""
    files = session_files(path)
    if not files or not any(f.exists() for f in files):
        raise FileNotFoundError(errno.ENOENT, "no such recording", str(path))
    return SessionRecording(read_header(files[0]), tuple(files))


def read_header(path: Path) -> dict[str, Any]:
    """A file's header line alone (its first)."""
    try:
        with open_text(path) as f:
            first = f.readline()
        header = json.loads(first)
    except (ValueError, EOFError, UnicodeDecodeError):
        header = None
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise RecordingError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not isinstance(header, dict) or header.get("type") != HEADER:
        raise RecordingError(f"{path}: not a dgtui recording (no header line)")
    return header
