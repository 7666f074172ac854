"""Retention: the oldest closed segments deleted by age and size, never one being written."""

from __future__ import annotations

from dgtui.recordings.retention import ACTIVE_S, Retention, sweep
from tests.support.recordings import aged_file


def test_retention_deletes_the_oldest_closed_segments_and_never_one_being_written(tmp_path):
    day = 86400
    oldest = aged_file(tmp_path, "2026-10-01/a-r1.jsonl.gz", 40 * day)
    old = aged_file(tmp_path, "2026-10-01/a-r1.s0002.jsonl.gz", 35 * day)
    plain = aged_file(tmp_path, "2026-10-20/b-r2.jsonl", 20 * day)
    busy = aged_file(tmp_path, "2026-11-01/c-r3.s0009.jsonl", 31 * day)  # this process writes it
    fresh = aged_file(tmp_path, "2026-12-01/d-r4.jsonl", ACTIVE_S / 2)  # maybe another process's current segment
    other = aged_file(tmp_path, "2026-10-01/notes.txt", 99 * day)
    deleted = sweep(tmp_path, Retention(keep_days=30), writing={busy})
    assert [d.path for d in deleted] == [oldest, old] and not (tmp_path / "2026-10-01" / "a-r1.jsonl.gz").exists()
    assert all(d.reason == "older than keep_days 30" for d in deleted)
    assert busy.exists() and plain.exists() and other.exists()
    deleted = sweep(tmp_path, Retention(max_bytes=1500), writing={busy})
    assert [d.path for d in deleted] == [plain] and busy.exists() and fresh.exists()  # the rest is protected
    assert sweep(tmp_path, Retention()) == []


def test_an_apps_kept_audio_goes_with_its_recordings_days(tmp_path):
    day = 86400
    recording = aged_file(tmp_path, "2026-10-01/call-r1.jsonl.gz", 40 * day)
    audio = aged_file(tmp_path, "2026-10-01/call-r1.audio.wav", 40 * day)
    recent = aged_file(tmp_path, "2026-11-30/call-r2.audio.ogg", 2 * day)
    deleted = sweep(tmp_path, Retention(keep_days=30))
    assert {d.path for d in deleted} == {recording, audio} and recent.exists()
    assert not (tmp_path / "2026-10-01").exists()  # the day's folder went with its last file
