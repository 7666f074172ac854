"""Incremental decoding to 16 kHz PCM: raw audio of a declared encoding, WAV headers, and containers on a thread."""

from __future__ import annotations

import struct
import threading

import pytest

from dgtui.audio.decode import ContainerDecoder, RawDecoder, UndecodableAudio, is_wav_header, parse_wav_header
from tests.support.audio import clip_pcm, encode

SECOND = clip_pcm("weather")[:32000]


def test_raw_audio_fed_in_odd_pieces_decodes_to_the_same_pcm():
    decoder = RawDecoder("linear16", 16000)
    pieces = [SECOND[i : i + 777] for i in range(0, len(SECOND), 777)]  # frames cut in half across feeds
    pcm = b"".join(b"".join(out[0] for out in decoder.feed(piece)) for piece in pieces)
    pcm += b"".join(out[0] for out in decoder.close())
    assert pcm == SECOND and decoder.samples_in == 16000


def test_8khz_mulaw_is_resampled_to_16khz():
    mulaw = encode(clip_pcm("weather", 8000)[:16000], 8000, "mulaw", "pcm_mulaw", raw=True)  # 1 s at 8 kHz
    decoder = RawDecoder("mulaw", 8000)
    pcm = b"".join(out[0] for out in decoder.feed(mulaw) + decoder.close())
    assert abs(len(pcm) - 32000) <= 64  # one second at 16 kHz, whatever the resampler's delay


def test_an_unknown_encoding_is_refused():
    with pytest.raises(UndecodableAudio, match="not supported"):
        RawDecoder("opus", 48000)


def test_wav_headers_are_read_without_ffmpeg():
    wav = encode(SECOND, 16000, "wav", "pcm_s16le")
    assert is_wav_header(wav) and not is_wav_header(b"OggS" + bytes(20))
    encoding, rate, channels, start = parse_wav_header(wav)  # type: ignore[misc]
    assert (encoding, rate, channels) == ("linear16", 16000, 1) and wav[start:] == SECOND
    assert parse_wav_header(wav[:4] + struct.pack("<I", 4) + b"WAVE") is None  # a header with no fmt chunk


def test_a_container_is_decoded_on_its_thread_as_bytes_arrive():
    ogg = encode(SECOND, 16000, "ogg", "libopus", out_rate=48000)
    got, errors, lock = [], [], threading.Lock()

    def keep(pcm: list[bytes]) -> None:
        with lock:
            got.append(pcm[0])

    decoder = ContainerDecoder(keep, errors.append)
    for i in range(0, len(ogg), 1000):
        decoder.feed(ogg[i : i + 1000])
    decoder.close(timeout=30)
    assert not errors and abs(sum(map(len, got)) - 32000) < 32000 * 0.05 and decoder.seconds_in == pytest.approx(1.0)


def test_bytes_that_are_not_audio_are_an_error_not_a_crash():
    errors: list[Exception] = []
    decoder = ContainerDecoder(lambda pcm: None, errors.append)
    decoder.feed(b"<html>this is a web page, not audio</html>" * 100)
    decoder.close(timeout=30)
    assert len(errors) == 1 and isinstance(errors[0], UndecodableAudio)
