"""How figures read on screen: audio times, uptimes, states, level meters, options and units."""

from __future__ import annotations

import math

from dgtui.state.events import State
from dgtui.tui.format import audio_time, duration, level_meter, ms_unit, options_text, seconds_unit, state_label


def test_times_read_as_people_say_them():
    assert audio_time(65.25) == "01:05.2" and audio_time(3725.0) == "1:02:05.0" and audio_time(-1) == "00:00.0"
    assert duration(12.9) == "12s" and duration(185) == "3m05s" and duration(3720) == "1h02m"


def test_states_and_the_level_meter_show_at_a_glance():
    assert state_label(State.STREAMING).plain == "● streaming"
    assert state_label(State.CONNECTING, reconnecting=True).plain == "↻ reconnecting"
    assert level_meter(math.nan, width=4).plain == "····   n/a"
    loud, silent = level_meter(-1.0, width=10), level_meter(-90.0, width=10)
    assert loud.plain.startswith("██████████") and "red" in str(loud.spans[0].style)
    assert silent.plain.startswith("··········") and "-90 dB" in silent.plain


def test_every_figure_carries_its_unit_and_nothing_shows_as_a_dash():
    assert ms_unit(0.1234) == "123 ms" and ms_unit(None) == "-" and ms_unit(math.nan) == "-"
    assert seconds_unit(1.25) == "1.2 s" and seconds_unit(None) == "-"
    assert options_text({"model": "nova-3", "diarize": True, "keyterm": ["a", "b"]}) == (
        "diarize=true keyterm=a,b model=nova-3"
    )
