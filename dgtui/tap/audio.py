"""What the app's audio frames say, read beside the traffic: how many seconds it sent (the audio cursor every
latency is measured from) and how loud, from the format its query declares (``linear16``, ``mulaw``, ``alaw``),
or, for a container sent without ``encoding``, decoded incrementally with PyAV on a thread of its own.

A WAV header sent while the query says raw audio gives away the audio's real sample rate, which the diagnoses
compare with the query's.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from urllib.parse import parse_qsl

from dgtui.audio.chunks import SAMPLE_WIDTHS, SILENCE_DB, declared_rate, rms_db
from dgtui.audio.decode import ContainerDecoder, Pcm, UndecodableAudio, is_wav_header, parse_wav_header

LEVEL_EVERY_S = 0.1  # the level is measured on a frame about this often (the meter redraws at 10 Hz)


def _mulaw(byte: int) -> int:
    byte = ~byte & 0xFF
    magnitude = ((byte & 0x0F) << 3) + 0x84 << ((byte & 0x70) >> 4)
    return (0x84 - magnitude) if byte & 0x80 else (magnitude - 0x84)


def _alaw(byte: int) -> int:
    byte ^= 0x55
    exponent, mantissa = (byte & 0x70) >> 4, byte & 0x0F
    magnitude = (mantissa << 4) + 8 if exponent == 0 else ((mantissa << 4) + 0x108) << (exponent - 1)
    return magnitude if byte & 0x80 else -magnitude


SQUARES = {"mulaw": [_mulaw(b) ** 2 for b in range(256)], "alaw": [_alaw(b) ** 2 for b in range(256)]}


def g711_db(data: bytes, law: str) -> float:
    """RMS level in dBFS of G.711 bytes (every 4th sample is plenty)."""
    squares = SQUARES[law]
    picked = data[::4]
    if not picked:
        return SILENCE_DB
    mean_square = sum(squares[b] for b in picked) / len(picked)
    return SILENCE_DB if mean_square <= 0 else max(SILENCE_DB, 10 * math.log10(mean_square / (32768.0 * 32768.0)))


def declared(query: dict[str, str]) -> tuple[str, int, int] | None:
    """The raw format a query declares: (encoding, sample_rate, channels); None when it declares none (the app
    sends a container) or one the tap cannot count in seconds."""
    encoding = query.get("encoding", "")
    try:
        rate, channels = int(query.get("sample_rate", "0")), int(query.get("channels", "1"))
    except ValueError:
        return None
    return (encoding, rate, channels) if encoding in SAMPLE_WIDTHS and rate > 0 and channels > 0 else None


class AppAudio:
    """One tapped stream's audio: ``feed`` each binary frame; ``cursor`` and ``level_db`` say where it is.

    A container is decoded on a thread: ``on_decoded`` is called from that thread when the cursor moved (the
    owner hands it to its loop).
    """

    def __init__(self, query: str, on_decoded: Callable[[], None] = lambda: None) -> None:
        self.query = dict(parse_qsl(query))
        self.format = declared(self.query)
        self.bytes_per_second = declared_rate(self.query)
        self.raw = "encoding" in self.query  # the query says raw audio (whether or not the tap can count it)
        self.bytes = 0
        self.level_db = math.nan
        self.header_rate: int | None = None  # a WAV header's sample rate, when the app sent one as raw audio
        self.decoded_s = 0.0
        self.undecodable: str | None = None
        self._level_at = -LEVEL_EVERY_S
        self._on_decoded = on_decoded
        self._decoder: ContainerDecoder | None = None
        self._started = False

    @property
    def cursor(self) -> float:
        """Seconds of audio the app sent (a container's: decoded so far)."""
        return self.bytes / self.bytes_per_second if self.bytes_per_second else self.decoded_s

    def feed(self, data: bytes) -> None:
        first = not self._started
        self._started = True
        self.bytes += len(data)
        if self.format is None:
            if not self.raw:
                self._container(data)
            return
        encoding = self.format[0]
        if first and is_wav_header(data):
            self._read_header(data)
        if self.cursor - self._level_at >= LEVEL_EVERY_S:
            self._level_at = self.cursor
            if encoding == "linear16":
                self.level_db = rms_db(data)
            elif encoding in SQUARES:
                self.level_db = g711_db(data, encoding)

    def close(self) -> None:
        if self._decoder is not None:
            self._decoder.close(timeout=2.0)

    def _read_header(self, data: bytes) -> None:
        try:
            parsed = parse_wav_header(data)
        except UndecodableAudio:
            parsed = None
        if parsed is not None:
            self.header_rate = parsed[1]
        elif len(data) >= 28:  # a header cut short in the first frame: its fmt chunk's rate is where WAV puts it
            self.header_rate = struct.unpack_from("<I", data, 24)[0] or None

    def _container(self, data: bytes) -> None:
        if self.undecodable is not None:
            return
        if self._decoder is None:
            self._decoder = ContainerDecoder(self._pcm, self._failed)
        self._decoder.feed(data)

    def _pcm(self, pcm: Pcm) -> None:  # on the decoder's thread
        decoder = self._decoder
        if decoder is None:
            return
        self.decoded_s = decoder.seconds_in
        self.level_db = rms_db(pcm[0])
        self._on_decoded()

    def _failed(self, exc: Exception) -> None:  # on the decoder's thread
        self.undecodable = str(exc) or type(exc).__name__
