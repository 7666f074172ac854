"""The soak benchmark, run small: it streams, drops, rotates, compresses and deletes, and its figures say so
(the 24-hour figures in the README come from the same code)."""

from __future__ import annotations

import json
import subprocess
import sys


def test_a_short_soak_loses_no_audio_records_every_reconnect_and_rotates():
    command = [sys.executable, "-m", "tests.bench.soak", "--hours", "0.1", "--streams", "2", "--fast",
               "--sample-hours", "0.05", "--drop-min", "0.5", "--drop-max", "1", "--segment-minutes", "1",
               "--max-mb", "0.05"]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout.splitlines()[-1])
    rows = figures["rows"]
    assert [r["ok"] for r in rows] == [True, True] and all(r["audio_h"] >= 0.1 for r in rows)
    assert sum(r["reconnects"] for r in rows) >= 2 and figures["drops"] == sum(r["reconnects"] for r in rows)
    assert all(r["reconnects_in_recording"] == r["reconnects_expected_in_recording"] for r in rows)
    assert all(r["audio_lost_s"] == 0 for r in rows)
    assert all(r["segments"] >= 5 for r in rows)
    assert sum(r["compressed_after"] for r in rows) < sum(r["compressed_before"] for r in rows) / 3
    assert sum(r["deleted_files"] for r in rows) > 0 and figures["on_disk_bytes"] < 1_500_000
    assert figures["samples"] and figures["samples"][0]["rss_mb"] > 0
