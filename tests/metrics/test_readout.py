"""What one stream adds to its label set: counters and histograms that add up, gauges about what runs now."""

from __future__ import annotations

import math

from dgtui.metrics.readout import FLOOR_DB, Gauges, Tally, gauges, tally
from dgtui.state.events import AudioSent, Control, State, StateChanged
from dgtui.state.setup import Setup
from dgtui.state.stream import StreamState
from dgtui.state.usage import DEFAULT_PRICES
from tests.support.scenes import ORIGIN, FrozenClock, closed, flux_scene, weather


def test_two_streams_add_up_bucket_for_bucket():
    clock = FrozenClock(20.0)
    one, two = weather(clock), weather(clock, name="weather#2")
    for session in (one, two):
        session.advance(20.0, origin=ORIGIN)
    total = Tally()
    total.add(tally(one.state))
    total.add(tally(two.state))
    latency = total.histograms["dgtui_interim_latency_seconds"]
    assert latency.buckets == [2 * n for n in one.state.metrics.latency.coarse]
    assert math.isclose(latency.total, 2 * one.state.metrics.latency.total)
    assert total.counters["dgtui_streams_total"] == 2
    assert total.messages["Results"] == 2 * one.state.metrics.messages["Results"]


def test_a_nova_stream_has_no_flux_histograms_and_a_flux_stream_no_nova_ones():
    sessions, _ = flux_scene(30.0)
    flux, nova = (tally(session.state).histograms for session in sessions)
    assert "dgtui_flux_end_of_turn_audio_seconds" in flux and "dgtui_final_latency_seconds" not in flux
    assert "dgtui_final_latency_seconds" in nova and "dgtui_flux_end_of_turn_audio_seconds" not in nova


def test_deepgrams_cloud_is_priced_and_the_local_engine_is_not():
    state = StreamState(Setup("priced", options={"model": "nova-3"}, prices=DEFAULT_PRICES),
                        url="wss://api.deepgram.com/v1/listen", clock=lambda: 0.0)  # fmt: skip
    state.apply(AudioSent("priced", 32000 * 60, 60.0, -20.0), 0.0)
    priced = tally(state)
    assert priced.priced and math.isclose(priced.counters["dgtui_cost_usd_total"], DEFAULT_PRICES.models["nova-3"])
    local = StreamState(Setup("local", options={"model": "nova-3"}, local_engine=True), clock=lambda: 0.0)
    assert not tally(local).priced and "dgtui_cost_usd_total" not in tally(local).counters


def test_the_silent_feed_flags_are_about_running_streams_only():
    clock = FrozenClock(30.0)
    running = weather(clock)
    running.advance(30.0, origin=ORIGIN)
    now = gauges(running.state, clock())
    assert now.states == {"streaming": 1} and now.connected == 1
    assert now.since_words is not None and now.since_words > 0 and now.since_level is not None
    ended = closed(clock)
    ended.advance(30.0, origin=ORIGIN)
    over = gauges(ended.state, clock())
    assert over.states == {"closed": 1} and over.since_words is None and over.since_level is None
    paused = weather(FrozenClock(10.0))
    paused.advance(10.0, origin=ORIGIN)
    paused.state.apply(Control("weather", "pause", 10.0))
    paused.state.apply(StateChanged("weather", State.PAUSED))
    assert gauges(paused.state, ORIGIN + 500).since_level is None  # paused on purpose: not a dead feed


def test_digital_silence_reads_the_floor_and_the_highest_wins():
    state = StreamState(Setup("quiet"), clock=lambda: 0.0)
    state.apply(StateChanged("quiet", State.CONNECTING), 0.0)
    state.connection.started_at = 0.0
    state.apply(AudioSent("quiet", 3200, 0.1, -math.inf), 0.1)
    quiet = gauges(state, 5.0)
    assert quiet.level_db == FLOOR_DB and quiet.since_level == 5.0
    pooled = Gauges()
    pooled.add(quiet)
    pooled.add(Gauges(level_db=-20.0, since_level=1.0))
    assert (pooled.level_db, pooled.since_level) == (-20.0, 5.0)
