"""A real Prometheus server on loopback (Debian's ``prometheus`` package, installed by ``.ci/run``), scraping what
a test points it at through file-based service discovery, as the README's fleet set-up does."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.support.icecast import free_port

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


def need(program: str) -> None:
    if not Path(program).exists():
        pytest.skip(f"{program} is not installed (Debian's prometheus package; .ci/run installs it)")


class Prometheus:
    """``jobs``: job name -> the HOST:PORT targets it scrapes (file_sd files the test may rewrite)."""

    def __init__(self, folder: Path, jobs: dict[str, list[str]], interval: str = "500ms") -> None:
        need(PROMETHEUS)
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        scrape = [{"job_name": job, "scrape_interval": interval, "scrape_timeout": interval,
                   "file_sd_configs": [{"files": [str(folder / f"{job}.json")], "refresh_interval": "1s"}]}
                  for job in jobs]  # fmt: skip
        for job, targets in jobs.items():
            self.targets(job, targets)
        config = folder / "prometheus.yml"
        config.write_text(json.dumps({"global": {"scrape_interval": interval}, "scrape_configs": scrape}))
        self.log = open(folder / "prometheus.log", "wb")  # noqa: SIM115 (closed by close())
        self.process = subprocess.Popen(
            [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={folder / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self._wait_ready()

    def targets(self, job: str, targets: list[str]) -> None:
        path = self.folder / f"{job}.json"
        path.with_suffix(".tmp").write_text(json.dumps([{"targets": targets, "labels": {"site": "loopback"}}]))
        path.with_suffix(".tmp").rename(path)

    def _wait_ready(self) -> None:
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("Prometheus did not start: " + (self.folder / "prometheus.log").read_text()[-2000:])

    def query(self, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        """An instant query's result (its vector), now or ``at`` (Unix time); raises with Prometheus's error."""
        params = {"query": expr} | ({"time": f"{at:.3f}"} if at is not None else {})
        url = f"http://127.0.0.1:{self.port}/api/v1/query?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                body = json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{expr}: {exc.read().decode()}") from None
        assert body["status"] == "success", body
        return body["data"]["result"]

    def value(self, expr: str) -> float:
        result = self.query(expr)
        assert len(result) == 1, (expr, result)
        return float(result[0]["value"][1])

    def scraped(self, job: str, times: int = 1, timeout: float = 30) -> None:
        """Wait until every target of ``job`` is up (``times`` scrapes in a row)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ups = self.query(f'up{{job="{job}"}}')
            if ups and all(u["value"][1] == "1" for u in ups):
                return
            time.sleep(0.2)
        raise AssertionError(f"{job} not scraped: {self.query('up')}")

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
