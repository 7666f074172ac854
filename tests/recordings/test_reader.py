"""Reading recordings back: a torn last line left out, a damaged file or one that is no recording named, a
session read whole from any of its segments."""

from __future__ import annotations

import gzip
import json

import pytest

from dgtui.recordings.format import HEADER, RecordingError
from dgtui.recordings.reader import read_header, read_recording, read_session

LINES = [{"type": HEADER, "format": 2, "name": "s"}, {"type": "dgtui.State", "name": "s", "state": "streaming"}]


def write(path, lines, tail: str = "") -> None:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines) + tail)


def test_a_line_torn_by_a_crash_is_left_out_and_a_damaged_one_is_named(tmp_path):
    path = tmp_path / "s-r.jsonl"
    write(path, LINES, tail='{"type": "dgtui.St')
    header, lines = read_recording(path)
    assert header["name"] == "s" and len(lines) == 1
    write(path, [*LINES[:1], {"x": 1}], tail="not json\n" + json.dumps(LINES[1]) + "\n")
    with pytest.raises(RecordingError, match="line 3 is not JSON"):
        read_recording(path)


def test_a_file_that_is_not_a_recording_says_so(tmp_path):
    path = tmp_path / "notes.jsonl"
    path.write_text('{"hello": 1}\n')
    with pytest.raises(RecordingError, match="not a dgtui recording"):
        read_recording(path)
    with pytest.raises(RecordingError, match="not a dgtui recording"):
        read_header(path)
    with pytest.raises(FileNotFoundError):
        read_session(tmp_path / "gone.jsonl")


def test_a_session_is_read_whole_from_any_of_its_segments_compressed_or_not(tmp_path):
    first, second = tmp_path / "s-r.jsonl.gz", tmp_path / "s-r.s0002.jsonl"
    with gzip.open(first, "wt") as f:
        f.write("".join(json.dumps(line) + "\n" for line in LINES))
    write(second, [{**LINES[0], "segment": 2}, {"type": "dgtui.State", "name": "s", "state": "closed"}])
    for path in (first, second, tmp_path / "s-r.jsonl"):  # the name it had before it was compressed too
        session = read_session(path)
        assert session.files == (first, second) and session.missing == 0
        assert [line["state"] for line in session.lines()] == ["streaming", "closed"]
