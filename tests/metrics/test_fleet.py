"""Past one machine: several dgtui processes (two ``dgtui stream``, a ``dgtui bench``, the ``dgtui serve`` they
stream to) each serving its metrics, scraped by a real Prometheus server through file-based service discovery
(the README's fleet set-up). The fleet's figures are Prometheus's own (``histogram_quantile`` over summed
buckets), and they equal what dgtui computes from the same runs' recordings."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import time
from bisect import bisect_left
from pathlib import Path

import pytest

from dgtui.metrics.catalogue import names
from dgtui.recordings.replay import load
from dgtui.state.stats import LATENCY_EDGES, Series
from tests.support.icecast import free_port
from tests.support.prometheus import Prometheus

CLIPS = Path(__file__).resolve().parents[2] / "dgtui" / "data" / "clips"
DASHBOARD = Path(__file__).resolve().parents[2] / "dgtui" / "metrics" / "dashboard.json"
RULES = Path(__file__).resolve().parents[2] / "dgtui" / "metrics" / "rules.yml"


def start(*args: str, log: Path) -> subprocess.Popen[bytes]:
    environment = {k: v for k, v in os.environ.items() if k != "DEEPGRAM_API_KEY"}
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", "dgtui", *args], stdout=out, stderr=subprocess.STDOUT,
                                env=environment)  # fmt: skip


def wait_for_line(log: Path, pattern: str, process: subprocess.Popen[bytes], timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = re.search(pattern, log.read_text(errors="replace"))
        if match:
            return match.group(0)
        assert process.poll() is None, log.read_text()
        time.sleep(0.1)
    raise AssertionError(f"no {pattern!r} in {log.read_text()}")


def pooled(folders: list[Path]) -> tuple[Series, int, int]:
    """What dgtui computes from the runs' recordings: interim latency pooled over every stream, the
    reconnects, and how many streams."""
    series, reconnects, streams = Series(), 0, 0
    for folder in folders:
        for path in sorted(folder.rglob("*.jsonl*")):
            state = load(path).state
            series.merge(state.metrics.latency)
            reconnects += state.connection.reconnects
            streams += 1
    return series, reconnects, streams


def dashboard_queries() -> list[tuple[str, str]]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [(panel["title"], target["expr"]) for panel in panels for target in panel["targets"]]


def at_run(expr: str) -> str:
    """A dashboard query as Grafana sends it: its variables set to every machine and stream."""
    return expr.replace("$__rate_interval", "1m").replace("$instance", ".*").replace("$stream", ".*")


@pytest.mark.realtime
def test_prometheus_pools_the_fleet_as_the_recordings_do(tmp_path):
    ports = {"serve": free_port(), "stream-1": free_port(), "stream-2": free_port(), "bench": free_port()}
    logs = {name: tmp_path / f"{name}.log" for name in ports}
    server = start("serve", "--engine", "synthetic", "--port", "0", "--fault", "drop:at=2s,conn=1,path=v1",
                   "--fault", "drop:at=2s,conn=2,path=v1", "--metrics", f"127.0.0.1:{ports['serve']}",
                   log=logs["serve"])  # fmt: skip
    processes = [server]
    prometheus = None
    try:
        url = wait_for_line(logs["serve"], r"ws://127\.0\.0\.1:\d+/v1/listen", server)
        prometheus = Prometheus(tmp_path / "prometheus", {
            "dgtui-serve": [f"127.0.0.1:{ports['serve']}"],
            "dgtui-stream": [f"127.0.0.1:{ports['stream-1']}", f"127.0.0.1:{ports['stream-2']}"],
            "dgtui-bench": [f"127.0.0.1:{ports['bench']}"],
        })  # fmt: skip
        folders = [tmp_path / "rec-1", tmp_path / "rec-2"]
        common = ("--url", url, "--duration", "5")
        runs = [
            start("stream", str(CLIPS / "council.ogg"), *common, "--record-dir", str(folders[0]),
                  "--metrics", f"127.0.0.1:{ports['stream-1']}", log=logs["stream-1"]),
            start("stream", str(CLIPS / "science.ogg"), str(CLIPS / "support.ogg"), *common, "--record-dir",
                  str(folders[1]), "--metrics", f"127.0.0.1:{ports['stream-2']}", log=logs["stream-2"]),
            start("bench", str(CLIPS / "council.ogg"), "--streams", "2", "--model", "flux-general-en", *common,
                  "--metrics", f"127.0.0.1:{ports['bench']}", log=logs["bench"]),
        ]  # fmt: skip
        processes += runs
        deadline = time.monotonic() + 30
        while prometheus.query("sum(dgtui_connected) >= 5") == [] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert time.monotonic() < deadline, "the five streams were never seen connected at once"
        mid_run = time.time()
        for run in runs:
            assert run.wait(90) in (0, 1), [log.read_text() for log in logs.values()]  # 1: a dropped stream
        for name in ("stream-1", "stream-2", "bench"):  # each waited for a last scrape before it ended
            assert "waiting for Prometheus to scrape the last figures" in logs[name].read_text()

        # The fleet's figures, computed by Prometheus
        pooled_buckets = 'sum by (le) (max_over_time(dgtui_interim_latency_seconds_bucket{job="dgtui-stream"}[10m]))'
        buckets = prometheus.query(pooled_buckets)
        promql_p95 = prometheus.value(f"histogram_quantile(0.95, {pooled_buckets})")
        promql_reconnects = prometheus.value('sum(max_over_time(dgtui_reconnects_total{job="dgtui-stream"}[10m]))')
        streams = prometheus.value("sum(max_over_time(dgtui_streams_total[10m]))")

        # ... and dgtui's own, from the recordings
        series, reconnects, recorded = pooled(folders)
        assert recorded == 3 and streams == 5  # three recorded streams, two more from the bench
        assert reconnects >= 1 and promql_reconnects == reconnects  # the drops, counted alike
        cumulative = {b["metric"]["le"]: float(b["value"][1]) for b in buckets}
        counts = [sum(series.coarse[: i + 1]) for i in range(len(series.coarse))]
        assert [cumulative[le] for le in [*(_le(e) for e in LATENCY_EDGES), "+Inf"]] == counts  # bucket for bucket
        exact = series.summary().p95
        index = bisect_left(LATENCY_EDGES, exact)
        low = LATENCY_EDGES[index - 1] if index > 0 else -math.inf
        high = LATENCY_EDGES[index] if index < len(LATENCY_EDGES) else math.inf
        assert low <= promql_p95 <= high, (exact, promql_p95)  # within the bucket of the exact p95

        # Every dashboard query is valid PromQL over names the processes expose, and returns data
        exposed = {r["metric"]["__name__"] for r in prometheus.query('{__name__=~"dgtui_.*"}')}
        exposed = {re.sub(r"_(bucket|sum|count)$", "", name) for name in exposed}
        for title, expr in dashboard_queries():
            used = {re.sub(r"_(bucket|sum|count)$", "", name) for name in re.findall(r"\bdgtui_\w+", expr)}
            assert used <= names(), (title, used - names())
            if used <= exposed:
                # in the middle of the run (live gauges), or at its end (what only ended streams count)
                result = prometheus.query(at_run(expr), at=mid_run) or prometheus.query(at_run(expr))
                assert result, (title, expr)
        for rule_name in re.findall(r"\bdgtui_\w+", RULES.read_text()):
            assert re.sub(r"_(bucket|sum|count)$", "", rule_name) in names(), rule_name
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
        if prometheus is not None:
            prometheus.close()


def _le(edge: float) -> str:
    from prometheus_client.utils import floatToGoString

    return floatToGoString(edge)
