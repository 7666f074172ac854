"""``dgtui serve`` as a user starts it."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys

from tests.support.audio import clip_pcm
from tests.support.client import stream


def test_serve_prints_its_url_and_serves_until_stopped():
    process = subprocess.Popen(
        [sys.executable, "-m", "dgtui", "serve", "--port", "0", "--workers", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        match = re.search(r"listening on (ws://127\.0\.0\.1:\d+/v1/listen)", line)
        assert match, line + process.stderr.read()
        assert "no key required" in line
        flux, advice = process.stdout.readline(), process.stdout.readline()
        assert "/v2/listen: turns from the local engine, not Deepgram's Flux model" in flux  # said plainly
        assert "dgtui --url" in advice
        capacity = process.stdout.readline()
        assert re.search(r"capacity: up to \d+ real-time streams \(1 engine process, 0\.\d{3} CPU s per audio s, "
                         r"measured\); past it HTTP 429", capacity), capacity  # fmt: skip
        run = asyncio.run(
            stream(
                match.group(1), clip_pcm("council")[: 32000 * 4], "encoding=linear16&sample_rate=16000", realtime=False
            )
        )
        assert run.close_code == 1000 and "council" in run.transcript().lower()
        stats = process.stdout.readline()
        assert re.search(r"stream [0-9a-f-]{36}: 4\.0 s audio, RTF \d\.\d\d, closed 1000 · now [01] of \d+ streams",
                         stats), stats  # fmt: skip
    finally:
        process.terminate()
        process.wait(10)


def test_serve_refuses_a_public_address_without_a_key():
    env = {k: v for k, v in os.environ.items() if k != "DGTUI_SERVE_API_KEY"}
    result = subprocess.run(
        [sys.executable, "-m", "dgtui", "serve", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )
    assert result.returncode == 2
    assert "refusing to bind 0.0.0.0 without a key" in result.stderr


def test_serve_reports_a_port_in_use():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "dgtui", "serve", "--port", str(port), "--workers", "1"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "Traceback" not in result.stderr


def test_the_old_warm_workers_flag_is_accepted_and_said_to_be_ignored():
    process = subprocess.Popen(
        [sys.executable, "-m", "dgtui", "serve", "--port", "0", "--workers", "1", "--warm-workers", "4"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert "listening on" in process.stdout.readline()
        assert "--warm-workers is no longer needed" in process.stderr.readline()
    finally:
        process.terminate()
        process.wait(10)


def test_serve_with_faults_says_each_as_it_fires_and_logs_what_each_client_did(tmp_path):
    import json
    import time

    log = tmp_path / "clients.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "dgtui", "serve", "--port", "0", "--workers", "1", "--engine", "synthetic",
         "--fault", "close:code=1011,at=1s", "--log", str(log)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = process.stdout.readline()
        url = re.search(r"listening on (ws://127\.0\.0\.1:\d+/v1/listen)", line).group(1)
        console = [process.stdout.readline() for _ in range(4)]
        assert console[-1].strip() == "faults: close:code=1011,at=1s (each said as it fires)"
        run = asyncio.run(stream(f"{url}", clip_pcm("council")[: 32000 * 3],
                                 "encoding=linear16&sample_rate=16000&tag=desk", realtime=False))  # fmt: skip
        assert run.close_code == 1011
        said = [process.stdout.readline() for _ in range(2)]  # the fault, and the stream's end (in either order)
        fired = next((line for line in said if "fault on stream" in line), "")
        assert "closed 1011, at 1." in fired, said
        for _ in range(100):  # bounded: the log follows the stream's end
            lines = [json.loads(text) for text in log.read_text().splitlines()] if log.exists() else []
            if any(line.get("type") == "dgtui.Closed" for line in lines):
                break
            time.sleep(0.05)
    finally:
        process.terminate()
        process.wait(10)
    kinds = {line.get("type") for line in lines}
    assert {"dgtui.Handshake", "dgtui.Fault", "dgtui.Closed", "dgtui.Audio", "dgtui.Sent"} <= kinds
    sent = next(line for line in lines if line.get("type") == "dgtui.Sent")
    assert sent["audio_s"] >= 1.0 and sent["gaps"] == 0 and set(sent) >= {"pace", "longest_gap_s", "controls"}
    assert sent["closed_by"] == "server"  # the fault's close
    handshake = next(line for line in lines if line.get("type") == "dgtui.Handshake")
    assert handshake["auth"] == "none" and handshake["path"] == "/v1/listen" and "tag=desk" in handshake["query"]
    assert {line["stream"] for line in lines} == {1}


def test_the_config_files_faults_apply_and_a_bad_one_is_said(tmp_path):
    from tests.support.cli import dgtui_text

    config = tmp_path / "config.toml"
    config.write_text('[faults]\nserve = ["refuse:status=418"]\n')
    result = dgtui_text("serve", "--port", "0", env={"DGTUI_CONFIG": str(config)}, timeout=30)
    assert result.returncode == 2 and "[faults]" in result.stderr and "expected one of" in result.stderr


def test_the_config_files_faults_are_applied(tmp_path):
    import os

    import pytest
    from websockets.exceptions import InvalidStatus

    config = tmp_path / "config.toml"
    config.write_text('[faults]\nserve = ["refuse:status=503"]\n')
    process = subprocess.Popen([sys.executable, "-m", "dgtui", "serve", "--port", "0", "--workers", "1", "--engine",
                                "synthetic"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "DGTUI_CONFIG": str(config)})  # fmt: skip
    try:
        url = re.search(r"listening on (ws://127\.0\.0\.1:\d+/v1/listen)", process.stdout.readline()).group(1)
        with pytest.raises(InvalidStatus) as caught:
            asyncio.run(stream(url, b"\0" * 3200, "encoding=linear16&sample_rate=16000", realtime=False))
    finally:
        process.terminate()
        process.wait(10)
    assert caught.value.response.status_code == 503


def test_a_recording_that_cannot_be_replayed_is_said_before_anything_listens(tmp_path):
    from tests.support.cli import dgtui_text

    result = dgtui_text("serve", "--port", "0", "--replay", str(tmp_path / "missing.jsonl"), timeout=30)
    assert result.returncode == 2 and "--replay" in result.stderr and "no such recording" in result.stderr
