"""--lane as typed: each lane's flags over the run's, its backend, and the reference beside a source."""

from __future__ import annotations

import pytest

from dgtui.config.flags import FlagError
from dgtui.config.lanes import join_lane_values, parse_lanes


def test_lane_values_are_taken_as_typed_and_named():
    assert join_lane_values(["x.wav", "--lane", "--endpointing 10", "--lane", "slow=--endpointing 300"]) == [
        "x.wav", "--lane=--endpointing 10", "--lane=slow=--endpointing 300"
    ]  # fmt: skip
    lanes = parse_lanes(["--endpointing 10", "slow=--endpointing 300", "--endpointing 10", ""])
    assert [lane.name for lane in lanes] == ["endpointing 10", "slow", "endpointing 10#2", "default"]
    assert lanes[1].flags == "--endpointing 300"
    with pytest.raises(FlagError, match="compares nothing"):
        parse_lanes(["--endpointing 10"])
    with pytest.raises(FlagError, match="needs its options"):
        join_lane_values(["x.wav", "--lane"])
