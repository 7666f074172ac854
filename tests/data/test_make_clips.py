"""The clip maker: the shipped clips' texts are its paragraphs, and its Opus encoding reads back at 16 kHz.
(Speaking them needs festival, which the tests do not install.)"""

from __future__ import annotations

import av
import pytest

from dgtui.data import clip
from dgtui.data.make_clips import CLIPS, encode_opus
from tests.support.audio import clip_pcm


def test_the_shipped_references_are_the_paragraphs_joined():
    for spec in CLIPS:
        assert clip(spec["name"]).reference == " ".join(spec["paragraphs"])


def test_clips_are_encoded_as_16khz_mono_opus_of_the_same_length(tmp_path):
    pcm = clip_pcm("weather")[: 32000 * 2]
    out = tmp_path / "two.ogg"
    encode_opus(pcm, out)
    with av.open(str(out)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name == "opus" and stream.channels == 1
        samples = sum(frame.samples for frame in container.decode(stream))
    assert samples / 48000 == pytest.approx(2.0, abs=0.03)  # Opus decodes at 48 kHz
