"""Recordings that run for weeks: segments by time and size, each valid alone and read as one session;
closed segments gzipped; retention that never deletes what is being written; a full disk that pauses the
recording, not the stream, and resumes it when there is room again, with nothing lost."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dgtui.recordings.catalog import catalog
from dgtui.recordings.export import TimeRange, export_recording
from dgtui.recordings.format import NOTE
from dgtui.recordings.player import PlayedSession
from dgtui.recordings.reader import read_recording, read_session
from dgtui.recordings.replay import ReplaySession, load
from dgtui.recordings.retention import Retention
from dgtui.recordings.runs import read_run
from dgtui.recordings.segments import session_files
from dgtui.recordings.writer import RecordingPolicy
from dgtui.recordings.writer import record as subscribe_recorder
from tests.support.recordings import aged_file
from tests.support.script import audio_steps, connect, conversation, word_times

NUMBERS = ("one", "two", "three", "four", "five", "six", "seven", "eight")


SENTENCES = [f"sentence {word} of the long day" for word in NUMBERS] * 6


WORDS = " ".join(SENTENCES)


NO_ROTATION = RecordingPolicy(segment_seconds=0, segment_bytes=0)


def scripted() -> PlayedSession:
    until = word_times(SENTENCES)[-1][2] + 2.0
    steps = [connect(0.0, "ws://127.0.0.1:1/v1/listen", "req-1"), *conversation(SENTENCES), *audio_steps(until)]
    return PlayedSession("radio", steps, clock=lambda: 0.0)


def recorded(folder: Path, policy: RecordingPolicy, until: float | None = None, **kwargs):  # type: ignore[no-untyped-def]
    session = scripted()
    recorder = subscribe_recorder(session, folder, policy=policy, **kwargs)
    session.advance(session.duration if until is None else until, origin=0.0)
    return session, recorder


def finish(session: PlayedSession, recorder) -> None:  # type: ignore[no-untyped-def]
    session.advance(session.duration)
    recorder.close()
    recorder.wait()


def test_a_long_session_rotates_into_segments_each_valid_and_read_as_one(tmp_path):
    whole, plain = recorded(tmp_path / "plain", NO_ROTATION)
    finish(whole, plain)
    session, recorder = recorded(tmp_path / "rot", RecordingPolicy(segment_seconds=60, segment_bytes=40_000))
    finish(session, recorder)
    files = session_files(recorder.path)
    assert len(files) == recorder.totals.segments >= 4
    assert all(f.name.endswith(".jsonl.gz") for f in files)  # closed, so compressed (the last one at the end)
    numbers = []
    for path in files:  # each a recording on its own
        header, lines = read_recording(path)
        numbers.append(header.get("segment", 1))
        assert header["name"] == "radio" and header["mono"] == read_recording(files[0])[0]["mono"] and lines
        assert path.stat().st_size < 40_000
    assert numbers == list(range(1, len(files) + 1))
    assert recorder.totals.compressed_after < recorder.totals.compressed_before / 4
    assert load(recorder.path).state.transcript.text() == load(plain.path).state.transcript.text() == WORDS
    assert load(files[2]).state.transcript.text() == WORDS  # any segment stands for the session
    assert ReplaySession(files[-1]).recording.files == tuple(files)
    [info] = catalog(tmp_path / "rot")
    assert info.segments == len(files) and info.path == files[0] and info.request_ids == ("req-1",)
    assert info.duration == pytest.approx(session.state.audio.cursor, abs=1.1)
    assert f"in {len(files)} segments" in info.cells()[2]
    assert read_run(files[1]).subjects[0].transcript == WORDS  # dgtui diff reads it too
    notes = [e.text for e in session.state.log.entries if "compressed" in e.text]
    assert notes and all("MB ->" in text for text in notes)


def test_segments_rotate_by_time_alone_and_export_takes_a_range(tmp_path):
    session, recorder = recorded(tmp_path, RecordingPolicy(segment_seconds=30, segment_bytes=0, compress=False))
    finish(session, recorder)
    files = session_files(recorder.path)
    assert len(files) >= int(session.state.audio.cursor // 30) and not any(f.name.endswith(".gz") for f in files)
    full = json.loads(export_recording(files[0], "json"))
    part = json.loads(export_recording(files[0], "json", TimeRange(60.0, 120.0)))
    starts = [u["start"] for u in part["utterances"]]
    assert starts and all(60.0 <= s < 120.0 for s in starts) and len(starts) < len(full["utterances"])
    assert part["range_s"] == [60.0, 120.0]
    cli = [sys.executable, "-m", "dgtui", "export", str(files[-1]), "--from", "1:00", "--to", "2m"]
    result = subprocess.run(cli, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.count("\n") == len(starts)
    bad = subprocess.run([*cli[:5], "--from", "2:00", "--to", "1:00"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "must come after" in bad.stderr


def test_the_recorder_applies_retention_and_says_so_in_the_log_and_the_recording(tmp_path):
    stale = aged_file(tmp_path, "2026-01-01/old-r0.jsonl.gz", 90 * 86400)
    session, recorder = recorded(tmp_path, RecordingPolicy(segment_seconds=0, retention=Retention(keep_days=30)))
    recorder.wait()
    session.advance(session.duration)
    recorder.close()
    assert not stale.exists() and recorder.totals.deleted_files == 1
    assert any("retention deleted 1 recording file" in e.text and "old-r0" in e.text for e in session.state.log.entries)
    _, lines = read_recording(recorder.path)
    assert [line["action"] for line in lines if line["type"] == NOTE] == ["background"]
    assert load(recorder.path).state.transcript.text() == WORDS  # the note is skipped by replays


class Disk:
    """Files whose writes fail with ENOSPC once ``room`` bytes are used (None: room enough)."""

    def __init__(self) -> None:
        self.room: int | None = None

    def open(self, path: Path, mode: str):  # type: ignore[no-untyped-def]
        if self.room == 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        return DiskFile(open(path, mode, buffering=0), self)


class DiskFile:
    def __init__(self, file, disk: Disk) -> None:  # type: ignore[no-untyped-def]
        self.file, self.disk = file, disk

    def write(self, data) -> int:  # type: ignore[no-untyped-def]
        if self.disk.room is None:
            return self.file.write(data)
        if self.disk.room == 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        written = self.file.write(data[: self.disk.room])  # a short write: the line is torn
        self.disk.room -= written
        return written

    def truncate(self, size: int) -> int:
        return self.file.truncate(size)

    def close(self) -> None:
        self.file.close()


def test_a_full_disk_pauses_the_recording_not_the_stream_and_it_resumes_with_nothing_lost(tmp_path):
    disk = Disk()
    policy = RecordingPolicy(segment_seconds=0, segment_bytes=0, retry_s=5.0)
    session, recorder = recorded(tmp_path, policy, until=20.0, opener=disk.open)
    disk.room = 150  # a line torn mid-write, then nothing more
    session.advance(60.0)
    assert recorder.paused is not None and "No space left on device" in recorder.paused
    errors = [e.text for e in session.state.log.entries if e.level == "error"]
    assert len(errors) == 1 and "free some space and writing resumes by itself" in errors[0]
    assert (
        session.state.connection.error is None and "sentence" in session.state.transcript.text()
    )  # the stream went on
    first = recorder.path.read_bytes()
    assert first.endswith(b"\n")  # the torn line was cut back
    disk.room = None  # space is back
    finish(session, recorder)
    assert recorder.paused is None and recorder.totals.pauses == 1 and recorder.totals.lines_lost == 0
    files = session_files(recorder.path)
    assert len(files) == 2 and all(read_recording(f) for f in files)
    assert any("recording resumed in" in e.text for e in session.state.log.entries)
    assert load(recorder.path).state.transcript.text() == WORDS  # nothing lost


def test_a_long_outage_keeps_the_newest_events_and_says_how_many_were_lost(tmp_path):
    disk = Disk()
    policy = RecordingPolicy(segment_seconds=0, segment_bytes=0, retry_s=5.0, hold_bytes=3000)
    session, recorder = recorded(tmp_path, policy, until=10.0, opener=disk.open)
    disk.room = 0
    session.advance(100.0)
    disk.room = None
    finish(session, recorder)
    assert recorder.totals.lines_lost > 0
    resumed = [e.text for e in session.state.log.entries if "recording resumed" in e.text]
    assert resumed and f"{recorder.totals.lines_lost} older lines were lost" in resumed[0]
    assert all(read_recording(f) for f in session_files(recorder.path))  # every file still valid


@contextlib.contextmanager
def small_filesystem(where: Path, size: str = "1m"):  # type: ignore[no-untyped-def]
    where.mkdir()
    try:
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                                capture_output=True, text=True, timeout=10)  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"no small filesystem here: mount could not run ({exc})")
    if result.returncode != 0:
        pytest.skip(f"no small filesystem here: mounting a tmpfs needs root ({result.stderr.strip()})")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, timeout=10)


def test_a_real_small_filesystem_that_fills_and_frees(tmp_path):
    with small_filesystem(tmp_path / "small") as folder:
        filler = folder / "filler"
        with open(filler, "wb", buffering=0) as f, contextlib.suppress(OSError):
            while f.write(b"\0" * 4096):
                pass
        os.truncate(filler, filler.stat().st_size - 12_000)  # room for the start of the recording only
        policy = RecordingPolicy(segment_seconds=0, segment_bytes=0, retry_s=5.0)
        session, recorder = recorded(folder, policy, until=80.0)
        assert recorder.paused is not None and "No space left on device" in recorder.paused
        filler.unlink()
        finish(session, recorder)
        assert recorder.paused is None and recorder.totals.lines_lost == 0
        assert load(recorder.path).state.transcript.text() == WORDS
        assert read_session(recorder.path).files == tuple(session_files(recorder.path))
