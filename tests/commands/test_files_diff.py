"""``dgtui diff``: two runs compared from their recordings or reports, with their manifests checked."""

from __future__ import annotations

import json
import re

import pytest

from dgtui.data import clip
from dgtui.judge.rundiff import Subject
from tests.support.audio import clip_pcm, encode
from tests.support.cli import dgtui

SVG_NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}  # names, never fetched


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Two clips of 6 s, each with its reference beside it."""
    folder = tmp_path_factory.mktemp("diff")
    paths = {}
    for name in ("council", "weather"):
        path = folder / f"{name}.wav"
        path.write_bytes(encode(clip_pcm(name)[: 32000 * 6], 16000, "wav", "pcm_s16le"))
        (folder / f"{name}.txt").write_text(" ".join(clip(name).reference.split()[:14]))
        paths[name] = path
    return paths


def record(server, source, folder, *flags):
    result = dgtui("stream", str(source), "--fast", "--url", server.url, "--record-dir", str(folder), *flags)
    assert result.returncode == 0, result.stderr.decode()
    (path,) = folder.rglob("*.jsonl")
    return path


def test_two_recordings_of_one_clip_compare_and_of_two_clips_do_not(server, clips, tmp_path):
    first = record(server, clips["council"], tmp_path / "a")
    second = record(server, clips["council"], tmp_path / "b", "--endpointing", "500")
    other = record(server, clips["weather"], tmp_path / "c")
    kept = [json.loads(line) for line in first.read_text().splitlines()]
    (manifest,) = [line for line in kept if line.get("type") == "dgtui.Manifest"]  # the recording keeps it
    assert manifest["audio_sha256"] and manifest["audio_s"] == pytest.approx(6.0, abs=0.01)
    same = dgtui("diff", str(first), str(second), "--json")
    assert same.returncode == 0, same.stderr.decode()
    (pair,) = json.loads(same.stdout)["pairs"]
    assert pair["comparable"] and pair["warnings"] == []
    assert pair["figures"]["wer"]["before"] is not None and "latency.p50" in pair["figures"]
    plain = dgtui("diff", str(first), str(other)).stdout.decode()
    assert "council -> weather" in plain and "! not comparable: different audio:" in plain
    assert "! not comparable: different references:" in plain and "words (A [-..-], B {+..+}):" in plain


def test_a_report_keeps_its_run_and_manifest_for_diff(server, clips, tmp_path):
    reports = []
    for endpointing in ("10", "500"):
        report = tmp_path / f"lanes-{endpointing}.md"
        result = dgtui("stream", str(clips["council"]), "--fast", "--url", server.url, "--report", str(report),
                       "--lane", f"a=--endpointing {endpointing}", "--lane", "b=--model flux-general-en")  # fmt: skip
        assert result.returncode == 0, result.stderr.decode()
        reports.append(report)
    text = reports[0].read_text()
    assert "## Manifest" in text and "| a | " in text.split("## Manifest")[1]
    result = dgtui("diff", str(reports[0]), str(reports[1]), "--json")
    assert result.returncode == 0, result.stderr.decode()
    found = json.loads(result.stdout)
    assert [(p["before"], p["comparable"]) for p in found["pairs"]] == [("a", True), ("b", True)]
    side_by_side = tmp_path / "diff.html"
    result = dgtui("diff", str(reports[0]), str(reports[1]), "--report", str(side_by_side))
    assert result.returncode == 0 and f"diff written to {side_by_side}" in result.stderr.decode()
    page = side_by_side.read_text()
    assert page.count('data-chart="times"') == 2 and page.count("<svg") == 2  # a chart per lane, inline
    assert str(reports[0]) in page and str(reports[1]) in page and "latency.p50" in page
    assert "<script" not in page and set(re.findall(r"https?://[^\"\s]*", page)) <= SVG_NAMESPACES


def test_bad_files_say_what_they_are(tmp_path):
    old_report = tmp_path / "old.md"
    old_report.write_text("# Lanes of talk\n")
    result = dgtui("diff", str(old_report), str(tmp_path / "missing.jsonl"))
    assert result.returncode == 2 and "a report without its run" in result.stderr.decode()
    result = dgtui("diff", str(tmp_path / "missing.jsonl"), str(old_report))
    assert result.returncode == 2 and "no such file" in result.stderr.decode()


def test_a_reader_that_goes_away_stops_it_quietly(tmp_path):
    import subprocess
    import sys

    from dgtui.judge.rundiff import run_block

    subjects = [Subject(f"lane{i}", {"latency.p50": 0.1 * i, "wer": 0.01 * i}, "the cat sat", {}) for i in range(400)]
    for name in ("a.md", "b.md"):
        (tmp_path / name).write_text("# Lanes\n\n" + run_block(subjects))
    process = subprocess.Popen([sys.executable, "-m", "dgtui", "diff", str(tmp_path / "a.md"), str(tmp_path / "b.md")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    assert process.stdout is not None and process.stdout.readline().startswith(b"A: ")
    process.stdout.close()  # as `| head -1` does
    _, stderr = process.communicate(timeout=60)
    assert b"Traceback" not in stderr and process.returncode in (0, 1)
