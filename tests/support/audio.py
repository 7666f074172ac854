"""Real audio for tests: bundled clips decoded with PyAV, and re-encoded into other formats."""

from __future__ import annotations

import io
from functools import cache

import av

from dgtui.data import clip


@cache
def clip_pcm(name: str, rate: int = 16000) -> bytes:
    """A bundled clip as s16le mono PCM at ``rate``."""
    pcm = bytearray()
    with av.open(str(clip(name).path)) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                pcm += bytes(out.planes[0])[: out.samples * 2]
        for out in resampler.resample(None):
            pcm += bytes(out.planes[0])[: out.samples * 2]
    return bytes(pcm)


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
