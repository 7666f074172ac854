"""The signal work of the audio conditions (:mod:`dgtui.audio.conditions`), with numpy and PyAV.

Speed is PyAV's ``atempo`` filter (tempo changed, pitch kept), the telephone line PyAV's resampler to 8 kHz and
its G.711 mu-law codec both ways, gain and noise numpy. What is written here is the bookkeeping: an exact cursor
on the output's own timeline, chunks as long as the source's, and the speech's active level estimated as it
arrives, which sets the noise's level (before any speech is heard, ITU-T P.56's nominal -26 dBFS).
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field

import av
import numpy as np

from dgtui.audio.base import AudioSource, SourceHooks
from dgtui.audio.chunks import SAMPLE_WIDTHS, SILENCE_DB, AudioChunk, AudioFormat
from dgtui.audio.conditions import ConditionError, Conditions

FULL_SCALE = 32768.0
NOMINAL_SPEECH_DB = -26.0  # ITU-T P.56's nominal active speech level: the noise's reference until speech is heard
ACTIVE_DB = -50.0  # a 20 ms frame above this level counts as active (speech, or what the source carries)
FRAME_S = 0.02
NOISE_SECONDS = 8.192  # the generated noise is this long, looped (2**17 samples at 16 kHz)
NOISE_SEED = 7  # the same noise every run: runs stay comparable


def level_db(samples: np.ndarray) -> float:
    """RMS level of int16 samples in dBFS."""
    if samples.size == 0:
        return SILENCE_DB
    power = float(np.mean(np.square(samples, dtype=np.float64))) / (FULL_SCALE * FULL_SCALE)
    return max(SILENCE_DB, 10 * math.log10(power)) if power > 0 else SILENCE_DB


def active_frames(samples: np.ndarray, rate: int) -> np.ndarray:
    """The mean power (full scale 1.0) of each whole 20 ms frame above ``ACTIVE_DB``: what "the speech's level"
    means for ``noise:snr``, here and in the tests that measure it."""
    frame = int(rate * FRAME_S)
    whole = samples.size - samples.size % frame
    if not whole:
        return np.empty(0)
    powers = np.mean(np.square(samples[:whole].reshape(-1, frame) / FULL_SCALE, dtype=np.float64), axis=1)
    return powers[powers > 10 ** (ACTIVE_DB / 10)]


def make_noise(kind: str, samples: int, seed: int = NOISE_SEED) -> np.ndarray:
    """Unit-RMS noise, float64: white, or pink (1/f power, shaped in the frequency domain)."""
    rng = np.random.default_rng(seed)
    white = rng.standard_normal(samples)
    if kind == "pink":
        spectrum = np.fft.rfft(white)
        freqs = np.arange(spectrum.size)
        spectrum[1:] /= np.sqrt(freqs[1:])
        spectrum[0] = 0
        white = np.fft.irfft(spectrum, samples)
    return white / np.sqrt(np.mean(np.square(white)))


@dataclass
class _Noise:
    """Noise added at ``snr_db`` below the speech's active level, estimated from the speech heard so far."""

    snr_db: float
    kind: str
    rate: int
    table: np.ndarray = field(init=False)
    position: int = 0
    power_sum: float = 0.0
    frames: int = 0

    def __post_init__(self) -> None:
        self.table = make_noise(self.kind, round(NOISE_SECONDS * self.rate))

    def speech_power(self) -> float:
        return self.power_sum / self.frames if self.frames else 10 ** (NOMINAL_SPEECH_DB / 10)

    def apply(self, mono: np.ndarray) -> np.ndarray:
        active = active_frames(mono, self.rate)
        self.power_sum += float(active.sum())
        self.frames += active.size
        amplitude = math.sqrt(self.speech_power() / 10 ** (self.snr_db / 10)) * FULL_SCALE
        index = (self.position + np.arange(mono.size)) % self.table.size
        self.position = (self.position + mono.size) % self.table.size
        return mono + self.table[index] * amplitude


def _clip(samples: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(samples), -32768, 32767).astype(np.int16)


def _drain(pull: Callable[[], av.AudioFrame]) -> list[av.AudioFrame]:
    """Every frame a filter graph has ready."""
    frames = []
    while True:
        try:
            frames.append(pull())
        except (av.BlockingIOError, av.EOFError):
            return frames


def check_format(given: AudioFormat) -> None:
    """Conditions change decoded audio; raises ConditionError for what they cannot change."""
    if given.encoding != "linear16" or not given.sample_rate:
        raise ConditionError(
            "audio conditions change decoded audio: they cannot apply to a container sent as it is "
            "(drop --passthrough) or to raw input that is not linear16"
        )


class SignalChain:
    """linear16 in, the conditioned audio out, as a byte stream with an exact sample count."""

    def __init__(self, conditions: Conditions, given: AudioFormat) -> None:
        check_format(given)
        self.conditions = conditions
        self.rate = given.sample_rate
        self.channels = given.channels
        layout = "mono" if self.channels == 1 else "stereo" if self.channels == 2 else f"{self.channels}c"
        self._layout = layout
        self._pts = 0
        self._tempo = self._graph(conditions.speed) if conditions.speed != 1.0 else None
        snr = conditions.snr_db
        self._noise = _Noise(snr, conditions.noise_kind, self.rate) if snr is not None else None
        self._resampler = av.AudioResampler(format="s16", layout=layout, rate=8000) if conditions.telephony else None
        self._encoder: av.AudioCodecContext | None = None
        self._decoder: av.AudioCodecContext | None = None
        if conditions.telephony:
            self._encoder = av.CodecContext.create("pcm_mulaw", "w")  # type: ignore[assignment]
            self._encoder.sample_rate, self._encoder.format, self._encoder.layout = 8000, "s16", layout  # type: ignore[union-attr]
            self._decoder = av.CodecContext.create("pcm_mulaw", "r")  # type: ignore[assignment]
            self._decoder.sample_rate, self._decoder.layout = 8000, layout  # type: ignore[union-attr]

    def _graph(self, speed: float) -> av.filter.Graph:
        graph = av.filter.Graph()
        source = graph.add_abuffer(format="s16", sample_rate=self.rate, layout=self._layout)
        tempo = graph.add("atempo", f"{speed:g}")
        sink = graph.add("abuffersink")
        source.link_to(tempo)
        tempo.link_to(sink)
        graph.configure()
        return graph

    def push(self, pcm: bytes) -> tuple[bytes, np.ndarray]:
        """The conditioned bytes for ``pcm`` (may be fewer or more: filters hold a little back), and their
        linear samples (for the level shown)."""
        samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % (2 * self.channels)], dtype="<i2")
        return self._process(self._tempo_push(samples), final=False)

    def flush(self) -> tuple[bytes, np.ndarray]:
        """What the filters still hold, at the end of the source."""
        return self._process(self._tempo_push(None), final=True)

    def _frame(self, samples: np.ndarray, rate: int, timed: bool = False) -> av.AudioFrame:
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout=self._layout)
        frame.sample_rate = rate
        if timed:  # the filter graph counts its input in samples
            frame.pts = self._pts
            self._pts += samples.size // self.channels
        return frame

    def _tempo_push(self, samples: np.ndarray | None) -> np.ndarray:
        """Through the tempo filter (None: the end, which flushes it)."""
        if self._tempo is None:
            return np.empty(0, dtype=np.int16) if samples is None else samples
        if samples is not None and not samples.size:
            return samples
        self._tempo.push(None if samples is None else self._frame(samples, self.rate, timed=True))
        return _samples(_drain(self._tempo.pull))

    def _process(self, samples: np.ndarray, final: bool) -> tuple[bytes, np.ndarray]:
        signal = samples.astype(np.float64)
        if self.conditions.gain_db:
            signal *= 10 ** (self.conditions.gain_db / 20)
        if self._noise is not None and signal.size:
            signal = self._noise.apply(signal)
        linear = _clip(signal)
        if self._resampler is None:
            return linear.tobytes(), linear
        frames = list(self._resampler.resample(self._frame(linear, self.rate))) if linear.size else []
        if final:
            frames += self._resampler.resample(None)  # what the resampler holds back
        narrow = _samples(frames)
        if not narrow.size:
            return b"", narrow
        assert self._encoder is not None and self._decoder is not None
        coded = b"".join(bytes(packet) for packet in self._encoder.encode(self._frame(narrow, 8000)))
        decoded = _samples(self._decoder.decode(av.Packet(coded))) if coded else narrow[:0]
        return (coded if self.conditions.telephony == "mulaw" else decoded.tobytes()), decoded


def _samples(frames: Sequence[av.AudioFrame]) -> np.ndarray:
    if not frames:
        return np.empty(0, dtype=np.int16)
    return np.concatenate([frame.to_ndarray().reshape(-1) for frame in frames]).astype(np.int16, copy=False)


class ConditionedSource:
    """A source whose audio goes through the conditions: an :class:`AudioSource` for its stream, the chunks cut
    anew (same length as the source's) with the cursor on the conditioned audio's own timeline."""

    def __init__(self, source: AudioSource, conditions: Conditions) -> None:
        if conditions.changes_signal:
            check_format(source.format)  # a source it cannot change is refused before anything streams
        self.inner = source
        self.conditions = conditions
        self.format = conditions.output_format(source.format)

    # what the stream asks of every source, answered by the source underneath
    @property
    def name(self) -> str:
        return self.inner.name

    @name.setter
    def name(self, value: str) -> None:
        self.inner.name = value

    @property
    def hooks(self) -> SourceHooks:
        return self.inner.hooks

    @hooks.setter
    def hooks(self, value: SourceHooks) -> None:
        self.inner.hooks = value

    @property
    def description(self) -> str:
        return self.inner.description

    @property
    def realtime(self) -> bool:
        return self.inner.realtime

    @property
    def reopenable(self) -> bool:
        return self.inner.reopenable

    @property
    def error(self) -> str | None:
        return self.inner.error

    async def chunks(self) -> AsyncIterator[AudioChunk]:
        chain = SignalChain(self.conditions, self.inner.format)
        cutter: _Cutter | None = None
        async for chunk in self.inner.chunks():
            if cutter is None:  # the source's own chunk length, kept
                cutter = _Cutter(self.format, max(0.01, chunk.end))
            data, linear = chain.push(chunk.data)
            for out in cutter.push(data, linear):
                yield out
        if cutter is not None:
            data, linear = chain.flush()
            for out in [*cutter.push(data, linear), *cutter.flush()]:
                yield out


class _Cutter:
    """Cuts the conditioned bytes into chunks of ``seconds``, the cursor counted in samples of the output."""

    def __init__(self, fmt: AudioFormat, seconds: float) -> None:
        self.width = SAMPLE_WIDTHS[fmt.encoding or "linear16"]
        self.rate = fmt.sample_rate or 16_000
        self.frame = self.width * fmt.channels
        self.size = max(self.frame, round(seconds * self.rate) * self.frame)
        self.buffer = bytearray()
        self.linear: list[np.ndarray] = []
        self.sent = 0  # bytes

    def push(self, data: bytes, linear: np.ndarray) -> list[AudioChunk]:
        self.buffer += data
        self.linear.append(linear)
        out = []
        while len(self.buffer) >= self.size:
            out.append(self._take(self.size))
        return out

    def flush(self) -> list[AudioChunk]:
        whole = len(self.buffer) - len(self.buffer) % self.frame
        return [self._take(whole)] if whole else []

    def _take(self, size: int) -> AudioChunk:
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        self.sent += size
        samples = size // self.width
        linear = np.concatenate(self.linear) if len(self.linear) > 1 else self.linear[0]
        level, rest = linear[:samples], linear[samples:]
        self.linear = [rest]
        return AudioChunk(data, self.sent / self.frame / self.rate, level_db(level))


def condition(source: AudioSource, conditions: Conditions) -> AudioSource:
    """The source with its signal conditions applied (the source itself when they change nothing)."""
    return ConditionedSource(source, conditions) if conditions.changes_signal else source
