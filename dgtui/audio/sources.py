"""Audio sources: files, standard input and a microphone (http(s) URLs are in :mod:`dgtui.audio.remote`).

Every source yields :class:`AudioChunk` s whose ``end`` is the exact audio cursor (seconds of audio from the
source's start). By default audio is decoded and sent as 16 kHz linear16, so any backend understands it and
the cursor is exact to the sample; ``passthrough`` sends a file's original bytes, cut at packet boundaries
so the cursor stays exact.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import av

from dgtui.audio.base import (
    DEFAULT_CHUNK_MS,
    AudioSource,
    BrokenSource,
    SourceError,
    SourceHooks,
    SourceKind,
    SourceSettings,
    SourceWarning,
)
from dgtui.audio.chunks import LINEAR16, AudioChunk, AudioFormat, Rechunker
from dgtui.audio.decode import (
    TARGET_RATE,
    ContainerDecoder,
    Pcm,
    RawDecoder,
    Resampler,
    UndecodableAudio,
    is_wav_header,
    parse_wav_header,
)


def pcm_format(channels: int) -> AudioFormat:
    return AudioFormat("linear16", TARGET_RATE, channels)


async def from_thread(generator: Iterator[AudioChunk | SourceWarning]) -> AsyncIterator[AudioChunk | SourceWarning]:
    """Run a blocking generator on a thread, a bounded queue between it and the event loop."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[AudioChunk | SourceWarning | BaseException | None] = asyncio.Queue(maxsize=64)
    stop = threading.Event()

    def produce() -> None:
        try:
            for chunk in generator:
                if stop.is_set():
                    return
                asyncio.run_coroutine_threadsafe(queue.put(chunk), loop).result()
            item: BaseException | None = None
        except BaseException as exc:
            item = exc
        with contextlib.suppress(RuntimeError):  # the loop may be closed when abandoned
            asyncio.run_coroutine_threadsafe(queue.put(item), loop).result()

    thread = threading.Thread(target=produce, name="audio-source", daemon=True)
    thread.start()
    try:
        while (item := await queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while not queue.empty():
            queue.get_nowait()


# -- files -----------------------------------------------------------------------------------------------

DAMAGED_PACKETS_LIMIT = 200  # undecodable packets in a row before the rest of a file counts as unreadable


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
                stream = _audio_stream(container, str(self.path))
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


async def passes(
    produce: Callable[[float], Iterator[AudioChunk | SourceWarning]], label: str, loop: bool, hooks: SourceHooks
) -> AsyncIterator[AudioChunk]:
    """A finite source's chunks, read on a thread; with ``loop``, pass after pass, each from where the last ended.

    ``produce(offset)`` is one pass: chunks counted from ``offset``, and warnings, told once.
    """
    offset = 0.0
    while True:
        end = offset
        async for item in from_thread(produce(offset)):
            if isinstance(item, SourceWarning):
                if not offset:  # a looped file says it once
                    hooks.warning(item.text)
                continue
            end = item.end
            yield item
        if end <= offset and not offset:
            raise SourceError(f"{label} holds no audio samples (0 s decoded): there is nothing to send.")
        if not loop or end <= offset:
            return
        offset = end


def _audio_stream(container: av.container.InputContainer, label: str) -> av.AudioStream:
    """The first audio stream, or the error that says why there is none dgtui can decode."""
    if not container.streams.audio:
        raise SourceError(
            f"{label} has no audio track (FFmpeg read it as {container.format.long_name}): "
            "it is not an audio file dgtui can decode."
        )
    stream = container.streams.audio[0]
    if stream.codec_context is None:
        raise SourceError(
            f"{label}: its audio codec ({_unknown_codec(Path(label))}) is one FFmpeg cannot decode. "
            "Convert it to a common format (WAV, FLAC, MP3, Opus) and try again."
        )
    return stream


def _unreadable(label: str, decoded: float, reason: str) -> str:
    return f"{label}: unreadable after {decoded:.2f} s ({reason}): the file is damaged from there on. " + (
        "The audio before it was sent."
    )


def _unopenable(label: str, reason: str) -> str:
    return f"{label} is not audio dgtui can decode ({reason})."


def decode_packets(
    location: str,
    *,
    chunk_ms: int,
    channels: int,
    offset: float = 0.0,
    duration: float = 0.0,
    label: str = "",
    open_options: dict[str, str] | None = None,
    timeout: float | tuple[float, float] | None = None,
    unreadable: Callable[[str, float, str], str] = _unreadable,
    unopenable: Callable[[str, str], str] = _unopenable,
) -> Iterator[AudioChunk | SourceWarning]:
    """A file or URL FFmpeg opens, decoded packet by packet to 16 kHz PCM chunks (a blocking generator).

    A damaged packet is skipped and reported (a :class:`SourceWarning` item) as FFmpeg's tools do;
    ``duration`` (0: what the container declares) is what a truncation warning compares against.
    ``unreadable`` words a read that fails part way (a damaged file, a download that broke), ``unopenable`` one
    that cannot start.
    """
    label = label or location
    try:
        container = av.open(location, options=open_options or {}, timeout=timeout)
    except av.error.FFmpegError as exc:
        raise SourceError(unopenable(label, exc.strerror or str(exc))) from None
    decoded = 0.0  # seconds of audio decoded so far in this pass
    damaged = 0  # undecodable packets in a row
    with container:
        stream = _audio_stream(container, label)
        duration = duration or (container.duration or 0) / 1_000_000
        rechunker = Rechunker(pcm_format(channels), chunk_ms)
        resampler = Resampler(stream.codec_context.channels or 1, split=False, interleave=channels > 1)
        packets = container.demux(stream)
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                break
            except av.error.FFmpegError as exc:
                raise SourceError(unreadable(label, decoded, exc.strerror or str(exc))) from None
            try:
                frames = packet.decode()
            except av.error.FFmpegError as exc:
                damaged += 1
                if damaged == DAMAGED_PACKETS_LIMIT:
                    raise SourceError(
                        f"{label}: {damaged} damaged packets in a row after {decoded:.2f} s "
                        f"({exc.strerror or exc}): the rest of the file is not decodable audio. "
                        "The audio before it was sent."
                    ) from None
                continue
            if damaged:
                yield SourceWarning(
                    f"{label}: skipped {damaged} damaged packet{'s' if damaged != 1 else ''} at "
                    f"{decoded:.2f} s (the file is corrupt there); the audio around it was sent"
                )
                damaged = 0
            for frame in frames:
                decoded += frame.samples / (frame.sample_rate or TARGET_RATE)
                pcm = resampler.convert(frame)
                if pcm:
                    yield from _shifted(rechunker.push(pcm[0]), offset)
        tail = resampler.convert(None)
        if tail:
            yield from _shifted(rechunker.push(tail[0]), offset)
        yield from _shifted(rechunker.flush(), offset)
    if damaged:
        yield SourceWarning(f"{label}: the last {damaged} packets are damaged and were skipped (after {decoded:.2f} s)")
    if duration - decoded > max(1.0, 0.1 * duration):
        yield SourceWarning(
            f"{label} ends after {decoded:.2f} s, short of the {duration:.2f} s expected from its "
            "header: the file looks truncated or damaged. The audio it holds was sent."
        )


def _unknown_codec(path: Path) -> str:
    """What can be said of a codec FFmpeg does not know: a WAV file's format tag, at least."""
    with contextlib.suppress(OSError, struct.error):
        with open(path, "rb") as f:
            head = f.read(4096)
        if is_wav_header(head):
            pos = head.find(b"fmt ")
            if pos > 0:
                return f"WAV format tag 0x{struct.unpack_from('<H', head, pos + 8)[0]:04x}"
    return "not known to this FFmpeg build"


def _shifted(chunks: list[AudioChunk], offset: float) -> list[AudioChunk]:
    if not offset:
        return chunks
    return [AudioChunk(c.data, c.end + offset, c.level_db) for c in chunks]


# -- live byte streams: HTTP and standard input ------------------------------------------------------------


@dataclass
class DecodedStream:
    """Turns a live byte stream (container or raw) into 16 kHz linear16 chunks as it arrives."""

    chunk_ms: int
    channels: int
    raw_encoding: str | None = None
    raw_sample_rate: int | None = None
    raw_channels: int = 1

    async def decode(self, data: AsyncIterator[bytes], what: str) -> AsyncIterator[AudioChunk]:
        rechunker = Rechunker(pcm_format(self.channels), self.chunk_ms)
        pcms = self._raw(data) if self.raw_encoding else self._container(data, what)
        async for pcm in pcms:
            for chunk in rechunker.push(pcm[0]):
                yield chunk
        for chunk in rechunker.flush():
            yield chunk

    async def _raw(self, data: AsyncIterator[bytes]) -> AsyncIterator[Pcm]:
        """Headerless audio of a declared encoding, decoded on the loop (it is cheap)."""
        assert self.raw_encoding is not None
        raw = RawDecoder(self.raw_encoding, self.raw_sample_rate or 16000, self.raw_channels,
                         interleave=self.channels > 1)  # fmt: skip
        async for block in data:
            for pcm in raw.feed(block):
                yield pcm
        for pcm in raw.close():
            yield pcm

    async def _container(self, data: AsyncIterator[bytes], what: str) -> AsyncIterator[Pcm]:
        """Any container, demuxed and decoded by FFmpeg on its thread as the bytes arrive."""
        loop = asyncio.get_running_loop()
        pcm_queue: asyncio.Queue[Pcm | BaseException | None] = asyncio.Queue()

        def deliver(item: Pcm | Exception) -> None:  # from the decoding thread
            loop.call_soon_threadsafe(pcm_queue.put_nowait, item)

        decoder = ContainerDecoder(deliver, deliver, interleave=self.channels > 1)

        async def feed() -> None:
            try:
                async for block in data:
                    decoder.feed(block)
            except BaseException as exc:
                pcm_queue.put_nowait(exc)
                raise
            finally:
                await asyncio.to_thread(decoder.close)
                pcm_queue.put_nowait(None)

        feeder = asyncio.create_task(feed())
        try:
            while (item := await pcm_queue.get()) is not None:
                if isinstance(item, UndecodableAudio):
                    raise SourceError(f"{what}: the data is not audio dgtui can decode ({item}).")
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            feeder.cancel()
            with contextlib.suppress(BaseException):
                await feeder


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


def open_sources(specs: list[str], settings: SourceSettings | None = None) -> list[AudioSource]:
    """Sources for what the user typed; one that cannot be opened becomes a :class:`BrokenSource`, whose stream
    shows why while the others run. Raises :class:`SourceError` only when none can be opened."""
    sources = [open_or_broken(spec, settings) for spec in specs]
    errors = [source.error for source in sources if isinstance(source, BrokenSource)]
    if specs and len(errors) == len(specs):
        raise SourceError("\n".join(e or "" for e in errors))
    return sources


def open_or_broken(spec: str, settings: SourceSettings | None = None) -> AudioSource:
    """:func:`open_source`, or the :class:`BrokenSource` that says why it cannot be opened."""
    try:
        return open_source(spec, settings)
    except SourceError as exc:
        return BrokenSource(spec, str(exc))


def open_source(spec: str, settings: SourceSettings | None = None) -> AudioSource:
    """A source from what the user typed: a path, an http(s) URL, ``-`` for stdin, ``mic`` or ``mic:DEVICE``."""
    settings = settings or SourceSettings()
    if spec == "-":
        return StdinSource(
            encoding=settings.encoding,
            sample_rate=settings.sample_rate,
            input_channels=settings.input_channels,
            chunk_ms=settings.chunk_ms,
            channels=settings.channels,
        )
    if spec == "mic" or spec.startswith("mic:"):
        return MicSource(device=spec[4:] or None, chunk_ms=settings.chunk_ms)
    if spec.startswith(("http://", "https://")):
        from dgtui.audio.remote import HttpSource

        return HttpSource(
            spec,
            chunk_ms=settings.chunk_ms,
            channels=settings.channels,
            stall_timeout=settings.stall_timeout,
            realtime_files=not settings.fast,
            loop=settings.loop,
        )
    return FileSource(
        Path(spec),
        realtime=not settings.fast,
        loop=settings.loop,
        chunk_ms=settings.chunk_ms,
        channels=settings.channels,
        passthrough=settings.passthrough,
    )
