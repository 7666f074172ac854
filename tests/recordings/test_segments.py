"""A recording's segment files: their names, their session, their compression."""

from __future__ import annotations

import pytest

from dgtui.recordings.export import parse_offset
from dgtui.recordings.segments import SegmentName, parse_name


def test_segment_names_say_their_session_number_and_compression():
    assert parse_name("radio-req.jsonl") == SegmentName("radio-req")
    assert parse_name("radio-req.s0012.jsonl.gz") == SegmentName("radio-req", 12, True)
    assert parse_name("radio-req-2.jsonl") == SegmentName("radio-req-2")
    assert parse_name("radio-req.jsonl.gz.part") is None and parse_name("index.json") is None
    assert SegmentName("a", 3, True).filename() == "a.s0003.jsonl.gz"
    assert parse_offset("90") == 90 and parse_offset("1:30") == 90 and parse_offset("1:02:03") == 3723
    assert parse_offset("1h30m") == 5400
    with pytest.raises(ValueError, match="not a time"):
        parse_offset("soon")
