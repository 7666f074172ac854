"""dgtui bench: a table of the streams' figures, and the same as one JSON line."""

from __future__ import annotations

import json

import pytest

from tests.support.audio import clip_pcm, encode
from tests.support.cli import dgtui


@pytest.fixture(scope="module")
def wav(tmp_path_factory):
    path = tmp_path_factory.mktemp("audio") / "council.wav"
    path.write_bytes(encode(clip_pcm("council")[: 32000 * 6], 16000, "wav", "pcm_s16le"))
    return path


def test_bench_prints_a_table_and_json(server, wav):
    result = dgtui("bench", str(wav), "--streams", "2", "--url", server.url, "--duration", "3", "--json")
    assert result.returncode == 0, result.stderr.decode()
    figures = json.loads(result.stdout.decode().splitlines()[-1])
    assert figures["streams"] == 2 and figures["clean"] == 2
    assert figures["latency_s"]["count"] > 0
    assert "ALL" in result.stderr.decode() and "lat p95" in result.stderr.decode()
