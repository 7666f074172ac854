"""Audio conditions (``--condition``): read and refused as typed, and each one measured on real decoded clips."""

from __future__ import annotations

import pytest

from dgtui.audio.base import SourceSettings
from dgtui.audio.conditions import ConditionError, parse_conditions, time_scale_of
from dgtui.audio.impair import ConditionedSource, condition
from dgtui.audio.open import open_source
from dgtui.data import clip


def clip_source(name: str = "weather", **settings: object):
    return open_source(str(clip(name).path), SourceSettings(fast=True, **settings))  # type: ignore[arg-type]


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
