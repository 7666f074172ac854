"""``--metrics`` on the commands, ``[metrics]`` in the config file, ``dgtui serve``'s own figures, and where the app
says its metrics are served."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from dgtui.config.file import ConfigError, load_config
from dgtui.recordings.player import PlayerRunner
from dgtui.server.app import ServerConfig
from dgtui.tui.app import DgtuiApp
from tests.metrics.test_streams import labelled
from tests.support.cli import dgtui_text
from tests.support.config import write_config
from tests.support.icecast import free_port
from tests.support.scenes import scene
from tests.support.server import ServerThread

CLIP = str(Path(__file__).resolve().parents[2] / "dgtui" / "data" / "clips" / "council.ogg")


def test_a_taken_port_or_a_bad_address_is_said_before_anything_streams():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = dgtui_text("stream", CLIP, "--local", "--no-record", "--metrics", f"127.0.0.1:{port}")
    assert result.returncode == 2
    assert f"cannot serve metrics on 127.0.0.1:{port}" in result.stderr and "Pick another --metrics" in result.stderr
    bad = dgtui_text("bench", CLIP, "--local", "--metrics", "localhost:http")
    assert bad.returncode == 2 and "expected HOST:PORT or PORT" in bad.stderr
    assert "Traceback" not in result.stderr + bad.stderr


def test_the_config_file_sets_where_each_command_serves(tmp_path, monkeypatch):
    path = write_config(tmp_path, '[metrics]\nlisten = "127.0.0.1:9464"\nserve = "9465"\ngrace_seconds = 60\n')
    settings = load_config(path).metrics
    assert settings.listen_for("serve") == "9465" and settings.listen_for("tap") == "127.0.0.1:9464"
    assert settings.grace_seconds == 60 and settings.linger_seconds == 60
    wrong = write_config(tmp_path, '[metrics]\ntap = "somewhere"\n')
    with pytest.raises(ConfigError, match=r"config.toml:\d*.*metrics.*tap.*expected HOST:PORT"):
        load_config(wrong)


def _samples(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}  # fmt: skip


@pytest.mark.realtime
def test_dgtui_serve_counts_connections_refusals_faults_and_engine_time(tmp_path):
    port, metrics = free_port(), free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        command = ["serve", "--engine", "synthetic", "--port", str(port), "--api-key", "metrics-test-key",
                   "--fault", "close:at=1s,conn=2", "--metrics", f"127.0.0.1:{metrics}"]  # fmt: skip
        server = subprocess.Popen([sys.executable, "-m", "dgtui", *command], stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "listening on" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        asyncio.run(_clients(port))
        samples = _samples(metrics)
    finally:
        server.terminate()
        server.wait(10)
    assert samples[("dgtui_server_refusals_total", (("status", "404"),))] == 1
    assert samples[("dgtui_server_refusals_total", (("status", "401"),))] == 1
    assert samples[("dgtui_server_streams_total", (("api", "v1"),))] == 2
    assert samples[("dgtui_server_faults_total", (("kind", "close"),))] == 1
    assert samples[("dgtui_server_audio_seconds_total", ())] >= 1.0
    assert samples[("dgtui_server_real_time_factor_count", ())] == 2
    assert samples[("dgtui_server_queue_wait_seconds_count", ())] > 0
    assert samples[("dgtui_server_connections", ())] == 0
    assert "metrics-test-key" not in log.read_text()


async def _speak_and_close(ws) -> None:
    """1.5 s of silence in real time (100 ms frames), CloseStream, then the server's last messages."""
    for _ in range(15):
        await ws.send(bytes(3200))
        await asyncio.sleep(0.1)
    await ws.send('{"type": "CloseStream"}')
    async for _ in ws:
        pass


async def _clients(port: int) -> None:
    base, auth = f"ws://127.0.0.1:{port}", {"Authorization": "Token metrics-test-key"}
    with pytest.raises(InvalidStatus):
        async with connect(f"{base}/v1/nowhere", additional_headers=auth):
            pass
    with pytest.raises(InvalidStatus):
        async with connect(f"{base}/v1/listen"):
            pass
    for _ in range(2):  # the second is closed by the fault at 1 s of audio
        async with connect(f"{base}/v1/listen?encoding=linear16&sample_rate=16000", additional_headers=auth) as ws:
            with contextlib.suppress(ConnectionClosed):
                await _speak_and_close(ws)


async def test_the_app_says_where_its_metrics_are_served():
    sessions, clock = scene(10.0)
    url = "http://127.0.0.1:9464/metrics"
    app = DgtuiApp(PlayerRunner(sessions), backend_label="local engine", clock=clock, run_streams=False,
                   metrics_url=url)  # fmt: skip
    async with app.run_test(size=(140, 42)) as pilot:
        await pilot.pause()
        assert app.sub_title == "local engine · metrics on 127.0.0.1:9464"
        await pilot.press("question_mark")
        await pilot.pause()
        shown = " ".join(str(static.render()) for static in app.screen.query("Static"))
        assert f"Prometheus metrics: {url}" in shown


APP_KEY = "app-key-9c1e5a7b3d"


@pytest.mark.realtime
def test_dgtui_tap_exports_each_apps_streams_under_its_tag(tmp_path):
    """An application's streams through ``dgtui tap --metrics``: counted under the app's tag, with its pace."""
    upstream = ServerThread(ServerConfig(engine="synthetic", workers=1, admission=False)).start()
    where = upstream.url.split("/")[2]
    listen, metrics = free_port(), free_port()
    log = tmp_path / "tap.log"
    with open(log, "wb") as out:
        tap = subprocess.Popen([sys.executable, "-m", "dgtui", "tap", "--headless", "--no-record", "--upstream",
                                f"ws://{where}", "--listen", f"127.0.0.1:{listen}",
                                "--metrics", f"127.0.0.1:{metrics}"], stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while "listening on" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        asyncio.run(_app_streams(listen))
        time.sleep(0.5)  # the tap's analysis runs in its own process's loop
        samples = _samples(metrics)
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics}/metrics", timeout=10) as answer:
            assert APP_KEY not in answer.read().decode()  # the app's key is in no series
    finally:
        tap.terminate()
        tap.wait(10)
        upstream.stop()
    agent = {"stream": "agent", "api": "v1", "model": "nova-3", "backend": where, "lane": ""}
    assert labelled(samples, "dgtui_streams_total", **agent) == 2  # the app's tag, not its address
    assert labelled(samples, "dgtui_audio_sent_seconds_total", **agent) == pytest.approx(3.0, abs=0.2)
    assert labelled(samples, "dgtui_streams", state="closed", **agent) == 2
    assert labelled(samples, "dgtui_messages_total", type="Metadata", **agent) == 2
    assert "dgtui: Prometheus metrics on http://127.0.0.1:" in log.read_text()


async def _app_streams(port: int) -> None:
    async def one() -> None:
        url = f"ws://127.0.0.1:{port}/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000&tag=agent"
        async with connect(url, additional_headers={"Authorization": f"Token {APP_KEY}"}) as ws:
            await _speak_and_close(ws)

    await asyncio.gather(one(), one())
