"""A recorded session's files: how its segments are named, found, compressed and read.

A session that fits in one segment is one plain file, ``NAME-REQUESTID.jsonl``. A long one rotates: segment 2
is ``NAME-REQUESTID.s0002.jsonl``, and so on, all in the folder of the day the session started. A closed
segment is compressed to the same name plus ``.gz`` (gzip: the standard library's, and ``zcat`` and ``jq`` read
it). Every segment begins with a header line, so each is a valid recording on its own; any one of them, or
the first segment's original name after it was compressed, stands for the whole session.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

SUFFIX = ".jsonl"
COMPRESSED = ".jsonl.gz"
_NAME = re.compile(r"^(?P<stem>.+?)(?:\.s(?P<n>\d{4,}))?\.jsonl(?P<gz>\.gz)?$")


@dataclass(frozen=True, order=True)
class SegmentName:
    """What a file's name says: its session (the stem), its number in the session and whether it is gzip."""

    stem: str
    number: int = 1
    compressed: bool = False

    def filename(self) -> str:
        tail = COMPRESSED if self.compressed else SUFFIX
        return f"{self.stem}{tail}" if self.number == 1 else f"{self.stem}.s{self.number:04d}{tail}"


def parse_name(filename: str) -> SegmentName | None:
    """The segment a file name is, or None for a file that is not a recording's."""
    found = _NAME.match(filename)
    if found is None:
        return None
    return SegmentName(found["stem"], int(found["n"] or 1), bool(found["gz"]))


def is_recording(filename: str) -> bool:
    return parse_name(filename) is not None


def recording_entries(directory: Path) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """Each recording file under ``directory`` (DAY/NAME, a segment, compressed or not), with its day's folder
    name, by scandir (an entry's stat costs no second system call). Unreadable folders are skipped."""
    with contextlib.suppress(OSError), os.scandir(directory) as days:
        for day in days:
            if not day.is_dir():
                continue
            with contextlib.suppress(OSError), os.scandir(day.path) as entries:
                for entry in entries:
                    if is_recording(entry.name):
                        yield day.name, entry


def session_files(path: Path) -> list[Path]:
    """Every segment of the session ``path`` belongs to, in order (one per number, the plain one where a crash
    left both); ``[path]`` for a file not named as a segment. Missing files are simply not there."""
    name = parse_name(path.name)
    if name is None:
        return [path]
    found: dict[int, Path] = {}
    with contextlib.suppress(OSError), os.scandir(path.parent) as entries:
        for entry in entries:
            if not entry.name.startswith(name.stem):
                continue
            other = parse_name(entry.name)
            if other is None or other.stem != name.stem:
                continue
            if other.number not in found or not other.compressed:
                found[other.number] = Path(entry.path)
    return [found[n] for n in sorted(found)]


def open_text(path: Path) -> IO[str]:
    """A segment opened for reading text, compressed or not."""
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


@dataclass(frozen=True)
class Compressed:
    path: Path  # the .gz file
    before: int  # bytes
    after: int


def compress(path: Path, level: int = 6) -> Compressed:
    """Gzip a closed segment beside itself, then remove the plain one: written to ``.part`` and renamed, so a
    crash leaves the plain file and never a torn ``.gz`` in its place."""
    target = path.with_name(path.name + ".gz")
    part = target.with_name(target.name + ".part")
    before = path.stat().st_size
    try:
        with open(path, "rb") as source, gzip.open(part, "wb", compresslevel=level) as sink:
            shutil.copyfileobj(source, sink, 1 << 20)
        os.replace(part, target)
    except BaseException:
        with contextlib.suppress(OSError):
            part.unlink()
        raise
    path.unlink()
    return Compressed(target, before, target.stat().st_size)
