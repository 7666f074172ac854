"""``--assert`` and ``--junit`` on ``dgtui stream`` and ``dgtui bench``, against the real local server."""

from __future__ import annotations

import json
from xml.etree import ElementTree

from tests.support.cli import dgtui


def test_gates_pass_and_fail_with_the_measured_value_and_junit(server, talk, tmp_path):
    junit = tmp_path / "gates.xml"
    result = dgtui("stream", str(talk), "--fast", "--json", "--url", server.url, "--lane", "fast=--endpointing 10",
                   "--lane", "slow=--endpointing 500", "--assert", "wer<0.5", "--assert", "fast:reconnects==0",
                   "--assert", "slow:wer<0.001", "--junit", str(junit))  # fmt: skip
    assert result.returncode == 3, result.stderr.decode()
    gates = json.loads(result.stdout.decode().splitlines()[-1])
    assert gates["type"] == "dgtui.Gates" and gates["passed"] is False
    verdicts = {(g["assert"], g["subject"]): g for g in gates["assertions"]}
    assert set(verdicts) == {("wer<0.5", "fast"), ("wer<0.5", "slow"), ("fast:reconnects==0", "fast"),
                             ("slow:wer<0.001", "slow")}  # fmt: skip
    assert verdicts[("wer<0.5", "fast")]["passed"] and not verdicts[("slow:wer<0.001", "slow")]["passed"]
    stderr = result.stderr.decode()
    assert "gates: 4 checked, 1 failed" in stderr and "FAIL  slow: wer < 0.1%  (measured " in stderr
    root = ElementTree.parse(junit).getroot()
    assert root.get("tests") == "4" and root.get("failures") == "1"
    assert [c.get("name") for c in root.iter("testcase") if c.find("failure") is not None] == ["slow:wer<0.001"]


def test_bench_gates_on_the_pooled_figures(server, talk):
    result = dgtui("bench", str(talk), "--fast", "--json", "--streams", "2", "--url", server.url,
                   "--assert", "finals>=2", "--assert", "reconnects==0")  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    figures = json.loads(result.stdout.decode().splitlines()[-1])
    assert figures["gates"] is True
    assert "gates: 2 checked, 0 failed" in result.stderr.decode()
    assert "pass  council: finals >= 2" in result.stderr.decode()  # two copies judged as one


def test_bad_assertions_stop_the_run_before_it_starts(talk):
    result = dgtui("stream", str(talk), "--local", "--assert", "latency.p95<600", "--assert", "lag<1ms")
    assert result.returncode == 2
    stderr = result.stderr.decode()
    assert "latency.p95 is a time: give ms or s" in stderr and "no metric 'lag'. Metrics: latency.p50" in stderr
    assert "backend" not in stderr  # nothing started
