"""Real audio for tests: bundled clips decoded with PyAV, and re-encoded into other formats."""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import cache
from pathlib import Path

import av

from dgtui.audio.decode import decoded_pcm
from dgtui.data import clip


@cache
def clip_pcm(name: str, rate: int = 16000) -> bytes:
    """A bundled clip as s16le mono PCM at ``rate``."""
    return decoded_pcm(str(clip(name).path), rate)


def pcm_frame(pcm: bytes, rate: int, layout: str = "mono", fmt: str = "s16") -> av.AudioFrame:
    channels = av.AudioLayout(layout).nb_channels
    frame = av.AudioFrame(format=fmt, layout=layout, samples=len(pcm) // (2 * channels))
    frame.planes[0].update(pcm)
    frame.sample_rate = rate
    return frame


def encode(
    pcm: bytes,
    rate: int,
    container_format: str,
    codec: str,
    out_rate: int | None = None,
    layout: str = "mono",
    raw: bool = False,
) -> bytes:
    """Encode mono s16 PCM with PyAV: into a container (``ogg``, ``mp3``, ...) or as raw codec bytes."""
    out_rate = out_rate or rate
    if raw:
        ctx = av.CodecContext.create(codec, "w")
        ctx.sample_rate = out_rate
        ctx.layout = layout
        ctx.format = ctx.codec.audio_formats[0].name
        resampler = av.AudioResampler(format=ctx.format.name, layout=layout, rate=out_rate)
        data = bytearray()
        for frame in resampler.resample(pcm_frame(pcm, rate)):
            for packet in ctx.encode(frame):
                data += bytes(packet)
        for packet in ctx.encode(None):
            data += bytes(packet)
        return bytes(data)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=out_rate, layout=layout)
        fmt = stream.codec_context.format.name if stream.codec_context.format else "s16"
        resampler = av.AudioResampler(format=fmt, layout=layout, rate=out_rate)
        step = 1024 * 2
        pts = 0
        for offset in range(0, len(pcm), step):
            frame = pcm_frame(pcm[offset : offset + step], rate)
            frame.pts = pts
            pts += frame.samples
            for resampled in resampler.resample(frame):
                for packet in stream.encode(resampled):
                    container.mux(packet)
        for resampled in resampler.resample(None):
            for packet in stream.encode(resampled):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def damaged(data: bytes) -> bytes:
    """``data`` with 2,000 bytes in the middle overwritten by a fixed pattern that is not audio."""
    middle = len(data) // 2
    return data[:middle] + bytes(range(256)) * 7 + bytes(208) + data[middle + 2000 :]


def interleave(left: bytes, right: bytes) -> bytes:
    """Two mono s16 streams as one stereo stream (the shorter padded with silence)."""
    n = max(len(left), len(right)) // 2
    left, right = left.ljust(n * 2, b"\0"), right.ljust(n * 2, b"\0")
    out = bytearray(n * 4)
    out[0::4], out[1::4] = left[0::2], left[1::2]
    out[2::4], out[3::4] = right[0::2], right[1::2]
    return bytes(out)


def write_hls(
    pcm: bytes,
    rate: int,
    directory: Path,
    *,
    segment_seconds: float = 1.0,
    live: bool = False,
    pace: Callable[[float], None] | None = None,
) -> Path:
    """Write mono s16 PCM as HLS (AAC in MPEG-TS segments) with PyAV's own HLS muxer; returns the playlist.

    ``live``: a sliding window of 3 segments with old ones deleted and no ``#EXT-X-ENDLIST`` (a live playlist).
    ``pace(seconds)`` is called after each second of audio is muxed (a test passes a sleep to write in real time).
    """
    directory.mkdir(parents=True, exist_ok=True)
    playlist = directory / "index.m3u8"
    options = {"hls_time": str(segment_seconds)}
    if live:
        options |= {"hls_list_size": "3", "hls_flags": "delete_segments+omit_endlist"}
    else:
        options |= {"hls_list_size": "0", "hls_playlist_type": "vod"}
    with av.open(str(playlist), "w", format="hls", options=options) as container:
        stream = container.add_stream("aac", rate=rate, layout="mono")
        resampler = av.AudioResampler(format=stream.codec_context.format.name, layout="mono", rate=rate)
        pts, step = 0, 2 * rate // 10  # 0.1 s of samples a frame
        for offset in range(0, len(pcm), 2 * step):
            frame = pcm_frame(pcm[offset : offset + 2 * step], rate)
            frame.pts = pts
            pts += frame.samples
            for resampled in resampler.resample(frame):
                for packet in stream.encode(resampled):
                    container.mux(packet)
            if pace is not None and pts % rate == 0:
                pace(1.0)
        for packet in stream.encode(None):
            container.mux(packet)
    return playlist


#: The weather report's first 4 s, and that audio in each file format the sources read.
SAMPLE_SECONDS = 4.0
SAMPLE_PCM = clip_pcm("weather")[: int(32000 * SAMPLE_SECONDS)]
SAMPLE_FILES = {
    "wav": lambda: encode(SAMPLE_PCM, 16000, "wav", "pcm_s16le"),
    "mp3": lambda: encode(SAMPLE_PCM, 16000, "mp3", "libmp3lame", out_rate=44100),
    "ogg": lambda: encode(SAMPLE_PCM, 16000, "ogg", "libopus", out_rate=48000),
    "flac": lambda: encode(SAMPLE_PCM, 16000, "flac", "flac", out_rate=22050),
    "m4a": lambda: encode(SAMPLE_PCM, 16000, "ipod", "aac", out_rate=44100),
}


async def collect(source):
    """Every chunk a source yields."""
    return [chunk async for chunk in source.chunks()]
