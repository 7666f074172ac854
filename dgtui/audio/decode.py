"""Incremental decoding of audio as it arrives, to 16-bit PCM at a fixed rate.

Both decoders take bytes with ``feed(bytes)`` and end with ``close()``; they differ in how PCM comes out:

* :class:`RawDecoder`, for headerless audio (``linear16``, ``linear32``, ``mulaw``, ``alaw``) at any rate and
  channel count, decodes on the caller's thread: ``feed`` and ``close`` return the per-channel PCM at once.
  WAV headers are read with the stdlib (:func:`parse_wav_header`), so a WAV stream needs no probing either.
* :class:`ContainerDecoder`, for everything else PyAV reads (MP3, Ogg/Opus, WebM, FLAC, AAC, ...): FFmpeg's
  demuxers pull bytes, so the container is read on a thread from a blocking buffer that ``feed`` fills, and
  the PCM goes to the ``on_pcm`` callback from that thread.

Bytes that cannot be audio of the declared kind are :class:`UndecodableAudio` (raised by the raw decoder,
handed to ``on_error`` by the container decoder).
"""

from __future__ import annotations

import io
import queue
import struct
import threading
from collections.abc import Callable

import av

TARGET_RATE = 16_000

#: Deepgram ``encoding`` -> (FFmpeg codec, bytes per sample)
RAW_CODECS: dict[str, tuple[str, int]] = {
    "linear16": ("pcm_s16le", 2),
    "linear32": ("pcm_f32le", 4),
    "mulaw": ("pcm_mulaw", 1),
    "alaw": ("pcm_alaw", 1),
}

#: Per-channel PCM: one ``bytes`` of s16le samples per channel (a single item when mixed down to mono).
Pcm = list[bytes]


class UndecodableAudio(Exception):
    """The bytes received are not audio we can decode."""


def layout_for(channels: int) -> av.AudioLayout:
    """FFmpeg's default layout for a channel count (``"mono"``, ``"stereo"``, ...)."""
    return av.AudioLayout({1: "mono", 2: "stereo"}.get(channels, f"{channels} channels"))


class Resampler:
    """Converts PyAV frames to s16 at :data:`TARGET_RATE`.

    Channels are mixed to mono, split into one buffer per channel (``split``: the engine decodes each
    channel alone), or kept interleaved in one buffer (``interleave``: what a client sends for multichannel).
    """

    def __init__(self, channels: int, split: bool, interleave: bool = False) -> None:
        self.split = split and channels > 1
        keep = self.split or (interleave and channels > 1)
        self.channels = channels if keep else 1
        self._width = 2 * (self.channels if not self.split else 1)
        self._resampler = av.AudioResampler(
            format="s16p" if self.split else "s16", layout=layout_for(self.channels), rate=TARGET_RATE
        )

    def convert(self, frame: av.AudioFrame | None) -> Pcm | None:
        buffers = self.channels if self.split else 1
        out: list[bytearray] = [bytearray() for _ in range(buffers)]
        for resampled in self._resampler.resample(frame):
            n = resampled.samples * self._width
            for i, plane in enumerate(resampled.planes[:buffers]):
                out[i] += bytes(plane)[:n]
        if not out[0]:
            return None
        return [bytes(b) for b in out]


def _frames_to_pcm(resampler: Resampler, frames: list[av.AudioFrame]) -> list[Pcm]:
    converted = (resampler.convert(f) for f in frames)
    return [pcm for pcm in converted if pcm]


class RawDecoder:
    """Headerless PCM/G.711 in known encoding, rate and channel count."""

    def __init__(
        self,
        encoding: str,
        sample_rate: int,
        channels: int = 1,
        split_channels: bool = False,
        interleave: bool = False,
    ) -> None:
        if encoding not in RAW_CODECS:
            raise UndecodableAudio(f"the encoding {encoding!r} is not supported by this engine")
        codec_name, width = RAW_CODECS[encoding]
        self.channels = channels
        self.sample_rate = sample_rate
        self._frame_bytes = width * channels
        self._pending = b""
        self._codec = av.CodecContext.create(codec_name, "r")
        self._codec.sample_rate = sample_rate
        self._codec.layout = layout_for(channels)
        self._resampler = Resampler(channels, split_channels, interleave)
        self.samples_in = 0

    def feed(self, data: bytes) -> list[Pcm]:
        data = self._pending + data
        usable = len(data) - len(data) % self._frame_bytes
        self._pending = data[usable:]
        if not usable:
            return []
        self.samples_in += usable // self._frame_bytes
        try:
            frames = self._codec.decode(av.Packet(data[:usable]))
        except av.error.FFmpegError as exc:
            raise UndecodableAudio(str(exc)) from exc
        return _frames_to_pcm(self._resampler, frames)

    def close(self) -> list[Pcm]:
        tail = self._resampler.convert(None)
        return [tail] if tail else []


_WAV_FORMATS = {1: {1: "alaw_u8", 2: "linear16"}, 3: {4: "linear32"}, 6: {1: "alaw"}, 7: {1: "mulaw"}}


def decoded_pcm(path: str, rate: int = TARGET_RATE, until_s: float | None = None) -> bytes:
    """A whole audio file (or its first ``until_s`` seconds, roughly: decoding stops once past them) as s16le mono
    PCM at ``rate``: a bundled clip for calibration, for tests, for a test's speech."""
    pcm = bytearray()
    limit = None if until_s is None else int(until_s * rate) * 2
    with av.open(path) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                pcm += bytes(out.planes[0])[: out.samples * 2]
            if limit is not None and len(pcm) >= limit:
                return bytes(pcm)
        for out in resampler.resample(None):
            pcm += bytes(out.planes[0])[: out.samples * 2]
    return bytes(pcm)


def is_wav_header(data: bytes) -> bool:
    """Whether ``data`` starts like a RIFF/WAVE (or RF64) file."""
    return data[:4] in (b"RIFF", b"RF64") and data[8:12] == b"WAVE"


def parse_wav_header(data: bytes) -> tuple[str, int, int, int] | None:
    """Read a RIFF/WAVE header: ``(encoding, sample_rate, channels, data_offset)``.

    Returns ``None`` while more bytes are needed; raises :class:`UndecodableAudio` for WAV formats we do not
    take on the fast path (the caller then uses PyAV). Streaming WAV often has a zero or bogus data size, so
    the data chunk is taken to run to the end of the stream.
    """
    if len(data) < 12:
        return None
    if not is_wav_header(data):
        raise UndecodableAudio("not a WAV header")
    pos, fmt = 12, None
    while True:
        if len(data) < pos + 8:
            return None
        chunk_id, size = data[pos : pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        if chunk_id == b"data":
            if fmt is None:
                raise UndecodableAudio("WAV data chunk before its fmt chunk")
            return (*fmt, pos + 8)
        if chunk_id == b"fmt ":
            if len(data) < pos + 8 + 16:
                return None
            tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", data, pos + 8)
            if tag == 0xFFFE and size >= 40 and len(data) >= pos + 8 + 26:
                tag = struct.unpack_from("<H", data, pos + 8 + 24)[0]
            encoding = _WAV_FORMATS.get(tag, {}).get(bits // 8)
            if encoding is None or encoding == "alaw_u8" or channels < 1 or rate < 1:
                raise UndecodableAudio(f"WAV format tag {tag} with {bits} bits is not on the fast path")
            fmt = (encoding, rate, channels)
        pos += 8 + size + (size & 1)
        if pos > 1 << 20:
            raise UndecodableAudio("WAV header is larger than 1 MiB")


class _BlockingBuffer(io.RawIOBase):
    """A non-seekable byte stream that blocks in ``read`` until ``feed`` brings data or ``end`` is called."""

    def __init__(self) -> None:
        self._chunks: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._buffer = b""
        self._ended = False

    def feed(self, data: bytes) -> None:
        self._chunks.put(data)

    def end(self) -> None:
        self._chunks.put(None)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while not self._buffer and not self._ended:
            chunk = self._chunks.get()
            if chunk is None:
                self._ended = True
            else:
                self._buffer += chunk
        if size < 0:
            size = len(self._buffer)
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out


class ContainerDecoder:
    """Any container/codec FFmpeg can demux, decoded on a thread as bytes arrive.

    Decoded PCM goes to ``on_pcm`` from the decoding thread (the caller serialises with its own lock);
    errors go to ``on_error``. ``close()`` ends the input and waits for the thread to drain it.
    """

    def __init__(
        self,
        on_pcm: Callable[[Pcm], None],
        on_error: Callable[[Exception], None],
        split_channels: bool = False,
        interleave: bool = False,
    ) -> None:
        self._on_pcm = on_pcm
        self._interleave = interleave
        self._on_error = on_error
        self._split = split_channels
        self._input = _BlockingBuffer()
        self.channels = 0
        self.samples_in = 0
        self.sample_rate = 0
        self._thread = threading.Thread(target=self._run, name="container-decoder", daemon=True)
        self._thread.start()

    def feed(self, data: bytes) -> None:
        self._input.feed(data)

    def close(self, timeout: float | None = None) -> None:
        """End the input and wait until everything fed so far is decoded and delivered."""
        self._input.end()
        self._thread.join(timeout)

    def _run(self) -> None:
        try:
            with av.open(
                self._input, mode="r", buffer_size=4096, options={"probesize": "4096", "analyzeduration": "0"}
            ) as container:
                if not container.streams.audio:
                    raise UndecodableAudio("the stream has no audio track")
                stream = container.streams.audio[0]
                self.channels = stream.codec_context.channels or 1
                self.sample_rate = stream.codec_context.sample_rate or 0
                resampler = Resampler(self.channels, self._split, self._interleave)
                for frame in container.decode(stream):
                    self.samples_in += frame.samples
                    self.sample_rate = frame.sample_rate
                    pcm = resampler.convert(frame)
                    if pcm:
                        self._on_pcm(pcm)
                tail = resampler.convert(None)
                if tail:
                    self._on_pcm(tail)
        except (av.error.FFmpegError, UndecodableAudio, ValueError) as exc:
            self._on_error(exc if isinstance(exc, UndecodableAudio) else UndecodableAudio(str(exc)))
        except Exception as exc:  # a decoder thread must never die silently
            self._on_error(exc)

    @property
    def seconds_in(self) -> float:
        return self.samples_in / self.sample_rate if self.sample_rate else 0.0
