"""Audio chunks with an exact cursor, and the level of what is sent."""

from __future__ import annotations

import math
import sys
from array import array
from collections.abc import Mapping
from dataclasses import dataclass

SILENCE_DB = -96.0
SAMPLE_WIDTHS = {"linear16": 2, "linear32": 4, "mulaw": 1, "alaw": 1}  # raw encodings: bytes per sample


@dataclass(frozen=True, slots=True)
class AudioFormat:
    """What the bytes sent to the server are: raw PCM (``encoding`` set) or a container (``encoding`` None)."""

    encoding: str | None = "linear16"
    sample_rate: int | None = 16_000
    channels: int = 1

    def query(self) -> dict[str, object]:
        """The query parameters that describe this audio to Deepgram (none for a container)."""
        if self.encoding is None:
            return {}
        params: dict[str, object] = {"encoding": self.encoding, "sample_rate": self.sample_rate}
        if self.channels > 1:
            params["channels"] = self.channels
        return params

    @property
    def bytes_per_second(self) -> float:
        if self.encoding != "linear16" or not self.sample_rate:
            return 0.0
        return 2.0 * self.sample_rate * self.channels


LINEAR16 = AudioFormat()


def declared_rate(query: Mapping[str, str]) -> float | None:
    """Bytes per second of the raw audio a query declares (``encoding``, ``sample_rate``, ``channels``); None for a
    container (no ``encoding``) or for what cannot be counted in bytes."""
    width = SAMPLE_WIDTHS.get(query.get("encoding", ""))
    try:
        rate, channels = int(query.get("sample_rate", "0")), int(query.get("channels", "1"))
    except ValueError:
        return None
    return float(width * rate * channels) if width and rate > 0 and channels > 0 else None


@dataclass(frozen=True, slots=True)
class AudioChunk:
    data: bytes
    end: float  # the audio cursor once this chunk is sent: seconds of audio from the source's start
    level_db: float = math.nan  # RMS level in dBFS (NaN when not known, e.g. passthrough)


def rms_db(pcm: bytes) -> float:
    """RMS level of s16le PCM in dBFS."""
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if sys.byteorder == "big":
        samples.byteswap()
    if not samples:
        return SILENCE_DB
    mean_square = sum(x * x for x in samples[::4]) / len(samples[::4])  # every 4th sample is plenty
    if mean_square <= 0:
        return SILENCE_DB
    return max(SILENCE_DB, 10 * math.log10(mean_square / (32768.0 * 32768.0)))


class Rechunker:
    """Cuts a PCM byte stream into chunks of a fixed duration, keeping the cursor exact."""

    def __init__(self, fmt: AudioFormat, chunk_ms: int) -> None:
        self._bytes_per_second = fmt.bytes_per_second
        frame = 2 * fmt.channels
        size = int(self._bytes_per_second * chunk_ms / 1000)
        self._size = max(frame, size - size % frame)
        self._buffer = bytearray()
        self._sent = 0

    def push(self, pcm: bytes) -> list[AudioChunk]:
        self._buffer += pcm
        out = []
        while len(self._buffer) >= self._size:
            out.append(self._take(self._size))
        return out

    def flush(self) -> list[AudioChunk]:
        return [self._take(len(self._buffer))] if self._buffer else []

    def _take(self, size: int) -> AudioChunk:
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        self._sent += size
        return AudioChunk(data, self._sent / self._bytes_per_second, rms_db(data))
