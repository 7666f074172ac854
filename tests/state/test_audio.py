"""The audio part of a stream's state: how far it was sent and when, the time scale of its conditions, the audio
sent again or lost that a Reconnected event has yet to tell."""

from __future__ import annotations

import pytest

from dgtui.state.events import AudioAccounted, AudioProgress, AudioSent, Reconnected
from dgtui.state.setup import Setup
from dgtui.state.stream import StreamState


def test_when_each_part_of_the_audio_went_out_is_found_by_halves():
    state = StreamState(Setup("s"), clock=lambda: 0.0)
    for step in range(1, 11):
        state.apply(AudioSent("s", 3200, step / 10, -20.0), 100.0 + step / 10)
    audio = state.audio
    assert audio.cursor == pytest.approx(1.0) and audio.sent_at(0.35) == pytest.approx(100.4)
    assert audio.sent_at(1.5) is None  # not sent yet


def test_audio_sent_again_after_a_drop_does_not_move_the_cursor_back_or_count_twice_in_the_digest():
    state = StreamState(Setup("s"), clock=lambda: 0.0)
    state.apply(AudioSent("s", 4, 1.0, -20.0, b"abcd"))
    state.apply(AudioSent("s", 4, 0.5, -20.0, b""))  # sent again: no fresh bytes
    state.apply(AudioSent("s", 2, 1.5, -20.0, b"ef"))
    assert state.audio.cursor == 1.5 and state.metrics.bytes_sent == 10
    import hashlib

    assert state.audio.digest.hexdigest() == hashlib.sha256(b"abcdef").hexdigest()


def test_a_replay_learns_the_audio_from_progress_events_once_a_second():
    state = StreamState(Setup("s"), clock=lambda: 0.0)
    state.apply(AudioProgress("s", 1.0, -20.0, 0.0, 32000), 10.0)
    state.apply(AudioProgress("s", 2.0, None, 0.0, 64000), 11.0)  # a level not known (passthrough)
    assert state.audio.cursor == 2.0 and state.metrics.bytes_sent == 64000 and state.audio.sent_at(1.5) == 11.0


def test_the_audio_a_reconnect_cost_is_told_once_whether_counted_live_or_learnt_from_a_recording():
    live = StreamState(Setup("s"), clock=lambda: 0.0)
    live.apply(AudioAccounted("s", resent=1.5, lost=0.25))  # counted as it happened
    assert live.audio.untold() == (1.5, 0.25)
    live.apply(Reconnected("s", "r2", 10.0, 0.8, 1.5, 0.25))  # the live loop tells what was untold
    assert (live.audio.resent, live.audio.lost, live.audio.untold()) == (1.5, 0.25, (0.0, 0.0))
    replayed = StreamState(Setup("s"), clock=lambda: 0.0)
    replayed.apply(Reconnected("s", "r2", 10.0, 0.8, 1.5, 0.25))  # a replay learns it from the event alone
    assert (replayed.audio.resent, replayed.audio.lost) == (1.5, 0.25)


def test_the_time_scale_comes_from_the_conditions():
    assert StreamState(Setup("s"), conditions=["speed:1.25"]).audio.time_scale == pytest.approx(0.8)
    assert StreamState(Setup("s")).audio.time_scale == 1.0
