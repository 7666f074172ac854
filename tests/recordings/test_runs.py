"""A run read back for dgtui diff: a recording replayed to its end, a report by the run it keeps, and anything
else named for what it is."""

from __future__ import annotations

import pytest

from dgtui.judge.rundiff import RunError, Subject, run_block
from dgtui.recordings.player import PlayedSession
from dgtui.recordings.runs import read_run
from dgtui.recordings.writer import record
from tests.support.scenes import LOCAL_URL, WEATHER
from tests.support.script import audio_steps, close, connect, conversation


def test_a_recording_is_replayed_into_one_subject_with_its_figures_and_transcript(tmp_path):
    steps = [connect(0.0, LOCAL_URL, "r-1"), *audio_steps(12.0), *conversation(WEATHER[:2], request_id="r-1"),
             close(12.5)]  # fmt: skip
    played = PlayedSession("talk", steps, clock=lambda: 0.0)
    recorder = record(played, tmp_path)
    played.advance(20.0, origin=0.0)
    recorder.close()
    assert recorder.path is not None
    (subject,) = read_run(recorder.path).subjects
    assert subject.name == "talk" and subject.transcript == " ".join(WEATHER[:2])
    assert subject.figures["latency.p50"] == pytest.approx(0.15, abs=0.01) and subject.figures["reconnects"] == 0


def test_a_report_is_read_by_its_run_and_other_files_say_what_would_work(tmp_path):
    report = tmp_path / "lanes.md"
    report.write_text("# Lanes\n\n" + run_block([Subject("fast", {"wer": 0.1})]))
    assert read_run(report).subjects == [Subject("fast", {"wer": 0.1})]
    old = tmp_path / "old.md"
    old.write_text("# a report from before dgtui kept its run\n")
    with pytest.raises(RunError, match="Write it again with --report"):
        read_run(old)
    with pytest.raises(RunError, match="no such file"):
        read_run(tmp_path / "gone.jsonl")
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    with pytest.raises(RunError, match="not a dgtui recording or report"):
        read_run(notes)
