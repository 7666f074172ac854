"""What dgtui sessions shows of each recording, read in one pass; junk files left out."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from dgtui.recordings.listing import describe_recording, list_recordings
from tests.support.recordings import record_live


def test_listing_recordings(server, tmp_path, clip_file):
    folder = tmp_path / "rec"
    live = asyncio.run(record_live(clip_file(seconds=3.0), server.url, folder, 3.0))
    info = describe_recording(live.recording_path)
    assert (info.name, info.request_id) == (live.name, live.state.connection.request_id)
    assert info.duration == pytest.approx(3.0, abs=0.11) and info.model == "pocketsphinx-en-us"
    (folder / "2000-01-01").mkdir()
    (folder / "2000-01-01" / "junk.jsonl").write_text("not json\n")
    assert [i.path for i in list_recordings(folder)] == [live.recording_path]
    result = subprocess.run(
        [sys.executable, "-m", "dgtui", "sessions", "--dir", str(folder)], capture_output=True, text=True, timeout=30
    )
    assert (
        result.returncode == 0
        and live.state.connection.request_id in result.stdout
        and "pocketsphinx-en-us" in result.stdout
    )
