"""What turns a file, a URL or a live byte stream into 16 kHz PCM chunks: the readers every source shares.

A finite source is read pass by pass on a thread (:func:`passes`, :func:`decode_packets`: damaged packets
skipped and told); a live byte stream (HTTP, standard input) is decoded as it arrives (:class:`DecodedStream`).
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av

from dgtui.audio.base import SourceError, SourceHooks, SourceWarning
from dgtui.audio.chunks import AudioChunk, AudioFormat, Rechunker
from dgtui.audio.decode import (
    TARGET_RATE,
    ContainerDecoder,
    Pcm,
    RawDecoder,
    Resampler,
    UndecodableAudio,
    is_wav_header,
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


DAMAGED_PACKETS_LIMIT = 200  # undecodable packets in a row before the rest of a file counts as unreadable


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


def audio_stream(container: av.container.InputContainer, label: str) -> av.AudioStream:
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
        stream = audio_stream(container, label)
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
