"""How long recordings are kept: ``[recording] keep_days`` and ``max_gb``, applied to closed segments.

A sweep looks at every recording file under the recordings' folder, oldest (by modification time) first. It
deletes a file older than ``keep_days``, then more of the oldest while the folder holds more than ``max_gb``.
It never deletes a segment being written: not one this process writes (``writing``), and not a plain
(uncompressed) file changed in the last :data:`ACTIVE_S` seconds, which another dgtui may be writing. What it
deleted is returned, for the stream's event log to say.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from dgtui.recordings.kept_audio import kept_audio_entries
from dgtui.recordings.segments import recording_entries

ACTIVE_S = 600.0  # a plain segment changed this recently may be another process's current one


@dataclass(frozen=True)
class Retention:
    keep_days: float | None = None  # None: kept whatever their age
    max_bytes: int | None = None  # None: no limit on the folder's size

    @property
    def active(self) -> bool:
        return self.keep_days is not None or self.max_bytes is not None

    def describe(self) -> str:
        parts = []
        if self.keep_days is not None:
            parts.append(f"keep_days {self.keep_days:g}")
        if self.max_bytes is not None:
            parts.append(f"max_gb {self.max_bytes / 1e9:g}")
        return ", ".join(parts) or "kept forever"


KEEP_ALL = Retention()


@dataclass(frozen=True)
class Deleted:
    path: Path
    size: int
    reason: str  # "older than keep_days 14" or "over max_gb 50"


@dataclass(frozen=True)
class _File:
    path: Path
    size: int
    mtime: float
    closed: bool  # compressed: closed for certain


def _files(directory: Path) -> list[_File]:
    found = []
    entries = [entry for _, entry in recording_entries(directory)] + list(kept_audio_entries(directory))
    for entry in entries:
        with contextlib.suppress(OSError):
            stat = entry.stat()
            found.append(_File(Path(entry.path), stat.st_size, stat.st_mtime, entry.name.endswith(".gz")))
    return sorted(found, key=lambda f: (f.mtime, f.path.name))


def sweep(
    directory: Path, retention: Retention, writing: Collection[Path] = (), now: float | None = None
) -> list[Deleted]:
    """Apply ``retention`` to the recordings under ``directory``; what it deleted, oldest first."""
    if not retention.active:
        return []
    now = time.time() if now is None else now
    files = _files(directory)
    total = sum(f.size for f in files)
    busy = {Path(p) for p in writing}
    deleted: list[Deleted] = []
    for file in files:
        if file.path in busy or (not file.closed and now - file.mtime < ACTIVE_S):
            continue
        if retention.keep_days is not None and now - file.mtime > retention.keep_days * 86400:
            reason = f"older than keep_days {retention.keep_days:g}"
        elif retention.max_bytes is not None and total > retention.max_bytes:
            reason = f"over max_gb {retention.max_bytes / 1e9:g}"
        else:
            continue
        try:
            file.path.unlink()
        except FileNotFoundError:
            pass  # another sweep took it
        except OSError:
            continue
        total -= file.size
        deleted.append(Deleted(file.path, file.size, reason))
    for day in {d.path.parent for d in deleted}:
        with contextlib.suppress(OSError):
            day.rmdir()  # only when empty
    return deleted


def summary(deleted: list[Deleted]) -> str:
    """One line for the event log."""
    size = sum(d.size for d in deleted)
    reasons = sorted({d.reason for d in deleted})
    oldest = deleted[0].path
    return (f"retention deleted {len(deleted)} recording file{'s' if len(deleted) != 1 else ''} ({size / 1e6:.1f} MB, "
            f"{'; '.join(reasons)}), the oldest {oldest.parent.name}/{oldest.name}")  # fmt: skip
