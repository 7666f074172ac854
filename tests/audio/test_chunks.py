"""Chunks with an exact cursor: a PCM stream cut into fixed durations, its level measured, its format told."""

from __future__ import annotations

import math
from array import array

import pytest

from dgtui.audio.chunks import LINEAR16, SILENCE_DB, AudioFormat, Rechunker, rms_db


def tone(seconds: float, amplitude: int, rate: int = 16000) -> bytes:
    samples = array("h", (int(amplitude * math.sin(2 * math.pi * 440 * n / rate)) for n in range(int(seconds * rate))))
    return samples.tobytes()


def test_a_stream_is_cut_into_chunks_whose_cursor_is_exact_to_the_sample():
    rechunker = Rechunker(LINEAR16, 100)
    pushed = rechunker.push(tone(0.25, 1000)) + rechunker.push(tone(0.07, 1000))
    assert [len(c.data) for c in pushed] == [3200, 3200, 3200]
    assert [c.end for c in pushed] == pytest.approx([0.1, 0.2, 0.3])
    tail = rechunker.flush()
    assert len(tail) == 1 and tail[0].end == pytest.approx(0.32) and rechunker.flush() == []


def test_stereo_chunks_never_split_a_frame():
    rechunker = Rechunker(AudioFormat("linear16", 16000, 2), 30)
    chunks = rechunker.push(bytes(16000 * 4 // 10))  # 100 ms of stereo
    assert all(len(c.data) % 4 == 0 for c in chunks) and chunks[-1].end == pytest.approx(0.09)


def test_the_level_of_full_scale_half_scale_and_silence():
    assert rms_db(tone(0.1, 32767)) == pytest.approx(-3.0, abs=0.1)  # a full-scale sine is -3 dBFS
    assert rms_db(tone(0.1, 16384)) == pytest.approx(-9.0, abs=0.1)
    assert rms_db(bytes(3200)) == SILENCE_DB and rms_db(b"") == SILENCE_DB


def test_a_format_describes_itself_to_deepgram_and_a_container_not_at_all():
    assert LINEAR16.query() == {"encoding": "linear16", "sample_rate": 16000} and LINEAR16.bytes_per_second == 32000
    assert AudioFormat("linear16", 8000, 2).query() == {"encoding": "linear16", "sample_rate": 8000, "channels": 2}
    container = AudioFormat(None, None)
    assert container.query() == {} and container.bytes_per_second == 0.0
