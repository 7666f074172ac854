"""Lanes side by side: each lane's figures from its streams' states, pooled over copies, the best of each column
where lanes differ, and the columns a table shows."""

from __future__ import annotations

import json

from dgtui.judge.compare import COLUMNS, LaneGroup, compare_lanes, lane_row, shown_columns
from dgtui.state.events import AudioSent, MessageReceived
from dgtui.state.setup import Setup
from dgtui.state.stream import StreamState


def lane(name: str, text: str, latency: float) -> StreamState:
    """A stream that sent 2 s of audio and got one interim ``latency`` behind, then its final."""
    state = StreamState(Setup(name, options={"keyterm": ["council"]}), clock=lambda: 0.0)
    state.apply(AudioSent(name, 64000, 2.0, -20.0), 100.0)
    for final in (False, True):
        raw = json.dumps(
            {
                "type": "Results",
                "start": 0.0,
                "duration": 2.0 - latency,
                "is_final": final,
                "channel_index": [0, 1],
                "channel": {"alternatives": [{"transcript": text, "words": []}]},
            }
        )
        state.apply(MessageReceived(name, raw, None, 0.0, 2.0), 101.0)  # fmt: skip
    return state


def test_a_lane_row_judges_the_words_and_the_latency():
    row = lane_row("fast", [lane("x/fast", "the city council met", 0.2)], "the city council met", lambda s: True)
    assert row.wer == 0.0 and row.latency_p50 == 0.2 and row.finals == 1 and row.error is None
    assert row.keyterms is not None and row.keyterms.as_dict()["recall"] == 1.0
    assert row.transcript == "the city council met"


def test_copies_pool_into_one_row_per_lane_and_the_best_is_marked_where_lanes_differ():
    reference = "the city council met"
    group = LaneGroup("talk", ("talk/fast", "talk/slow"), reference)
    copy = LaneGroup("talk", ("talk#2/fast", "talk#2/slow"), reference)
    states = [lane("talk/fast", reference, 0.1), lane("talk/slow", "the city counsel met", 0.5),
              lane("talk#2/fast", reference, 0.3), lane("talk#2/slow", "the city counsel met", 0.5)]  # fmt: skip
    comparison = compare_lanes([group, copy], states, complete=lambda s: True)
    fast, slow = comparison.rows
    assert (fast.name, slow.name) == ("fast", "slow")
    assert fast.errors is not None and fast.errors.reference_words == 8  # both copies' words counted
    assert fast.latency is not None and fast.latency.count == 2 and fast.latency_p50 == 0.1
    assert comparison.best["wer"] == {"fast"} and comparison.best["latency_p50"] == {"fast"}
    assert "finals" not in comparison.best  # equal everywhere: no best
    assert comparison.as_dict()["lanes"][1]["lane"] == "slow"


def test_a_group_keeps_what_a_replay_needs_in_its_recordings_headers():
    group = LaneGroup("talk", ("talk/a", "talk/b"), "the text", "talk.txt", (("the", 0.1, 0.2),))
    headers = [{"name": "talk/a", "lane_group": group.as_header()}, {"name": "talk/b", "lane_group": group.as_header()}]
    (back,) = LaneGroup.from_headers(headers)
    assert back == group and back.lane_name("talk/b") == "b"
    (alone,) = LaneGroup.from_headers(headers[:1])  # only what is there: one stream alone, judged on its reference
    assert alone.streams == ("talk/a",)


def test_a_table_leaves_the_cost_out_where_no_lane_has_one():
    row = lane_row("x", [lane("x", "hello", 0.1)], None, lambda s: True)
    columns = shown_columns([row])
    assert "$/hour" not in [c.heading for c in columns] and len(columns) == len(COLUMNS) - 1
