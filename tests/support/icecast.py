"""A real Icecast server on a loopback port, and a feeder that streams MP3 into it over HTTP PUT."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

PASSWORD = "dgtui-test"

CONFIG = """<icecast>
  <location>{location}</location><admin>test@localhost</admin>
  <limits>
    <clients>50</clients><sources>8</sources><queue-size>524288</queue-size>
    <client-timeout>30</client-timeout><header-timeout>15</header-timeout><source-timeout>10</source-timeout>
    <burst-on-connect>1</burst-on-connect><burst-size>8192</burst-size>
  </limits>
  <authentication>
    <source-password>{password}</source-password><relay-password>{password}</relay-password>
    <admin-user>admin</admin-user><admin-password>{password}</admin-password>
  </authentication>
  <hostname>127.0.0.1</hostname>
  <listen-socket><port>{port}</port><bind-address>127.0.0.1</bind-address></listen-socket>
  <paths>
    <basedir>/usr/share/icecast2</basedir><logdir>{tmp}</logdir>
    <webroot>/usr/share/icecast2/web</webroot><adminroot>/usr/share/icecast2/admin</adminroot>
  </paths>
  <logging><accesslog>access.log</accesslog><errorlog>error.log</errorlog><loglevel>2</loglevel></logging>
  <security><chroot>0</chroot>{changeowner}</security>
</icecast>
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Icecast:
    """``icecast2`` started on a free loopback port with its own config; stopped by ``stop``."""

    def __init__(self) -> None:
        binary = shutil.which("icecast2")
        if binary is None:
            raise RuntimeError("icecast2 is not installed: the test command (.ci/run) installs it with apt-get")
        self.tmp = Path(tempfile.mkdtemp(prefix="dgtui-icecast-"))
        os.chmod(self.tmp, 0o777)  # icecast drops to nobody when started as root
        root = os.geteuid() == 0
        changeowner = "<changeowner><user>nobody</user><group>nogroup</group></changeowner>" if root else ""
        log = ""
        for _ in range(5):  # a free port can be taken by a test running beside this one before icecast binds it
            self.port = free_port()
            config = self.tmp / "icecast.xml"
            self.location = f"dgtui-test-{uuid.uuid4().hex}"  # which icecast answers: this one, not a neighbour's
            config.write_text(
                CONFIG.format(
                    password=PASSWORD, port=self.port, tmp=self.tmp, changeowner=changeowner, location=self.location
                )
            )
            self.process = subprocess.Popen(
                [binary, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            if self._answers():
                return
            log = (self.tmp / "error.log").read_text() if (self.tmp / "error.log").exists() else ""
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(5)
        shutil.rmtree(self.tmp, ignore_errors=True)
        raise RuntimeError(f"icecast2 did not start: {log[-2000:]}")

    def _answers(self) -> bool:
        """Whether this icecast answers on its port, within 15 s: its status names the location only it was given
        (another test's icecast can hold the same port for an instant, and answer, while this one fails to bind)."""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/status-json.xsl", timeout=0.5) as response:
                    status = json.loads(response.read())
            except (OSError, ValueError):
                time.sleep(0.05)
                continue
            return status.get("icestats", {}).get("location") == self.location and self.process.poll() is None
        return False

    def url(self, mount: str) -> str:
        return f"http://127.0.0.1:{self.port}/{mount.lstrip('/')}"

    def set_title(self, mount: str, title: str) -> None:
        from urllib.parse import quote

        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/admin/metadata?mount=/{mount.lstrip('/')}&mode=updinfo&song={quote(title)}",
            headers={"Authorization": "Basic " + base64.b64encode(f"admin:{PASSWORD}".encode()).decode()},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            response.read()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


class Feeder:
    """Streams ``data`` (MP3) into a mount over HTTP PUT, paced to ``seconds`` of audio, on a thread."""

    def __init__(self, icecast: Icecast, mount: str, data: bytes, seconds: float, lead: float = 0.5) -> None:
        self.icecast, self.mount, self.data, self.seconds, self.lead = (
            icecast,
            mount.lstrip("/"),
            data,
            seconds,
            lead,
        )
        self.started = threading.Event()
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"icecast-feed-{mount}", daemon=True)

    def start(self) -> Feeder:
        self._thread.start()
        if not self.started.wait(10):
            raise RuntimeError(f"the feeder could not start the mount: {self.error!r}")
        return self

    def _run(self) -> None:
        try:
            auth = base64.b64encode(f"source:{PASSWORD}".encode()).decode()
            with socket.create_connection(("127.0.0.1", self.icecast.port), timeout=10) as sock:
                sock.sendall(
                    (
                        f"PUT /{self.mount} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {auth}\r\n"
                        "Content-Type: audio/mpeg\r\nIce-Name: dgtui test\r\nIce-Public: 0\r\n"
                        "Expect: 100-continue\r\n\r\n"
                    ).encode()
                )
                reply = sock.recv(1024)
                if b" 100 " not in reply and b" 200 " not in reply:
                    raise RuntimeError(f"icecast refused the source: {reply[:200]!r}")
                rate = len(self.data) / self.seconds
                step = int(rate * 0.1)
                begin = time.monotonic()
                for offset in range(0, len(self.data), step):
                    if self._stop.is_set():
                        return
                    sock.sendall(self.data[offset : offset + step])
                    if offset == 0:
                        self.started.set()
                    due = begin + (offset + step) / rate - self.lead
                    time.sleep(max(0.0, due - time.monotonic()))
        except BaseException as exc:
            self.error = exc
            self.started.set()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
