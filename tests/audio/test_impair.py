"""The signal work of the audio conditions on real audio through PyAV: gain, noise at its SNR, the telephony round
trip, speed with an exact cursor, one order."""

from __future__ import annotations

import asyncio
from itertools import pairwise

import av
import numpy as np
import pytest

from dgtui.audio.base import SourceSettings
from dgtui.audio.conditions import parse_conditions
from dgtui.audio.impair import active_frames, condition, level_db
from dgtui.audio.open import open_source
from dgtui.data import clip


def collect(source) -> tuple[bytes, list[float]]:
    async def run() -> tuple[bytes, list[float]]:
        data, ends = [], []
        async for chunk in source.chunks():
            data.append(chunk.data)
            ends.append(chunk.end)
        return b"".join(data), ends

    return asyncio.run(run())


def clip_source(name: str = "weather", **settings: object):
    return open_source(str(clip(name).path), SourceSettings(fast=True, **settings))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def clean() -> dict[str, np.ndarray]:
    return {name: np.frombuffer(collect(clip_source(name))[0], "<i2") for name in ("weather", "council")}


def test_gain_lowers_the_level_by_exactly_its_decibels(clean):
    data, ends = collect(condition(clip_source(), parse_conditions(["gain:-20dB"])))
    quiet = np.frombuffer(data, "<i2")
    assert quiet.size == clean["weather"].size and ends[-1] == pytest.approx(clean["weather"].size / 16000)
    assert level_db(quiet) - level_db(clean["weather"]) == pytest.approx(-20.0, abs=0.05)


@pytest.mark.parametrize(("name", "snr", "kind"), [("weather", 10, "pink"), ("council", 10, "pink"),
                                                   ("weather", 0, "white"), ("council", 20, "pink")])  # fmt: skip
def test_noise_is_added_at_its_snr_within_one_decibel(clean, name, snr, kind):
    spec = f"noise:snr={snr}" + (",kind=white" if kind == "white" else "")
    noisy = np.frombuffer(collect(condition(clip_source(name), parse_conditions([spec])))[0], "<i2")
    speech = clean[name]
    assert noisy.size == speech.size  # noise changes no timing
    added = (noisy.astype(np.float64) - speech) / 32768  # what the condition added, sample for sample
    measured = 10 * np.log10(active_frames(speech, 16000).mean() / np.mean(added**2))
    assert measured == pytest.approx(snr, abs=1.0), measured
    again = np.frombuffer(collect(condition(clip_source(name), parse_conditions([spec])))[0], "<i2")
    assert np.array_equal(noisy, again)  # the same noise every run: runs compare


def test_telephony_sends_8khz_mulaw_whose_levels_survive_the_round_trip(clean):
    source = condition(clip_source(), parse_conditions(["telephony"]))
    assert source.format.encoding == "mulaw" and source.format.sample_rate == 8000
    assert source.format.query() == {"encoding": "mulaw", "sample_rate": 8000}
    data, ends = collect(source)
    assert len(data) == pytest.approx(clean["weather"].size / 2, abs=80)  # one byte a sample at half the rate
    assert ends[-1] == pytest.approx(clean["weather"].size / 16000, abs=0.01)
    decoder = av.CodecContext.create("pcm_mulaw", "r")
    decoder.sample_rate, decoder.layout = 8000, "mono"
    call = np.concatenate([frame.to_ndarray().reshape(-1) for frame in decoder.decode(av.Packet(data))])
    assert level_db(call) == pytest.approx(level_db(clean["weather"]), abs=0.5)
    linear = condition(clip_source(), parse_conditions(["telephony:linear16"]))
    assert linear.format.encoding == "linear16" and linear.format.sample_rate == 8000
    pcm = np.frombuffer(collect(linear)[0], "<i2")
    assert np.array_equal(pcm[: call.size], call[: pcm.size])  # the same call, decoded before it is sent


def test_speed_shortens_the_audio_and_keeps_the_cursor_exact(clean):
    data, ends = collect(condition(clip_source(), parse_conditions(["speed:1.1"])))
    fast = np.frombuffer(data, "<i2")
    assert fast.size / clean["weather"].size == pytest.approx(1 / 1.1, rel=0.01)
    assert ends[-1] == pytest.approx(fast.size / 16000) and ends == sorted(ends)
    assert all(b - a == pytest.approx(0.1) for a, b in pairwise(ends[:-1]))  # the source's chunks
    assert level_db(fast) == pytest.approx(level_db(clean["weather"]), abs=0.5)  # tempo, not loudness


def test_the_signal_conditions_run_in_one_order_whatever_the_order_given():
    one = collect(condition(clip_source(), parse_conditions(["telephony", "gain:-10dB", "noise:snr=15"])))[0]
    two = collect(condition(clip_source(), parse_conditions(["noise:snr=15", "telephony", "gain:-10dB"])))[0]
    assert one == two
