"""The HTML report: one self-contained file with the table, the charts, the timeline and the manifest, parsed as
a browser would, and drawn by headless Chromium."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from dgtui.judge.compare import compare_lanes
from tests.support.cli import dgtui_text
from tests.support.scenes import lane_report, lane_scene

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CLIP = Path(__file__).resolve().parents[2] / "dgtui" / "data" / "clips" / "weather.ogg"


class Page(HTMLParser):
    """What a browser would find: charts, tables and their cells, marked words, anything fetched from outside."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: list[str] = []
        self.svgs = 0
        self.tables: list[str] = []
        self.cells: list[str] = []
        self.marked: list[tuple[str, str]] = []
        self.outside: list[str] = []
        self._span: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "figure":
            self.charts.append(attrs.get("data-chart", ""))
        elif tag == "svg":
            self.svgs += 1
        elif tag == "table":
            self.tables.append(attrs.get("class", ""))
        elif tag == "td":
            self._cell = []
        elif tag == "span":
            self._span = attrs.get("class")
        elif tag in ("script", "link", "img", "iframe") or any(
            str(v).startswith(("http:", "https:", "//")) for k, v in attrs.items() if k in ("src", "href")
        ):
            self.outside.append(tag)

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.cells.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "span":
            self._span = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._span in ("sub", "ins", "del"):
            self.marked.append((self._span, data))


def test_the_report_holds_every_chart_figure_and_marked_word_and_fetches_nothing():
    text = lane_report(30.0)
    sessions, _, group = lane_scene(30.0)
    rows = compare_lanes(group, [s.state for s in sessions], complete=lambda state: True).rows
    page = Page()
    page.feed(text)
    assert page.charts == ["interim-latency", "final-latency", "segment-wer"] and page.svgs >= 3
    assert page.tables == ["figures", "timeline"]  # a scripted run has no manifest (a live one: below)
    assert page.cells[:2] == ["fast", "0.0%"] and "slow" in page.cells
    assert f"{rows[1].errors.wer:.1%}" in page.cells
    assert ("sub", "late") in page.marked and ("sub", "yeast") in page.marked  # the slow lane's wrong words
    assert page.outside == []  # opens offline: no script, stylesheet, image or font from anywhere
    assert text == lane_report(30.0)  # the same report twice, byte for byte


@pytest.mark.realtime
def test_dgtui_stream_writes_an_html_report_that_chromium_draws(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (Debian's chromium package; .ci/run installs it)")
    report = tmp_path / "lanes.html"
    run = dgtui_text("stream", str(CLIP), "--local", "--fast", "--no-record", "--lane", "fast=--endpointing 10",
                     "--lane", "slow=--endpointing 500", "--report", str(report), timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert f"comparison written to {report}" in run.stderr
    page = Page()
    page.feed(report.read_text())
    assert page.charts == ["interim-latency", "final-latency", "segment-wer"] and page.outside == []
    assert page.tables == ["figures", "timeline", "manifest"]
    shot = tmp_path / "lanes.png"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars", "--window-size=1200,1800",
                    f"--screenshot={shot}", report.as_uri()], capture_output=True, timeout=120)  # fmt: skip
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size == (1200, 1800)
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 200  # text, tables and charts drawn, not a blank or an error page
