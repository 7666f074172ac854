"""The app's audio kept beside its recording: raw audio with a WAV header in front of the bytes as sent (read back
by PyAV to the same samples), a container byte for byte, and found again from the recording's name."""

from __future__ import annotations

import av
import numpy as np

from dgtui.recordings.kept_audio import AudioKeeper, audio_beside, is_kept_audio
from tests.support.audio import clip_pcm, encode


def samples(path) -> tuple[int, np.ndarray]:  # type: ignore[no-untyped-def]
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        frames = [frame.to_ndarray().ravel() for frame in container.decode(stream)]
    return rate, np.concatenate(frames)


def test_raw_pcm_is_kept_as_a_wav_of_the_same_samples(tmp_path):
    recording = tmp_path / "call-42-abc.jsonl"
    pcm = clip_pcm("council")[: 32000 * 2]
    keeper = AudioKeeper(recording, {"encoding": "linear16", "sample_rate": "16000"})
    for offset in range(0, len(pcm), 3200):
        keeper.write(pcm[offset : offset + 3200])
    keeper.close()
    assert keeper.path == tmp_path / "call-42-abc.audio.wav" and audio_beside(recording) == keeper.path
    assert keeper.path is not None and keeper.path.read_bytes()[44:] == pcm  # the bytes as sent, behind a header
    rate, decoded = samples(keeper.path)
    assert rate == 16000 and decoded.astype(np.int16).tobytes() == pcm


def test_mulaw_is_kept_as_a_wav_that_decodes_like_the_original(tmp_path):
    mulaw = encode(clip_pcm("council")[:32000], 8000, "wav", "pcm_mulaw")[44:]
    keeper = AudioKeeper(tmp_path / "x.s0002.jsonl", {"encoding": "mulaw", "sample_rate": "8000"})
    keeper.write(mulaw)
    keeper.close()
    assert keeper.path is not None and keeper.path.name == "x.audio.wav"
    rate, decoded = samples(keeper.path)
    assert rate == 8000 and len(decoded) == len(mulaw)


def test_a_container_is_kept_byte_for_byte_and_named_by_its_kind(tmp_path):
    ogg = encode(clip_pcm("weather")[:32000], 16000, "ogg", "libopus")
    keeper = AudioKeeper(tmp_path / "s.jsonl", {"model": "nova-3"})
    keeper.write(ogg[:100])
    keeper.write(ogg[100:])
    keeper.close()
    assert keeper.path == tmp_path / "s.audio.ogg" and keeper.path is not None and keeper.path.read_bytes() == ogg
    assert is_kept_audio("s.audio.ogg") and not is_kept_audio("s.jsonl") and audio_beside(tmp_path / "t.jsonl") is None
