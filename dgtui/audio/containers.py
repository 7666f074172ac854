"""Container formats by their first bytes, without decoding anything (so what only looks, such as the tap's
diagnoses and the audio kept beside a recording, loads no PyAV)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Container:
    """A container format by its first bytes: what to call it, and a file suffix for its bytes."""

    magic: bytes
    name: str
    suffix: str
    certain: bool = True  # False: two bytes raw PCM can start with too (an MP3 frame sync)


CONTAINERS = (
    Container(b"RIFF", "a WAV file (RIFF header)", ".wav"),
    Container(b"OggS", "Ogg", ".ogg"),
    Container(b"\x1aE\xdf\xa3", "WebM/Matroska", ".webm"),
    Container(b"ID3", "MP3 (ID3 tag)", ".mp3"),
    Container(b"\xff\xfb", "MP3", ".mp3", certain=False),
    Container(b"\xff\xf3", "MP3", ".mp3", certain=False),
    Container(b"fLaC", "FLAC", ".flac"),
)
CONTAINER_HEAD = max(len(c.magic) for c in CONTAINERS)  # the first bytes that say whether audio is a container


def container_of(head: bytes) -> Container | None:
    """The container whose magic bytes ``head`` starts with, or None (raw audio, or not known)."""
    return next((c for c in CONTAINERS if head.startswith(c.magic)), None)
