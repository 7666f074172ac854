"""A stream's health for the wall: silence (no audio level, or no words) past the configured time, and outages
and reconnects over the last hour and day, from the state's own events."""

from __future__ import annotations

import pytest

from dgtui.state.events import AudioSent, Closed, Connected, HandshakeTimings, MessageReceived, State, StateChanged
from dgtui.state.health import DAY, HOUR, downtime, reconnects_within, silence
from dgtui.state.setup import Setup
from dgtui.state.stream import StreamState

TIMINGS = HandshakeTimings(0.001, 0.001, 0.0, 0.001)
RESULT = ('{"type":"Results","channel_index":[0,1],"duration":1.0,"start":%s,"is_final":true,"speech_final":true,'
          '"channel":{"alternatives":[{"transcript":"%s","confidence":0.9,"words":[]}]},"metadata":{}}')  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def streaming() -> tuple[StreamState, Clock]:
    clock = Clock()
    state = StreamState(Setup("radio"), clock=clock)
    state.apply(Connected("radio", "ws://127.0.0.1:9/v1/listen", "r1", TIMINGS))
    state.apply(StateChanged("radio", State.STREAMING))
    return state, clock


def test_a_feed_without_signal_or_without_words_is_silent_after_the_set_time():
    state, clock = streaming()
    state.apply(AudioSent("radio", 3200, 0.1, -20.0))
    state.apply(MessageReceived("radio", RESULT % (0.0, "good morning")))
    clock.now += 100
    assert silence(state.health, state.connection, clock.now, after=120) is None
    state.apply(AudioSent("radio", 3200, 0.2, -20.0))  # signal, but nothing said
    clock.now += 30
    quiet = silence(state.health, state.connection, clock.now, after=120)
    assert quiet is not None and quiet.reason == "no speech" and quiet.seconds == pytest.approx(130)
    state.apply(AudioSent("radio", 3200, 0.3, -96.0))  # a dead feed: digital silence from here on
    clock.now += 125
    state.apply(AudioSent("radio", 3200, 0.4, -70.0))
    quiet = silence(state.health, state.connection, clock.now, after=120)
    assert (
        quiet is not None and quiet.reason == "no audio level" and quiet.seconds == pytest.approx(155)
    )  # since -20 dB
    assert silence(state.health, state.connection, clock.now, after=0) is None  # 0: off
    state.apply(StateChanged("radio", State.CLOSED))
    assert (
        silence(state.health, state.connection, clock.now, after=120) is None
    )  # a stream that ended is not a silent feed


def test_outages_and_reconnects_count_in_the_last_hour_and_day():
    state, clock = streaming()
    for lost_for in (50.0, 10.0):  # two drops: 50 s, then 10 s without a connection
        clock.now += 2 * HOUR
        state.apply(Closed("radio", None, "", "the connection was lost"))
        clock.now += lost_for
        state.apply(Connected("radio", "ws://127.0.0.1:9/v1/listen", "r2", TIMINGS))
    clock.now += 600
    assert downtime(state.health, state.connection, clock.now, HOUR) == pytest.approx(10.0)
    assert downtime(state.health, state.connection, clock.now, DAY) == pytest.approx(60.0)
    assert (
        reconnects_within(state.health, clock.now, HOUR) == 1 and reconnects_within(state.health, clock.now, DAY) == 2
    )
    state.apply(Closed("radio", None, "", "the connection was lost"))  # down now: it counts until it is back
    clock.now += 30
    assert downtime(state.health, state.connection, clock.now, HOUR) == pytest.approx(40.0)
    state.apply(StateChanged("radio", State.ERROR))  # it gave up: the outage stops counting at the end of the stream
    clock.now += 300
    assert downtime(state.health, state.connection, clock.now, HOUR) == pytest.approx(40.0)


def test_a_week_of_drops_keeps_only_the_last_day_of_outages_for_the_figures():
    state, clock = streaming()
    for _ in range(7 * 24):  # a drop an hour for a week, each 10 s without a connection
        clock.now += HOUR
        state.apply(Closed("radio", None, "", "the connection was lost"))
        clock.now += 10
        state.apply(Connected("radio", "ws://127.0.0.1:9/v1/listen", "r", TIMINGS))
    assert 24 <= len(state.health.outages) <= 25 and 24 <= len(state.health.reconnected_at) <= 25
    assert (
        downtime(state.health, state.connection, clock.now, DAY) == pytest.approx(240.0)
        and reconnects_within(state.health, clock.now, DAY) == 24
    )


def test_the_app_takes_the_silence_time_from_the_flag_or_the_config_file(tmp_path, monkeypatch, clip_file):
    from dgtui.commands.cli import build_tui_parser, make_app

    config = tmp_path / "config.toml"
    config.write_text("[monitor]\nsilence_after = 300\n")
    monkeypatch.setenv("DGTUI_CONFIG", str(config))
    clip = str(clip_file(seconds=1.0))
    from_file = make_app(build_tui_parser().parse_args([clip, "--local", "--no-record"]))
    from_flag = make_app(build_tui_parser().parse_args([clip, "--local", "--no-record", "--silence-after", "30"]))
    assert from_file.silence_after == 300.0 and from_flag.silence_after == 30.0
