"""The plain tables a run ends with: columns as wide as their widest cell, each stream's figures and status,
usage and cost (or why there is none), Flux turns, and lanes side by side with their best marked."""

from __future__ import annotations

import io

from dgtui.headless.tables import print_comparison, print_rows, print_summary_table, print_usage_table, summary
from dgtui.judge.compare import compare_lanes
from dgtui.recordings.player import PlayedSession
from tests.support.scenes import FrozenClock, deepgram_scene, flux_agent, lane_scene, scene


def test_columns_are_as_wide_as_their_widest_cell():
    out = io.StringIO()
    print_rows([("stream", "ms"), ("weather", "9"), ("x", "1200")], out, left=(0,))
    assert out.getvalue().splitlines() == ["stream     ms", "weather     9", "x        1200"]


def test_each_stream_has_its_figures_and_status_and_the_local_engine_costs_nothing():
    sessions, _ = scene(12.0)
    out = io.StringIO()
    print_summary_table(sessions, out)
    text = out.getvalue()
    assert "weather" in text and "ok" in text and "cost: none (the local engine is not billed)" not in text
    assert summary(sessions[0])["request_id"] == "3f1c9a52-8d0e-4b7a-9f61-2c5e7d4a1b90"
    local = PlayedSession("demo", [], options={"model": "nova-3"}, local_engine=True)
    free = io.StringIO()
    print_usage_table([local], free)
    assert free.getvalue().strip() == "cost: none (the local engine is not billed)"


def test_a_stream_to_deepgram_is_priced_and_a_flux_stream_gets_its_turn_table():
    sessions, _ = deepgram_scene(20.0)
    out = io.StringIO()
    print_usage_table(sessions, out)
    text = out.getvalue()
    assert "usage and cost · prices:" in text
    assert "$" in text and "weather" in text and "1.8" in text  # the audio sent again, billed again
    agent = flux_agent(FrozenClock(20.0))
    agent.advance(20.0, origin=1000.0)
    turns = io.StringIO()
    print_summary_table([agent], turns)
    assert "EoT p50" in turns.getvalue() and "agent" in turns.getvalue()


def test_lanes_side_by_side_with_the_best_marked():
    sessions, _, group = lane_scene(30.0)
    comparison = compare_lanes(group, [s.state for s in sessions], complete=lambda s: True)
    out = io.StringIO()
    print_comparison(comparison, out)
    lines = out.getvalue().splitlines()
    assert lines[1].startswith("lanes of weather · reference: weather.json")
    fast = next(line for line in lines if line.startswith("fast"))
    assert "0.0%*" in fast  # the best word error rate, marked
