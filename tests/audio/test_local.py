"""Audio sources decode real audio with PyAV and keep the audio cursor exact."""

from __future__ import annotations

import io
import itertools
import random

import pytest

from dgtui.audio.base import SourceError
from dgtui.audio.local import FileSource, StdinSource
from tests.support.audio import SAMPLE_FILES as FILES
from tests.support.audio import SAMPLE_PCM as PCM
from tests.support.audio import SAMPLE_SECONDS as SECONDS
from tests.support.audio import clip_pcm, collect, encode, interleave


@pytest.mark.parametrize("kind", list(FILES))
async def test_files_decode_to_linear16_with_exact_cursor(tmp_path, kind):
    path = tmp_path / f"clip.{kind}"
    path.write_bytes(FILES[kind]())
    source = FileSource(path, realtime=False, chunk_ms=100)
    chunks = await collect(source)
    assert source.format.query() == {"encoding": "linear16", "sample_rate": 16000}
    sent = sum(len(c.data) for c in chunks)
    assert chunks[-1].end == pytest.approx(sent / 32000)  # the cursor is what was sent, to the sample
    assert chunks[-1].end == pytest.approx(SECONDS, abs=0.08)  # codec padding differs by format
    assert all(len(c.data) == 3200 for c in chunks[:-1])
    assert all(b.end > a.end for a, b in itertools.pairwise(chunks))
    assert max(c.level_db for c in chunks) > -40 > min(c.level_db for c in chunks)


async def test_loop_repeats_with_a_continuing_cursor(tmp_path):
    path = tmp_path / "clip.wav"
    path.write_bytes(FILES["wav"]())
    source = FileSource(path, realtime=False, loop=True)
    chunks = []
    async for chunk in source.chunks():
        chunks.append(chunk)
        if chunk.end >= 2.5 * SECONDS:
            break
    assert chunks[-1].end == pytest.approx(len(chunks) * 0.1, abs=0.11)
    assert all(b.end > a.end for a, b in itertools.pairwise(chunks))


async def test_passthrough_sends_the_file_bytes_with_packet_exact_cursor(tmp_path):
    data = FILES["mp3"]()
    path = tmp_path / "clip.mp3"
    path.write_bytes(data)
    source = FileSource(path, realtime=False, passthrough=True)
    chunks = await collect(source)
    assert source.format.query() == {}  # a container: no encoding parameters
    assert b"".join(c.data for c in chunks) == data
    assert chunks[-1].end == pytest.approx(SECONDS, abs=0.1)
    assert all(b.end >= a.end for a, b in itertools.pairwise(chunks))
    assert 0.09 <= chunks[1].end - chunks[0].end <= 0.2


async def test_multichannel_keeps_channels_interleaved(tmp_path):
    stereo = interleave(PCM, clip_pcm("council")[: len(PCM)])
    path = tmp_path / "stereo.wav"
    import wave

    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(stereo)
    source = FileSource(path, realtime=False, channels=2)
    chunks = await collect(source)
    assert source.format.query() == {"encoding": "linear16", "sample_rate": 16000, "channels": 2}
    assert b"".join(c.data for c in chunks) == stereo
    mono = await collect(FileSource(path, realtime=False))
    assert sum(len(c.data) for c in mono) == len(stereo) // 2


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing.wav", "no such file"),
        (lambda p: p, "is a directory"),
        (lambda p: _write(p / "empty.mp3", b""), "is empty"),
        (lambda p: _write(p / "notes.txt", b"just some text, not audio\n" * 50), "not an audio file"),
        (lambda p: _write(p / "random.mp3", random.Random(4096).randbytes(4096)), "not audio dgtui can decode"),
    ],
    ids=["missing", "directory", "empty", "text", "random"],
)
def test_bad_files_get_clear_errors(tmp_path, make, message):
    with pytest.raises(SourceError, match=message):
        FileSource(make(tmp_path))


async def test_raw_input_that_is_really_a_file_is_refused_or_read_right():
    wav = encode(PCM, 16000, "wav", "pcm_s16le")
    agreeing = StdinSource(encoding="linear16", sample_rate=16000, stream=io.BytesIO(wav))
    chunks = await collect(agreeing)  # the header says what the flags say: only the samples are sent
    assert b"".join(c.data for c in chunks) == PCM
    for rate, data, message in [
        (
            8000,
            wav,
            "is a WAV file of linear16 at 16000 Hz, 1 channel\\(s\\), but it was declared raw linear16 at 8000 Hz",
        ),
        (16000, FILES["ogg"](), "starts with a container header"),
    ]:
        with pytest.raises(SourceError, match=message):
            await collect(StdinSource(encoding="linear16", sample_rate=rate, stream=io.BytesIO(data)))
    with pytest.raises(SourceError, match="80 Hz is not an audio sample rate"):
        StdinSource(encoding="linear16", sample_rate=80)


def _write(path, data):
    path.write_bytes(data)
    return path


async def test_stdin_raw_and_container():
    raw = StdinSource(encoding="linear16", sample_rate=16000, stream=io.BytesIO(PCM))
    chunks = await collect(raw)
    assert b"".join(c.data for c in chunks) == PCM
    mulaw = encode(PCM, 16000, "", "pcm_mulaw", out_rate=8000, raw=True)
    chunks = await collect(StdinSource(encoding="mulaw", sample_rate=8000, stream=io.BytesIO(mulaw)))
    assert chunks[-1].end == pytest.approx(SECONDS, abs=0.01)
    container = StdinSource(stream=io.BytesIO(FILES["ogg"]()))
    chunks = await collect(container)
    assert chunks[-1].end == pytest.approx(SECONDS, abs=0.08)
    with pytest.raises(SourceError, match="not audio"):
        await collect(StdinSource(stream=io.BytesIO(random.Random(8192).randbytes(8192))))
    with pytest.raises(SourceError, match="needs a sample rate as well as an encoding"):
        StdinSource(encoding="linear16")


def test_realtime_flag_defaults_for_files(tmp_path):
    path = tmp_path / "a.wav"
    path.write_bytes(FILES["wav"]())
    assert FileSource(path).realtime is True
    assert FileSource(path, realtime=False).realtime is False
