"""``dgtui tap`` as a user starts it: flags that cannot work said before anything listens; headless, every line of
``dgtui stream --json`` with a stream id, the key in no output and no file; wss with --cert/--key; a tapped call
kept with its audio and run again as lanes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import signal
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
import trustme
import websockets

from tests.conftest import TEST_KEY
from tests.support.audio import clip_pcm
from tests.support.cli import dgtui

QUERY = "encoding=linear16&sample_rate=16000&interim_results=true&tag=call-7"


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--listen", "0.0.0.0:0"], "refusing to listen on 0.0.0.0"),
        (["--listen", "0.0.0.0:0", "--allow-remote"], "needs --cert and --key"),
        (["--cert", "a.pem"], "--cert and --key go together"),
        (["--cert", "missing.pem", "--key", "missing.key"], "cannot load --cert missing.pem"),
        (["--keep-audio", "--no-record"], "drop --no-record"),
        (["--upstream", "ftp://example.com"], "not an upstream URL"),
        (["--listen", "8081"], "expected HOST:PORT"),
        (["--local", "--upstream", "ws://x"], "not allowed with argument"),
    ],
)
def test_flags_that_cannot_work_are_said_before_anything_listens(flags, words):
    result = dgtui("tap", "--json", *flags, timeout=30)
    assert result.returncode == 2 and words in result.stderr.decode(), result.stderr.decode()


def start_tap(*flags: str) -> tuple[subprocess.Popen[str], str]:
    """``dgtui tap`` started; its URL, from the first line it says (kept as ``.first_line`` on the process)."""
    process = subprocess.Popen([sys.executable, "-m", "dgtui", "tap", "--listen", "127.0.0.1:0", *flags],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert process.stderr is not None
    line = process.stderr.readline()
    found = re.search(r"listening on (wss?://127\.0\.0\.1:\d+)", line)
    assert found, line + process.stderr.read()
    process.first_line = line  # type: ignore[attr-defined]
    return process, found.group(1)


def stop(process: subprocess.Popen[str]) -> tuple[str, str]:
    """Ctrl-C, then everything it printed (read from the pipes' own readers: the first line was read there)."""
    process.send_signal(signal.SIGINT)
    process.wait(30)
    assert process.stdout is not None and process.stderr is not None
    return process.stdout.read(), process.stderr.read()


async def call(root: str, pcm: bytes, ssl_context: ssl.SSLContext | None = None) -> list[str]:
    async with websockets.connect(f"{root}/v1/listen?{QUERY}", ssl=ssl_context,
                                  additional_headers={"Authorization": f"Token {TEST_KEY}"}) as ws:  # fmt: skip
        for offset in range(0, len(pcm), 16000):
            await ws.send(pcm[offset : offset + 16000])
        await ws.send('{"type":"CloseStream"}')
        return [raw async for raw in ws]  # type: ignore[misc]


def test_headless_json_gives_every_line_with_a_stream_id_and_never_the_key(keyed_server, tmp_path):
    root = keyed_server.url.removesuffix("/v1/listen")
    process, url = start_tap("--upstream", root, "--json", "--record-dir", str(tmp_path), "--keep-audio")
    try:
        pcm = clip_pcm("council")[: 32000 * 4]
        first, second = asyncio.run(_two_calls(url, pcm))
    finally:
        out, err = stop(process)
    assert process.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert {line["stream"] for line in lines} == {1, 2}  # one id per connection
    raw = [line for line in out.splitlines() if '"message":' in line and line.startswith('{"stream":1,')]
    assert [line.removeprefix('{"stream":1,"message":').removesuffix("}") for line in raw] == first  # exact
    events = [line for line in lines if line.get("type", "").startswith("dgtui.")]
    assert {"dgtui.Connected", "dgtui.Audio", "dgtui.Control", "dgtui.Closed"} <= {e["type"] for e in events}
    assert len(second) == len(first) and all(line["name"] == "call-7" for line in events)
    files = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert [p for p, data in files.items() if TEST_KEY.encode() in data] == [] and TEST_KEY not in out + err
    assert "dgtui tap: recording each stream with the app's audio" in err
    recordings = sorted(tmp_path.rglob("*.jsonl"))
    assert len(recordings) == 2 and len(sorted(tmp_path.rglob("*.audio.wav"))) == 2
    lanes = dgtui("stream", str(recordings[0]), "--url", keyed_server.url, "--fast", "--no-record", "--json",
                  "--lane", "--endpointing 10", "--lane", "--endpointing 300",
                  env={"DEEPGRAM_API_KEY": TEST_KEY})  # fmt: skip
    assert lanes.returncode == 0, lanes.stderr.decode()
    summary = [json.loads(line) for line in lanes.stdout.decode().splitlines()][-2]
    assert [s["audio_seconds"] for s in summary["streams"]] == [4.0, 4.0]  # the production call, run again


async def _two_calls(url: str, pcm: bytes) -> tuple[list[str], list[str]]:
    return await call(url, pcm), await call(url, pcm)


def test_a_recording_without_its_audio_cannot_be_a_source(tmp_path):
    recording = tmp_path / "2026-12-04" / "call-abc.jsonl"
    recording.parent.mkdir()
    recording.write_text('{"type":"dgtui.header","format":2}\n')
    result = dgtui("stream", str(recording), "--local", timeout=30)
    assert result.returncode == 2 and "a recording without its audio" in result.stderr.decode()


def test_wss_with_a_certificate_and_plain_finals_per_stream(server, tmp_path):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert.cert_chain_pems[0].write_to_path(tmp_path / "cert.pem")
    cert.private_key_pem.write_to_path(tmp_path / "key.pem")
    client = ssl.create_default_context()
    ca.configure_trust(client)
    root = server.url.removesuffix("/v1/listen")
    process, url = start_tap("--upstream", root, "--headless", "--no-record",
                             "--cert", str(tmp_path / "cert.pem"), "--key", str(tmp_path / "key.pem"))  # fmt: skip
    try:
        assert url.startswith("wss://")
        messages = asyncio.run(call(url, clip_pcm("council")[: 32000 * 4], client))
    finally:
        out, err = stop(process)
    finals = [json.loads(m)["channel"]["alternatives"][0]["transcript"] for m in messages
              if json.loads(m).get("is_final")]  # fmt: skip
    assert out.splitlines() == [f"[call-7] {text}" for text in finals if text] and finals
    assert "dgtui tap: stream 1 call-7 (v1) from 127.0.0.1:" in err and "call-7" in err.split("stream")[-1]
    assert not Path(tmp_path / "sessions").exists()


def test_local_puts_the_embedded_engine_behind_the_tap():
    process, url = start_tap("--local", "--json", "--no-record")
    try:
        messages = asyncio.run(call(url, clip_pcm("council")[: 32000 * 4]))
    finally:
        out, err = stop(process)
    finals = " ".join(json.loads(m)["channel"]["alternatives"][0]["transcript"] for m in messages
                      if json.loads(m).get("is_final"))  # fmt: skip
    assert "council" in finals.lower() and process.returncode == 0, err
    assert re.search(r"→ the local engine \(ws://127\.0\.0\.1:\d+\)$", process.first_line.strip())  # type: ignore[attr-defined]
    assert {json.loads(line)["stream"] for line in out.splitlines()} == {1}


def test_a_fault_on_the_tap_reaches_the_app_and_is_an_event_of_its_stream(server):
    root = server.url.removesuffix("/v1/listen")
    process, url = start_tap("--upstream", root, "--json", "--no-record", "--fault", "close:code=1011,at=2s")

    async def faulted() -> tuple[int | None, str]:
        async with websockets.connect(f"{url}/v1/listen?{QUERY}") as ws:
            with contextlib.suppress(websockets.ConnectionClosed):
                pcm = clip_pcm("council")[: 32000 * 4]
                for offset in range(0, len(pcm), 16000):  # half a second a frame
                    await ws.send(pcm[offset : offset + 16000])
                async for _ in ws:
                    pass
        return ws.close_code, ws.close_reason

    try:
        code, reason = asyncio.run(faulted())
    finally:
        out, _ = stop(process)
    faults = [json.loads(line) for line in out.splitlines() if '"dgtui.Fault"' in line]
    assert code == 1011 and "net0001" in reason
    assert len(faults) == 1 and faults[0]["fault"].startswith("close:code=1011,at=2s: closed 1011, at 2.")
