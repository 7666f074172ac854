"""Audio conditions (``--condition``): read and refused as typed, and each one measured on real decoded clips."""

from __future__ import annotations

import asyncio
from itertools import pairwise

import av
import numpy as np
import pytest

from dgtui.audio.base import SourceSettings
from dgtui.audio.conditions import ConditionError, parse_conditions, time_scale_of
from dgtui.audio.impair import ConditionedSource, active_frames, condition, level_db
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


@pytest.mark.parametrize(
    ("given", "specs"),
    [
        (["telephony"], ("telephony",)),
        (["telephony:linear16"], ("telephony:linear16",)),
        (["noise:snr=10"], ("noise:snr=10",)),
        (["noise:5"], ("noise:snr=5",)),
        (["noise:snr=0,kind=white"], ("noise:snr=0,kind=white",)),
        (["gain:-20dB"], ("gain:-20dB",)),
        (["gain:+6"], ("gain:+6dB",)),
        (["speed:1.1"], ("speed:1.1",)),
        (["jitter:50ms", "burst:2s"], ("jitter:50ms", "burst:2s")),
        (["jitter:0.05s"], ("jitter:50ms",)),
    ],
)
def test_conditions_are_read_into_the_names_the_manifest_gives_them(given, specs):
    assert parse_conditions(given).specs == specs


@pytest.mark.parametrize(
    ("given", "words"),
    [
        (["echo:1s"], "unknown condition 'echo' (known: telephony"),
        (["gain:-20dB", "gain:-10dB"], "gain is given twice"),
        (["noise"], "noise needs snr=DB"),
        (["noise:snr=loud"], "snr must be a number of dB"),
        (["speed:3"], "speed must be from 0.5 to 2"),
        (["jitter:50"], "jitter needs a time with its unit"),
        (["burst:0.01s"], "burst (seconds) must be from 0.1 to 30"),
        (["telephony:gsm"], "telephony is sent as mulaw (default) or linear16"),
    ],
)
def test_bad_conditions_are_refused_naming_what_exists(given, words):
    with pytest.raises(ConditionError) as caught:
        parse_conditions(given)
    assert words in str(caught.value)


def test_the_conditions_split_into_signal_and_sending_and_speed_scales_time():
    network = parse_conditions(["jitter:50ms", "burst:2s"])
    assert network.shapes_sending and not network.changes_signal
    assert condition(clip_source(), network).__class__.__name__ != "ConditionedSource"  # the audio is untouched
    fast = parse_conditions(["speed:1.25"])
    assert fast.changes_signal and fast.time_scale == pytest.approx(0.8) and time_scale_of(fast.specs) == 0.8


def test_a_container_sent_as_it_is_cannot_be_conditioned():
    with pytest.raises(ConditionError, match="drop --passthrough"):
        ConditionedSource(clip_source(passthrough=True), parse_conditions(["gain:-6dB"]))


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
