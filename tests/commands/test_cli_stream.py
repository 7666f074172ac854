"""``dgtui stream`` and ``dgtui bench`` as a user runs them: real processes, real servers."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from dgtui import __version__
from tests.conftest import TEST_KEY
from tests.support.audio import clip_pcm, encode
from tests.support.cli import dgtui
from tests.support.static import static_server


def test_json_output_has_every_message_and_dgtui_events(server, wav):
    result = dgtui("stream", str(wav), "--fast", "--json", "--url", server.url)
    assert result.returncode == 0, result.stderr.decode()
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
    types = [line["type"] for line in lines]
    assert types[0] == "dgtui.State" and lines[0]["state"] == "connecting" and types[-1] == "dgtui.Summary"
    connected = lines[types.index("dgtui.Connected")]
    source = lines[types.index("dgtui.Source")]
    assert source["kind"] == "file" and source["reason"].startswith("a local file of 6.0 s")
    assert types.index("dgtui.Source") < types.index("Results")
    assert [line["state"] for line in lines if line["type"] == "dgtui.State"] == [
        "connecting", "streaming", "closing", "closed"
    ]  # fmt: skip
    assert lines[types.index("dgtui.Audio")]["cursor_s"] > 0
    assert set(connected["handshake"]) == {"dns", "tcp", "tls", "upgrade"} and connected["request_id"]
    assert "Results" in types and "Metadata" in types and "dgtui.Closed" in types
    stream = lines[-1]["streams"][0]
    assert stream["name"] == "council" and stream["request_id"] == connected["request_id"]
    assert stream["audio_seconds"] == pytest.approx(6.0, abs=0.01)
    assert stream["ttft_s"] > 0 and set(stream["latency"]) == {"p50", "p95", "max"}
    assert stream["source_kind"] == "file"
    assert "local engine" not in result.stderr.decode() and server.url in result.stderr.decode()
    manifest, metadata = lines[types.index("dgtui.Manifest")], lines[types.index("Metadata")]
    assert manifest["audio_sha256"] == metadata["sha256"]  # what the server heard is what dgtui says it sent
    assert manifest["audio_s"] == pytest.approx(6.0, abs=0.01) and manifest["dgtui"] == __version__
    assert (manifest["encoding"], manifest["sample_rate"], manifest["channels"]) == ("linear16", 16000, 1)
    assert manifest["pacing"] == "unpaced" and manifest["chunk_ms"] > 0 and manifest["normaliser"] == 1
    assert manifest["model"]["name"] and manifest["request_ids"] == [connected["request_id"]]
    assert manifest["url"].startswith(server.url) and "interim_results" in manifest["url"]


def test_a_flux_stream_prints_v2_messages_and_turn_metrics(server, wav):
    result = dgtui("stream", str(wav), "--json", "--url", server.url, "--model", "flux-general-en")
    assert result.returncode == 0, result.stderr.decode()
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
    types = [line["type"] for line in lines]
    assert "Connected" in types and "TurnInfo" in types and "Results" not in types and "Metadata" not in types
    connected = lines[types.index("dgtui.Connected")]
    assert "/v2/listen?model=flux-general-en" in connected["url"]
    stream = lines[-1]["streams"][0]
    assert stream["api"] == "v2" and stream["close_code"] == 1005 and stream["clean"]
    assert stream["turns"]["turns"] >= 1 and stream["turns"]["end_of_turn_audio"]["p50"] is not None
    plain = dgtui("stream", str(wav), "--url", server.url, "--model", "flux-general-en", "--fast")
    assert "city council" in plain.stdout.decode().lower() and "EoT p50" in plain.stderr.decode()


def test_plain_output_prefixes_names_when_several(server, wav):
    result = dgtui("stream", str(wav), str(wav), "--fast", "--url", server.url)
    assert result.returncode == 0, result.stderr.decode()
    out = result.stdout.decode()
    assert "[council] " in out and "[council#2] " in out
    assert "train line" in out.lower()


def test_stdin_raw_audio(server):
    pcm = clip_pcm("council")[: 32000 * 5]
    result = dgtui("stream", "-", "--encoding", "linear16", "--sample-rate", "16000", "--url", server.url, stdin=pcm)
    assert result.returncode == 0, result.stderr.decode()
    assert "council" in result.stdout.decode().lower()


def test_default_backend_is_the_embedded_engine(wav):
    result = dgtui("stream", str(wav), "--fast", "--duration", "3")
    assert result.returncode == 0, result.stderr.decode()
    assert "backend: local engine (pocketsphinx, offline)" in result.stderr.decode()


@pytest.mark.parametrize(
    ("args", "message", "status"),
    [
        (["stream", "/no/such/file.wav"], "no such file", 2),
        (["stream", "x.wav", "--chunk-ms", "5"], "chunk size must be 20-250", 2),
        (["stream", "x.wav", "--endpointing", "soon"], "expected milliseconds or 'false'", 2),
        (["stream", "http://", "--fast"], "not an http(s) URL", 2),
        (["stream", "-", "--encoding", "mulaw"], "needs --sample-rate as well as --encoding", 2),
        (
            ["stream", "-", "--encoding", "mulaw", "--sample-rate", "80"],
            "--sample-rate: 80 is not an audio sample rate",
            2,
        ),
        (["stream", "x.wav", "--reconnect-attempts", "500"], "--reconnect-attempts: must be from 0 to 100", 2),
        (["stream", "x.wav", "--buffer-seconds", "lots"], "--buffer-seconds: expected a number", 2),
        (["stream", "x.wav", "--local", "--url", "ws://127.0.0.1:1/v1/listen"], "contradict", 2),
        (
            ["stream", "x.wav", "--model", "flux-general-en", "--interim-results"],
            "--interim-results is a Nova option",
            2,
        ),
        (["stream", "x.wav", "--eot-threshold", "0.8"], "--eot-threshold is a Flux option", 2),
        (["stream", "x.wav", "--model", "flux-general-en", "--eot-threshold", "0.3"], "--eot-threshold: Invalid", 2),
        (["stream", "x.wav", "--model", "flux-general-en", "--eager-eot-threshold", "0.8"], "must not be above", 2),
        (["stream", "x.wav", "--url", "ws://127.0.0.1:1/v2/listen", "--model", "nova-3"], "Flux's endpoint", 2),
    ],
)
def test_bad_input_gets_a_clear_message_and_status(args, message, status):
    result = dgtui(*args)
    assert result.returncode == status
    assert message in result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()


def test_a_bad_file_fails_in_its_own_stream_beside_the_good_one(server, wav, tmp_path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    result = dgtui("stream", str(empty), str(wav), "--fast", "--url", server.url)
    err = result.stderr.decode()
    assert result.returncode == 1, err  # the run had a failure; the good stream still ran to its end
    assert f"[empty] error: {empty} is empty (0 bytes)" in err and "council" in result.stdout.decode().lower()
    mp3 = encode(clip_pcm("council")[: 32000 * 4], 16000, "mp3", "libmp3lame")
    (tmp_path / "cut.mp3").write_bytes(mp3[: len(mp3) // 2])
    cut = dgtui("stream", str(tmp_path / "cut.mp3"), "--fast", "--json", "--url", server.url)
    errors = [e for e in map(json.loads, cut.stdout.decode().splitlines()) if e["type"] == "dgtui.Error"]
    assert cut.returncode == 0 and len(errors) == 1 and errors[0]["fatal"] is False  # a warning: it went on
    assert "looks truncated" in errors[0]["message"]
    plain = dgtui("stream", str(tmp_path / "cut.mp3"), "--fast", "--url", server.url)
    assert plain.returncode == 0 and f"dgtui: warning: {tmp_path / 'cut.mp3'} ends after" in plain.stderr.decode()
    both_bad = dgtui("stream", str(empty), "/no/such.wav", "--url", server.url)
    assert both_bad.returncode == 2  # nothing can run: refused up front, every reason on its own line
    assert both_bad.stderr.decode().splitlines() == [
        f"dgtui: {empty} is empty (0 bytes): there is no audio in it.",
        "dgtui: /no/such.wav: no such file. Check the path.",
    ]


def test_failed_stream_exits_non_zero_with_the_reason(wav):
    result = dgtui("stream", str(wav), "--url", "ws://127.0.0.1:9/v1/listen")
    assert result.returncode == 1
    assert "connection refused" in result.stderr.decode()


def test_the_key_never_appears_in_output(keyed_server, wav):
    env = {"DEEPGRAM_API_KEY": TEST_KEY}
    for extra in (["--json"], []):
        result = dgtui("stream", str(wav), "--fast", "--url", keyed_server.url, *extra, env=env)
        assert result.returncode == 0, result.stderr.decode()
        assert TEST_KEY not in result.stdout.decode() + result.stderr.decode()
    refused = dgtui("stream", str(wav), "--url", "ws://192.0.2.1/v1/listen", env=env)
    assert refused.returncode == 2 and "refusing to send the API key unencrypted" in refused.stderr.decode()
    wrong = dgtui("stream", str(wav), "--url", keyed_server.url, env={"DEEPGRAM_API_KEY": "wrong-key-value"})
    assert wrong.returncode == 1 and "HTTP 401" in wrong.stderr.decode()
    assert "wrong-key-value" not in wrong.stdout.decode() + wrong.stderr.decode()


def test_ctrl_c_closes_cleanly(server, wav):
    process = subprocess.Popen(
        [sys.executable, "-m", "dgtui", "stream", str(wav), "--json", "--url", server.url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    for _ in range(10):  # the stream's first lines, up to dgtui.Connected: streaming has begun
        if b"dgtui.Connected" in process.stdout.readline():
            break
    else:
        raise AssertionError("no dgtui.Connected in the first 10 lines")
    time.sleep(1.5)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=max(1, deadline - time.monotonic()))
    assert process.returncode == 0, err.decode()
    lines = [json.loads(line) for line in out.decode().splitlines()]
    assert lines[-1]["type"] == "dgtui.Summary"
    assert lines[-1]["streams"][0]["audio_seconds"] < 5.0
    assert any(line["type"] == "Metadata" for line in lines)


def test_a_url_of_a_finished_file_is_streamed_once_and_exits_0(server, wav):
    with static_server(wav.parent) as (url, requests):
        result = dgtui("stream", f"{url}/{wav.name}", "--fast", "--json", "--url", server.url)
    assert result.returncode == 0, result.stderr.decode()
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
    summary = lines[-1]["streams"][0]
    assert summary["clean"] and summary["audio_seconds"] == pytest.approx(6.0, abs=0.05)
    assert summary["source_kind"] == "file" and summary["source_reason"].startswith("the server gave its length")
    assert requests == [f"/{wav.name}"] * 2  # its headers, then its audio: never reopened
