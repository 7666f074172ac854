"""A run without a screen, in process: every stream to its end on the real local server, printed as it goes,
its summary, its gates judged, its report written, and an exit status that says how it went."""

from __future__ import annotations

import io
import json

from dgtui.audio.local import FileSource
from dgtui.headless.run import GATE_FAILED, Gates, copies_of, heard_whole, run_sessions
from dgtui.judge.compare import LaneGroup
from dgtui.judge.gates import parse_gates
from dgtui.live.backend import Backend
from dgtui.live.runner import StreamRunner
from dgtui.recordings.player import PlayedSession
from dgtui.state.events import Closed, SessionError


def test_copies_of_a_lane_group_pool_and_a_cut_stream_did_not_hear_its_whole_source():
    groups = [LaneGroup("talk", ("talk/a", "talk/b")), LaneGroup("talk", ("talk#2/a", "talk#2/b")),
              LaneGroup("news", ("news/a", "news/b"))]  # fmt: skip
    assert [[g.streams[0] for g in pool] for pool in copies_of(groups)] == [["talk/a", "talk#2/a"], ["news/a"]]
    played = PlayedSession("s")
    played.state.apply(Closed("s", 1000, "", "closed normally", True))
    assert heard_whole(None)(played.state) and not heard_whole(3.0)(played.state)  # --duration cut it short
    played.state.apply(SessionError("s", "boom"))
    assert not heard_whole(None)(played.state)


async def test_a_run_prints_json_then_its_summary_and_fails_its_gate(server, clip_file, tmp_path):
    wav = clip_file(seconds=3.0)
    runner = StreamRunner(Backend("url", server.url), {"interim_results": True}, record_dir=None)
    runner.add(FileSource(wav, realtime=False))
    out = io.StringIO()
    report = tmp_path / "report.md"
    status = await run_sessions(runner, json_mode=True, out=out, report=str(report),
                                gates=Gates(parse_gates(["latency.p95<0ms"]), str(tmp_path / "junit.xml")))  # fmt: skip
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    types = [line["type"] for line in lines]
    assert types[0] == "dgtui.State" and "Results" in types and "dgtui.Manifest" in types
    summary = next(line for line in lines if line["type"] == "dgtui.Summary")
    assert summary["streams"][0]["clean"] and summary["streams"][0]["audio_seconds"] >= 2.9
    gates = next(line for line in lines if line["type"] == "dgtui.Gates")
    assert gates["passed"] is False and status == GATE_FAILED
    assert (tmp_path / "junit.xml").read_text().startswith("<?xml") and not report.exists()  # no lanes: no report


async def test_a_failed_stream_makes_the_run_fail_and_the_other_still_runs(server, clip_file):
    wav = clip_file(seconds=2.0)
    runner = StreamRunner(Backend("url", server.url), {}, record_dir=None)
    runner.add(FileSource(wav, realtime=False))
    runner.add(FileSource(wav, realtime=False), backend=Backend("url", "ws://127.0.0.1:9/v1/listen"))
    out = io.StringIO()
    assert await run_sessions(runner, out=out) == 1
    assert out.getvalue().strip()  # the good stream's words were printed
