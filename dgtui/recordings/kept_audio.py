"""The audio an application sent on a tapped stream, kept beside its recording (``dgtui tap --keep-audio``), as
sent, so a production call can be run again through other settings or backends as lanes.

Raw audio the query declares (``linear16``, ``mulaw``, ``alaw``) is written with a WAV header in front of the
bytes as they came (the samples untouched; the header's sizes set when the stream ends), so every audio tool and
``dgtui stream`` read it; a container (WAV, Ogg, WebM, MP3, FLAC) is written byte for byte, named by what its
first bytes are; anything else is kept raw (``.raw``) with its format in the recording's options.
"""

from __future__ import annotations

import contextlib
import os
import re
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from dgtui.audio.containers import container_of
from dgtui.recordings.segments import SegmentName, parse_name

#: Deepgram ``encoding`` -> (WAV format tag, bits per sample)
WAV_FORMATS = {"linear16": (1, 16), "mulaw": (7, 8), "alaw": (6, 8)}
_KEPT = re.compile(r"^(?P<stem>.+)\.audio\.[a-z0-9]+$")


def is_kept_audio(filename: str) -> bool:
    return _KEPT.match(filename) is not None


def kept_audio_entries(directory: Path) -> Iterator[os.DirEntry[str]]:
    """Each kept audio file under ``directory`` (DAY/NAME), for retention: it goes with its recording's days."""
    with contextlib.suppress(OSError), os.scandir(directory) as days:
        for day in days:
            if day.is_dir():
                with contextlib.suppress(OSError), os.scandir(day.path) as entries:
                    yield from (entry for entry in entries if is_kept_audio(entry.name))


def audio_beside(recording: Path) -> Path | None:
    """The audio kept beside a recording (any of its segments names it), or None."""
    name = parse_name(recording.name)
    if name is None:
        return None
    found = sorted(recording.parent.glob(f"{glob_escape(name.stem)}.audio.*"))
    return found[0] if found else None


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def wav_header(encoding: str, sample_rate: int, channels: int, data_bytes: int = 0xFFFFFFFF - 36) -> bytes:
    tag, bits = WAV_FORMATS[encoding]
    block = channels * bits // 8
    return (b"RIFF" + struct.pack("<I", min(0xFFFFFFFF, 36 + data_bytes)) + b"WAVEfmt "
            + struct.pack("<IHHIIHH", 16, tag, channels, sample_rate, sample_rate * block, block, bits)
            + b"data" + struct.pack("<I", min(0xFFFFFFFF, data_bytes)))  # fmt: skip


class AudioKeeper:
    """Writes one stream's audio as it comes; opened at the first bytes (a container is named by them)."""

    def __init__(self, recording: Path, options: dict[str, str]) -> None:
        name = parse_name(recording.name) or SegmentName(recording.stem)
        self.stem = recording.parent / name.stem
        self.options = options
        self.path: Path | None = None
        self.bytes = 0
        self.failed: str | None = None
        self._file: IO[bytes] | None = None
        self._wav: tuple[str, int, int] | None = None

    def write(self, data: bytes) -> None:
        if self.failed is not None:
            return
        try:
            if self._file is None:
                self._open(data)
            assert self._file is not None
            self._file.write(data)
            self.bytes += len(data)
        except OSError as exc:
            self.failed = exc.strerror or str(exc)

    def close(self) -> None:
        if self._file is None:
            return
        try:
            if self._wav is not None:  # the sizes, now known
                self._file.seek(0)
                self._file.write(wav_header(*self._wav, data_bytes=self.bytes))
            self._file.close()
        except OSError as exc:
            self.failed = exc.strerror or str(exc)
        self._file = None

    def _open(self, first: bytes) -> None:
        encoding = self.options.get("encoding", "")
        rate, channels = self.options.get("sample_rate", ""), self.options.get("channels", "1")
        header = b""
        if encoding in WAV_FORMATS and rate.isdigit() and channels.isdigit() and not first.startswith(b"RIFF"):
            self._wav = (encoding, int(rate), int(channels))
            suffix, header = ".wav", wav_header(*self._wav)
        elif encoding and encoding not in WAV_FORMATS:
            suffix = ".raw"
        else:
            container = container_of(first)
            suffix = container.suffix if container is not None else ".bin"
        self.path = self.stem.parent / f"{self.stem.name}.audio{suffix}"
        self._file = self.path.open("wb")
        self._file.write(header)
