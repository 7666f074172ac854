"""``--lane``: one source, several option sets or backends, compared (against the real local server)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest

from tests.support.cli import dgtui


def test_a_nova_and_a_flux_lane_on_one_source_end_in_a_comparison(server, talk, tmp_path):
    result = dgtui("stream", str(talk), "--fast", "--json", "--url", server.url,
                   "--lane", "--endpointing 10", "--lane", "flux=--model flux-general-en")  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
    comparison = lines[-1]
    assert comparison["type"] == "dgtui.Comparison" and comparison["reference"].endswith("council.txt")
    assert [lane["lane"] for lane in comparison["lanes"]] == ["endpointing 10", "flux"]
    assert all(lane["wer"] is not None and lane["wer"] < 0.35 for lane in comparison["lanes"]), comparison
    assert comparison["normaliser"] == 1 and comparison["best"]
    streams = {stream["name"]: stream for stream in lines[-2]["streams"]}
    assert set(streams) == {"council/endpointing 10", "council/flux"} and streams["council/flux"]["api"] == "v2"
    assert streams["council/endpointing 10"]["audio_seconds"] == streams["council/flux"]["audio_seconds"] == 8.0
    report = tmp_path / "lanes.md"
    plain = dgtui("stream", str(talk), "--fast", "--url", server.url, "--lane", "a=--endpointing 10 --keyterm council",
                  "--lane", "b=--endpointing 500", "--report", str(report))  # fmt: skip
    assert "lanes of council · reference:" in plain.stderr.decode() and "WER" in plain.stderr.decode()
    text = report.read_text()
    assert text.startswith("# Lanes of council") and "## a" in text and "## b" in text
    assert "- keyterms: precision" in text.split("## b")[0] and "- keyterms" not in text.split("## b")[1]
    assert "## Segments: who finalized first" in text and "First to finalize: a in " in text


@pytest.mark.parametrize(
    ("lanes", "words"),
    [
        (["--lane", "--endpointing 10"], "compares nothing"),
        (["--lane", "--endpointing soon", "--lane", ""], "expected milliseconds"),
        (["--lane", "--interim-results", "--lane", "--model flux-general-en --interim-results"], "Nova option"),
    ],
)
def test_lanes_that_cannot_work_say_so_before_anything_starts(talk, lanes, words):
    result = dgtui("stream", str(talk), "--local", *lanes)
    assert result.returncode == 2 and words in result.stderr.decode(), result.stderr.decode()


def test_one_lanes_server_dying_leaves_the_other_lane_going(make_server, talk):
    steady, doomed = make_server(), make_server()
    process = subprocess.Popen(
        [sys.executable, "-m", "dgtui", "stream", str(talk), "--json", "--no-record", "--reconnect-attempts", "1",
         "--lane", f"steady=--url {steady.url}", "--lane", f"doomed=--url {doomed.url}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    killer = threading.Timer(3.0, doomed.stop)  # mid-stream (8 s of audio in real time)
    killer.start()
    try:
        out, err = process.communicate(timeout=90)
    finally:
        killer.cancel()
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1, err.decode()  # one lane failed
    lines = [json.loads(line) for line in out.decode().splitlines()]
    streams = {s["name"]: s for s in next(line for line in lines if line["type"] == "dgtui.Summary")["streams"]}
    assert streams["council/steady"]["clean"] and streams["council/steady"]["audio_seconds"] == 8.0
    assert not streams["council/doomed"]["clean"] and streams["council/doomed"]["error"]
    time.sleep(0)  # the other lane never waited for the dead one: it ended in real time


def test_lanes_from_a_config_preset(server, talk, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(
        f'[presets.compare]\nsource = "{talk}"\nlanes = ["fast=--endpointing 10", "slow=--endpointing 500"]\n'
    )
    config.chmod(0o600)
    result = dgtui("stream", "--preset", "compare", "--fast", "--json", "--url", server.url, "--no-record",
                   env={"DGTUI_CONFIG": str(config)})  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    comparison = json.loads(result.stdout.decode().splitlines()[-1])
    assert comparison["type"] == "dgtui.Comparison" and [lane["lane"] for lane in comparison["lanes"]] == [
        "fast",
        "slow",
    ]
    assert comparison["reference"].endswith("council.txt")  # the sidecar beside the preset's source


async def test_a_recorded_lane_group_replays_as_a_comparison(server, talk, tmp_path):
    from dgtui.judge.compare import LaneGroup
    from dgtui.recordings.player import PlayerRunner
    from dgtui.recordings.replay import ReplaySession
    from dgtui.tui.app import DgtuiApp
    from dgtui.tui.widgets.compare_view import comparison_of

    folder = tmp_path / "recordings"
    result = dgtui("stream", str(talk), "--fast", "--json", "--url", server.url, "--record-dir", str(folder),
                   "--lane", "a=--endpointing 10", "--lane", "b=--endpointing 500")  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    live = json.loads(result.stdout.decode().splitlines()[-1])
    sessions = [ReplaySession(path) for path in sorted(folder.rglob("*.jsonl"))]
    groups = LaneGroup.from_headers([session.header for session in sessions])
    assert len(groups) == 1 and groups[0].streams == ("council/a", "council/b") and groups[0].reference
    for session in sessions:
        session.advance(session.duration, origin=0.0)
    states = sorted((session.state for session in sessions), key=lambda state: state.name)
    replayed = comparison_of(groups[0], states)
    assert [round(row.wer, 4) for row in replayed.rows] == [lane["wer"] for lane in live["lanes"]]  # the same
    app = DgtuiApp(PlayerRunner(sessions), run_streams=False, groups=groups)
    async with app.run_test(size=(140, 42)) as pilot:
        await pilot.pause()
        assert app.tabs.active == "compare-1" and app.compares["compare-1"].states == [s.state for s in sessions]
        await pilot.press("q")


def test_bench_with_lanes_pools_each_lane_over_its_copies(server, talk, tmp_path):
    report = tmp_path / "bench.md"
    lanes = ("--lane", "fast=--endpointing 10", "--lane", "slow=--endpointing 500")
    result = dgtui("bench", str(talk), "--fast", "--json", "--streams", "2", "--url", server.url, *lanes,
                   "--report", str(report))  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    figures = json.loads(result.stdout.decode().splitlines()[-1])
    assert figures["streams"] == 4
    (comparison,) = figures["comparisons"]
    assert [lane["lane"] for lane in comparison["lanes"]] == ["fast", "slow"]
    for lane in comparison["lanes"]:  # both copies' words: twice the 17 reference words
        assert lane["reference_words"] == 34 and lane["wer"] < 0.35 and lane["finals"] >= 2, lane
    assert "lanes of council · reference:" in result.stderr.decode()
    assert report.read_text().startswith("# Lanes of council")


async def test_a_stream_alone_is_judged_on_the_reference_beside_it_live_and_in_replay(server, talk, tmp_path):
    from rich.console import Console

    from dgtui.judge.compare import LaneGroup
    from dgtui.recordings.player import PlayerRunner
    from dgtui.recordings.replay import ReplaySession
    from dgtui.tui.app import DgtuiApp
    from dgtui.tui.widgets.panels import AccuracyPanel
    from dgtui.tui.widgets.stream_view import StreamView

    folder = tmp_path / "recordings"
    result = dgtui("stream", str(talk), "--fast", "--json", "--url", server.url, "--record-dir", str(folder))
    assert result.returncode == 0, result.stderr.decode()
    (judged,) = [json.loads(line) for line in result.stdout.decode().splitlines()[-1:]]
    assert judged["type"] == "dgtui.Comparison" and judged["reference"].endswith("council.txt")
    (lane,) = judged["lanes"]
    assert lane["lane"] == "council" and lane["reference_words"] == 17 and lane["wer"] < 0.35
    plain = dgtui("stream", str(talk), "--fast", "--url", server.url)
    assert "accuracy of council · reference:" in plain.stderr.decode()
    (session,) = [ReplaySession(path) for path in folder.rglob("*.jsonl")]
    groups = LaneGroup.from_headers([session.header])
    assert [group.streams for group in groups] == [("council",)]
    session.advance(session.duration, origin=0.0)
    app = DgtuiApp(PlayerRunner([session]), run_streams=False, groups=groups)
    async with app.run_test(size=(140, 42)) as pilot:
        await pilot.press("1")
        await pilot.pause()
        assert not app.compares  # one stream: no comparison tab, an accuracy panel in its own
        view = app.query_one(StreamView)
        view.render_state(0.0)
        console = Console(width=60, color_system=None)
        with console.capture() as shown:
            console.print(view.query_one(AccuracyPanel).render())
        assert f"WER {lane['wer']:.1%} of 17 words" in " ".join(shown.get().split())  # the same as live
        await pilot.press("q")


def test_a_reference_for_several_sources_is_refused(talk):
    result = dgtui("stream", str(talk), str(talk.with_name("other.wav")), "--local", "--reference", "x.txt")
    assert result.returncode == 2 and "--reference with several sources" in result.stderr.decode()
