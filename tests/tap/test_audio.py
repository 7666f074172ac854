"""What the app's audio frames say: seconds sent from the declared format, the level of linear16 and G.711 (the
same as PyAV's decode gives), a WAV header's real rate, and a container decoded with PyAV as it arrives."""

from __future__ import annotations

import math
import time

import av
import numpy as np
import pytest

from dgtui.audio.chunks import rms_db
from dgtui.tap.audio import AppAudio, declared, g711_db
from tests.support.audio import clip_pcm, encode


def test_the_declared_format_gives_seconds_and_level():
    pcm = clip_pcm("council")[:32000]
    audio = AppAudio("encoding=linear16&sample_rate=16000&channels=1")
    audio.feed(pcm[:16000])
    assert audio.cursor == 0.5 and math.isclose(audio.level_db, rms_db(pcm[:16000]))
    assert declared({"encoding": "mulaw", "sample_rate": "8000", "channels": "2"}) == ("mulaw", 8000, 2)
    assert declared({}) is None and declared({"encoding": "linear16", "sample_rate": "x"}) is None
    assert declared({"encoding": "opus", "sample_rate": "48000"}) is None  # raw, but not countable in bytes


@pytest.mark.parametrize(("law", "codec"), [("mulaw", "pcm_mulaw"), ("alaw", "pcm_alaw")])
def test_g711_levels_match_what_pyav_decodes(law, codec):
    pcm = clip_pcm("council")[:32000]
    coded = encode(pcm, 16000, "wav", codec)[44:]  # the G.711 bytes, without their WAV header
    context = av.CodecContext.create(codec, "r")
    context.sample_rate, context.layout = 16000, "mono"
    decoded = np.concatenate([f.to_ndarray().ravel() for f in context.decode(av.Packet(coded))]).astype(np.int16)
    expected = rms_db(decoded.tobytes())
    assert abs(g711_db(coded, law) - expected) < 0.5  # every 4th sample against all of them


def test_a_wav_header_sent_as_raw_audio_gives_its_real_rate():
    audio = AppAudio("encoding=linear16&sample_rate=8000")
    audio.feed(encode(clip_pcm("council")[:32000], 16000, "wav", "pcm_s16le"))
    assert audio.header_rate == 16000


def test_a_container_is_decoded_as_it_arrives():
    ogg = encode(clip_pcm("weather")[: 32000 * 3], 16000, "ogg", "libopus")
    moved: list[float] = []
    audio = AppAudio("model=nova-3", lambda: moved.append(audio.cursor))
    for offset in range(0, len(ogg), 4000):
        audio.feed(ogg[offset : offset + 4000])
    for _ in range(200):  # bounded: the decoder's thread follows
        if audio.cursor >= 2.9:
            break
        time.sleep(0.01)
    audio.close()
    assert 2.9 <= audio.cursor <= 3.1 and moved == sorted(moved) and len(moved) > 3
    assert audio.level_db > -60 and audio.undecodable is None
