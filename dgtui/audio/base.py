"""What every source declares, importable without PyAV: its interface, its kind, its hooks and its settings.

A source says what it is (``kind``, ``realtime``, ``reopenable``, ``error``) and tells its stream what it learns
while it runs through the :class:`SourceHooks` it is given; nobody probes it for attributes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from dgtui.audio.chunks import LINEAR16, AudioChunk, AudioFormat

DEFAULT_CHUNK_MS = 100


class SourceError(Exception):
    """A source that cannot give audio; the message says what happened and what to do."""


class SourceKind(StrEnum):
    """What a source was taken for: it decides pacing and whether an end is final."""

    FILE = "file"  # finite: paced in real time (unless fast), ended with CloseStream, never reopened
    LIVE = "live"  # self-paced by its producer; opened again when it ends or stalls
    HLS = "hls"  # an HLS playlist: finite when on-demand, live when its window slides


def _ignore(*_: object) -> None:
    return None


@dataclass
class SourceHooks:
    """What a source tells its stream while it runs (a title, a warning, what kind it turned out to be).

    The runner fills these in when it gives the source a stream; a source never looks for its listeners.
    """

    title: Callable[[str], None] = _ignore
    warning: Callable[[str], None] = _ignore  # not fatal: the stream goes on
    kind: Callable[[SourceKind, str], None] = _ignore  # the kind and why (for remote sources, once opened)


@dataclass(frozen=True, slots=True)
class SourceWarning:
    """A problem a source met and went on from (a damaged packet skipped, a file shorter than its header says);
    it travels beside the audio from a decoding thread and goes to ``hooks.warning``."""

    text: str


@dataclass(frozen=True)
class SourceSettings:
    """How sources are read, as the flags say (one typed place for ``open_source``)."""

    chunk_ms: int = DEFAULT_CHUNK_MS
    channels: int = 1  # >1 keeps that many channels (multichannel); 1 mixes down
    fast: bool = False  # files are sent as fast as the backend takes them
    loop: bool = False  # files start again at their end
    passthrough: bool = False  # a local file's own bytes, not decoded PCM
    encoding: str | None = None  # raw standard input: its encoding ...
    sample_rate: int | None = None  # ... and rate
    input_channels: int = 1
    stall_timeout: float = 10.0  # a live source silent this long has stalled


class AudioSource(Protocol):
    name: str
    description: str
    format: AudioFormat
    realtime: bool  # True: the sender paces chunks to the wall clock (files); False: it arrives live
    reopenable: bool  # True: a live source that ends or stalls is opened again
    error: str | None  # set: the source could not be opened, and its stream shows why
    hooks: SourceHooks

    def chunks(self) -> AsyncIterator[AudioChunk]: ...


@dataclass
class BrokenSource:
    """A source that could not be opened: its stream shows why, beside the streams that work."""

    spec: str
    error: str | None
    name: str = ""
    format: AudioFormat = LINEAR16
    realtime: bool = False
    reopenable: bool = False
    hooks: SourceHooks = field(default_factory=SourceHooks)

    def __post_init__(self) -> None:
        self.name = self.name or Path(self.spec).stem or self.spec

    @property
    def description(self) -> str:
        return self.spec

    async def chunks(self) -> AsyncIterator[AudioChunk]:
        raise SourceError(self.error)
        yield  # an async generator, like every source
