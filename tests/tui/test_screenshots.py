"""The README's screenshots are what the current code draws."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_committed_screenshots_are_up_to_date(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "screenshots" / "make.py"), "--out", str(tmp_path), "--no-picture"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    made = sorted(p.name for p in tmp_path.glob("*.svg"))
    assert made == [
        "aligned.svg",
        "compare-plots.svg",
        "compare.svg",
        "error.svg",
        "flux.svg",
        "help.svg",
        "inspector.svg",
        "overview.svg",
        "plot.svg",
        "stream.svg",
        "tap.svg",
    ]
    assert (tmp_path / "report.html").read_text().startswith("<!DOCTYPE html>")  # its charts: matplotlib's drawing
    stale = [name for name in made if (ROOT / "screenshots" / name).read_text() != (tmp_path / name).read_text()]
    assert not stale, f"run: python screenshots/make.py (out of date: {', '.join(stale)})"
