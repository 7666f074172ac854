"""dgtui bench: a table of the streams' figures, and the same as one JSON line."""

from __future__ import annotations

import json

from tests.support.cli import dgtui


def test_bench_prints_a_table_and_json(server, wav):
    result = dgtui("bench", str(wav), "--streams", "2", "--url", server.url, "--duration", "3", "--json")
    assert result.returncode == 0, result.stderr.decode()
    figures = json.loads(result.stdout.decode().splitlines()[-1])
    assert figures["streams"] == 2 and figures["clean"] == 2
    assert figures["latency_s"]["count"] > 0
    assert "ALL" in result.stderr.decode() and "lat p95" in result.stderr.decode()
