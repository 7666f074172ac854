"""``--condition`` on lanes and streams, through the real local server: the same clip clean and impaired side
by side, each condition named in its manifest, the network ones changing when audio goes and never what."""

from __future__ import annotations

import json

import pytest

from tests.support.cli import dgtui


def run(*args: str):  # type: ignore[no-untyped-def]
    result = dgtui("stream", *args, "--json", timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    return [json.loads(line) for line in result.stdout.decode().splitlines()]


def by_type(lines, kind: str) -> dict:  # type: ignore[no-untyped-def]
    return {line["name"]: line for line in lines if line.get("type") == kind}


@pytest.mark.parametrize(
    "lanes",
    [
        ["phone=--condition telephony", "line16=--condition telephony:linear16"],
        ["noisy=--condition noise:snr=30", "quiet=--condition gain:-12dB", "fast=--condition speed:1.1"],
    ],
)
def test_each_signal_condition_runs_beside_the_clean_lane_and_is_in_its_manifest(server, talk, lanes):
    lines = run(str(talk), "--fast", "--url", server.url, "--lane", "clean=",
                *(arg for lane in lanes for arg in ("--lane", lane)))  # fmt: skip
    assert all(stream["clean"] for stream in lines[-2]["streams"]), lines[-2]
    manifests = by_type(lines, "dgtui.Manifest")
    assert manifests["council/clean"]["conditions"] == []
    expected = {"phone": (["telephony"], "mulaw", 8000), "line16": (["telephony:linear16"], "linear16", 8000),
                "noisy": (["noise:snr=30"], "linear16", 16000), "quiet": (["gain:-12dB"], "linear16", 16000),
                "fast": (["speed:1.1"], "linear16", 16000)}  # fmt: skip
    for lane in lanes:
        name = lane.split("=")[0]
        manifest = manifests[f"council/{name}"]
        assert (manifest["conditions"], manifest["encoding"], manifest["sample_rate"]) == expected[name]
        assert f"encoding={expected[name][1]}&sample_rate={expected[name][2]}" in manifest["url"]
    if "fast" in manifests:
        assert manifests["council/fast"]["audio_s"] == pytest.approx(8.0 / 1.1, rel=0.01)  # less audio is sent
    digests = [manifest["audio_sha256"] for manifest in manifests.values()]
    assert len(set(digests)) == len(digests)  # each lane sent audio of its own
    wer = {lane["lane"]: lane["wer"] for lane in lines[-1]["lanes"]}
    assert wer["clean"] < 0.3 and all(value < 0.9 for value in wer.values()), wer  # impaired, still heard
    transcripts = {lane["lane"]: lane for lane in lines[-1]["lanes"]}
    assert all(lane["finals"] for lane in transcripts.values()), transcripts


def test_jitter_and_burst_change_when_audio_is_sent_and_never_what(server, talk):
    lines = run(str(talk), "--url", server.url, "--lane", "steady=", "--lane", "bursty=--condition burst:2s",
                "--lane", "jittery=--condition jitter:80ms", "--duration", "6")  # fmt: skip
    manifests = by_type(lines, "dgtui.Manifest")
    assert manifests["council/bursty"]["conditions"] == ["burst:2s"]
    assert manifests["council/jittery"]["conditions"] == ["jitter:80ms"]
    assert {m["audio_sha256"] for m in manifests.values()} == {manifests["council/steady"]["audio_sha256"]}
    progress = {}
    for line in lines:
        if line.get("type") == "dgtui.Audio":
            progress.setdefault(line["name"], []).append((line["cursor_s"], line["mono"]))
    bursts = progress["council/bursty"]  # (cursor, when): told at the first chunk, then each second of audio
    assert [round(cursor, 1) for cursor, _ in bursts[:3]] == [0.1, 1.1, 2.1]
    assert bursts[1][1] - bursts[0][1] < 0.3  # the first two seconds went at once, in one burst
    assert bursts[2][1] - bursts[1][1] > 1.5  # and the next burst waited for its two seconds
    steady = progress["council/steady"]
    assert 0.8 < steady[2][1] - steady[1][1] < 1.3  # in real time


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--condition", "echo:1s"], "unknown condition 'echo' (known: telephony"),
        (["--fast", "--condition", "jitter:50ms"], "drop --fast"),
        (["--passthrough", "--condition", "gain:-6dB"], "drop --passthrough"),
        (["--lane", "a=", "--lane", "b=--condition speed:9"], "speed must be from 0.5 to 2"),
    ],
)
def test_conditions_that_cannot_work_are_refused_before_anything_streams(talk, flags, words):
    result = dgtui("stream", str(talk), "--local", *flags)
    assert result.returncode == 2 and words in result.stderr.decode(), result.stderr.decode()


def test_dgtui_diff_says_when_two_runs_had_different_conditions(server, talk, tmp_path):
    reports = [tmp_path / "monday.md", tmp_path / "today.md"]
    for report, first in zip(reports, ("a=", "a=--condition telephony"), strict=True):
        result = dgtui("stream", str(talk), "--fast", "--url", server.url, "--no-record", "--report", str(report),
                       "--lane", first, "--lane", "b=--condition gain:-6dB", timeout=120)  # fmt: skip
        assert result.returncode == 0, result.stderr.decode()
    manifest = reports[1].read_text().split("## Manifest")[1]
    assert "| real time |" not in manifest and "| telephony |" in manifest and "| gain:-6dB |" in manifest
    found = json.loads(dgtui("diff", *map(str, reports), "--json").stdout)
    pairs = {pair["before"]: pair for pair in found["pairs"]}
    assert pairs["b"]["comparable"] and not pairs["a"]["comparable"]
    assert any(w.startswith("different audio conditions:") for w in pairs["a"]["warnings"]), pairs["a"]["warnings"]
