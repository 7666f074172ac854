"""Local audio sources: files, standard input and a microphone (http(s) URLs are in :mod:`dgtui.audio.remote`;
:mod:`dgtui.audio.open` picks one from what the user typed).

Every source yields :class:`AudioChunk` s whose ``end`` is the exact audio cursor (seconds of audio from the
source's start). By default audio is decoded and sent as 16 kHz linear16, so any backend understands it and
the cursor is exact to the sample; ``passthrough`` sends a file's original bytes, cut at packet boundaries
so the cursor stays exact.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import av

from dgtui.audio.base import (
    DEFAULT_CHUNK_MS,
    SourceError,
    SourceHooks,
    SourceKind,
    SourceWarning,
)
from dgtui.audio.chunks import LINEAR16, AudioChunk, AudioFormat, Rechunker
from dgtui.audio.decode import (
    TARGET_RATE,
    UndecodableAudio,
    is_wav_header,
    parse_wav_header,
)
from dgtui.audio.readers import DecodedStream, audio_stream, decode_packets, passes, pcm_format

# -- files -----------------------------------------------------------------------------------------------


@dataclass
class FileSource:
    """A file of any container/codec PyAV reads, paced in real time unless ``realtime`` is False."""

    path: Path
    realtime: bool = True
    loop: bool = False
    chunk_ms: int = DEFAULT_CHUNK_MS
    channels: int = 1  # >1 keeps that many channels (multichannel); 1 mixes down
    passthrough: bool = False
    name: str = ""
    format: AudioFormat = field(init=False)
    duration: float = field(init=False, default=0.0)  # what the container declares (0: not known)
    hooks: SourceHooks = field(default_factory=SourceHooks, repr=False)
    reopenable: bool = field(init=False, default=False)  # a file's end is the stream's end
    error: str | None = field(init=False, default=None)  # opened: nothing to report

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        self.name = self.name or self.path.stem
        self._container_channels = self._probe()
        self.channels = min(self.channels, self._container_channels)
        self.format = (
            AudioFormat(None, None, self._container_channels) if self.passthrough else pcm_format(self.channels)
        )

    @property
    def description(self) -> str:
        return str(self.path)

    def _probe(self) -> int:
        if not self.path.exists():
            raise SourceError(f"{self.path}: no such file. Check the path.")
        if self.path.is_dir():
            raise SourceError(f"{self.path} is a directory, not an audio file.")
        if self.path.stat().st_size == 0:
            raise SourceError(f"{self.path} is empty (0 bytes): there is no audio in it.")
        try:
            with av.open(str(self.path)) as container:
                stream = audio_stream(container, str(self.path))
                if container.duration:
                    self.duration = container.duration / 1_000_000
                return stream.codec_context.channels or 1
        except av.error.FFmpegError as exc:
            raise SourceError(f"{self.path} is not audio dgtui can decode ({exc.strerror or exc}).") from None

    async def chunks(self) -> AsyncIterator[AudioChunk]:
        length = f" of {self.duration:.1f} s" if self.duration else ""
        self.hooks.kind(SourceKind.FILE, f"a local file{length}, paced {'in real time' if self.realtime else 'fast'}")

        def produce(offset: float) -> Iterator[AudioChunk | SourceWarning]:
            if self.passthrough:
                return self._passthrough_chunks(offset)
            return decode_packets(
                str(self.path), chunk_ms=self.chunk_ms, channels=self.channels, offset=offset, duration=self.duration
            )

        async for chunk in passes(produce, str(self.path), self.loop, self.hooks):
            yield chunk

    def _passthrough_chunks(self, offset: float) -> Iterator[AudioChunk]:
        """The file's own bytes, cut after whole packets so each chunk's cursor is exact."""
        target = self.chunk_ms / 1000
        with open(self.path, "rb") as raw, av.open(str(self.path)) as container:
            stream = container.streams.audio[0]
            time_base = float(stream.time_base or 0)
            sent_to, last_cut, end = 0, 0.0, 0.0
            for packet in container.demux(stream):
                if packet.pts is None or packet.pos is None or packet.pos < 0:
                    continue
                end = float((packet.pts + (packet.duration or 0)) * time_base)
                if end - last_cut >= target:
                    boundary = packet.pos + packet.size
                    yield AudioChunk(raw.read(boundary - sent_to), offset + end)
                    sent_to, last_cut = boundary, end
            rest = raw.read()
            if rest:
                yield AudioChunk(rest, offset + max(end, self.duration))


# -- live byte streams: HTTP and standard input ------------------------------------------------------------


@dataclass
class StdinSource:
    """Standard input: raw audio (``encoding`` and ``sample_rate`` given) or any container."""

    encoding: str | None = None
    sample_rate: int | None = None
    input_channels: int = 1
    chunk_ms: int = DEFAULT_CHUNK_MS
    channels: int = 1
    stream: BinaryIO | None = None
    name: str = "stdin"
    realtime: bool = False
    format: AudioFormat = field(init=False)
    hooks: SourceHooks = field(default_factory=SourceHooks, repr=False)
    reopenable: bool = field(init=False, default=False)  # a pipe that ends has ended
    error: str | None = field(init=False, default=None)  # opened: nothing to report

    def __post_init__(self) -> None:
        if self.encoding and not self.sample_rate:
            raise SourceError("raw standard input needs a sample rate as well as an encoding.")
        if self.sample_rate is not None and not 2000 <= self.sample_rate <= 192_000:
            raise SourceError(
                f"{self.sample_rate} Hz is not an audio sample rate: raw audio is usually 8000 "
                "(telephony), 16000, 44100 or 48000 Hz."
            )
        self.format = pcm_format(self.channels)

    @property
    def description(self) -> str:
        return f"stdin ({self.encoding} {self.sample_rate} Hz)" if self.encoding else "stdin"

    async def chunks(self) -> AsyncIterator[AudioChunk]:
        stream = self.stream or sys.stdin.buffer
        self.hooks.kind(SourceKind.LIVE, "standard input, sent as it arrives")
        decoded = DecodedStream(self.chunk_ms, self.channels, self.encoding, self.sample_rate, self.input_channels)
        data = _read_blocking(stream)
        if self.encoding:
            data = self._raw_checked(data)
        try:
            async for chunk in decoded.decode(data, "standard input"):
                yield chunk
        except UndecodableAudio as exc:
            raise SourceError(f"standard input: not decodable as {self.encoding} ({exc}).") from None

    async def _raw_checked(self, data: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """Raw input that starts with a file header was declared wrongly: a WAV header that says the same as the
        flags is skipped; one that says otherwise, or another container, is refused with what it says."""
        first = await anext(data, b"")
        declared = f"it was declared raw {self.encoding} at {self.sample_rate} Hz"
        if is_wav_header(first):
            try:
                header = parse_wav_header(first)
            except UndecodableAudio:
                header = None
            if header is None:
                raise SourceError(
                    f"standard input is a WAV file, but {declared}: declare no encoding or sample rate, "
                    "and dgtui reads the file's header."
                )
            encoding, rate, channels, start = header
            if (encoding, rate, channels) != (self.encoding, self.sample_rate, self.input_channels):
                raise SourceError(
                    f"standard input is a WAV file of {encoding} at {rate} Hz, {channels} channel(s), but {declared}, "
                    f"{self.input_channels} channel(s): declare no encoding or sample rate (dgtui reads the header), "
                    "or declare what the audio is."
                )
            first = first[start:]  # the header agrees: only the samples are audio
        elif first.startswith((b"OggS", b"fLaC", b"ID3", b"\x1aE\xdf\xa3")):
            raise SourceError(
                f"standard input starts with a container header (Ogg, FLAC, MP3 or WebM), but {declared}: "
                "declare no encoding or sample rate, and dgtui decodes the container."
            )
        if first:
            yield first
        async for block in data:
            yield block


async def _read_blocking(stream: BinaryIO, size: int = 8192) -> AsyncIterator[bytes]:
    while block := await asyncio.to_thread(stream.read1 if hasattr(stream, "read1") else stream.read, size):
        yield block


@dataclass
class MicSource:
    """A microphone through sounddevice (the optional ``mic`` extra)."""

    device: str | None = None
    chunk_ms: int = DEFAULT_CHUNK_MS
    name: str = "mic"
    realtime: bool = False
    format: AudioFormat = field(default_factory=lambda: LINEAR16)
    hooks: SourceHooks = field(default_factory=SourceHooks, repr=False)
    reopenable: bool = field(init=False, default=False)
    error: str | None = field(init=False, default=None)  # opened: nothing to report

    def __post_init__(self) -> None:
        try:
            import sounddevice  # noqa: F401
        except (ImportError, OSError) as exc:
            raise SourceError(
                "microphone input needs the optional extra: pip install 'dgtui[mic]' "
                f"(and the PortAudio library). ({exc})"
            ) from None

    @property
    def description(self) -> str:
        return f"microphone {self.device or '(default)'}"

    async def chunks(self) -> AsyncIterator[AudioChunk]:
        import sounddevice

        self.hooks.kind(SourceKind.LIVE, "a microphone, sent as it records")
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        blocksize = int(TARGET_RATE * self.chunk_ms / 1000)

        def callback(indata, frames, time, status) -> None:  # type: ignore[no-untyped-def]
            loop.call_soon_threadsafe(queue.put_nowait, bytes(indata))

        rechunker = Rechunker(self.format, self.chunk_ms)
        with sounddevice.RawInputStream(
            samplerate=TARGET_RATE,
            blocksize=blocksize,
            device=self.device,
            channels=1,
            dtype="int16",
            callback=callback,
        ):
            while True:
                for chunk in rechunker.push(await queue.get()):
                    yield chunk
