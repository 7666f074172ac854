"""Recordings written by earlier versions keep reading: a recording in format 1 (dgtui 0.1.0, as of issue 11) is
checked in, and replay, export and the listing must give what they gave when it was written."""

from __future__ import annotations

from pathlib import Path

from dgtui.recordings.export import export_recording
from dgtui.recordings.listing import describe_recording
from dgtui.recordings.reader import read_recording
from dgtui.recordings.replay import load

FORMAT1 = Path(__file__).parent / "format1" / "format1-weather.jsonl"


def test_a_format_1_recording_replays_with_its_figures():
    header, _ = read_recording(FORMAT1)
    assert header["format"] == 1
    session = load(FORMAT1)
    assert session.state.transcript.text() == (
        "Good morning, here is the weather. Rain in the north by the afternoon. Winds ease overnight."
    )
    assert session.state.connection.reconnects == 1 and session.state.connection.request_ids == ["req-1111", "req-2222"]
    assert (
        session.state.connection.errors == 1 and session.state.connection.error is None
    )  # the warning is counted, not the stream's outcome
    assert dict(session.state.lights.counts) == {
        "SpeechStarted": 3,
        "is_final": 3,
        "speech_final": 3,
        "UtteranceEnd": 3,
    }
    summary = session.state.metrics.summary()
    assert summary["audio_seconds"] == 11.3 and summary["latency"]["p50"] == 0.15
    assert session.state.connection.close_code == 1000


def test_a_format_1_recording_lists_and_exports():
    info = describe_recording(FORMAT1)
    assert (info.name, info.request_id, info.model, info.duration) == ("weather", "req-1111", "2-general-nova", 11.3)
    srt = export_recording(FORMAT1, "srt")
    assert srt.startswith("1\n") and "Winds ease overnight." in srt
