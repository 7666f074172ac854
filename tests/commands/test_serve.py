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
