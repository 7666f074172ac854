"""The ``/metrics`` endpoint: ``prometheus_client``'s exposition, served from a thread of its own.

Prometheus scrapes a thread, never the streams' loop: a slow or failing scraper (a reset, a stalled read, a
collector error) costs that thread alone and is kept in :attr:`MetricsExporter.trouble`, never printed over the
app. Each request has a timeout, so a scraper that never finishes its request holds nothing for long.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import CollectorRegistry, ProcessCollector, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import ThreadingWSGIServer

from dgtui import __version__
from dgtui.metrics.streams import DEFAULT_GRACE, StreamCollector

DEFAULT_PORT = 9464  # the port Prometheus exporters of this kind commonly take; any free port will do
REQUEST_TIMEOUT_S = 10.0
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class MetricsError(RuntimeError):
    """The endpoint cannot be served (the address is taken or not ours), said with what to do."""


class _Handler(WSGIRequestHandler):
    timeout = REQUEST_TIMEOUT_S  # a scraper that never sends its request is dropped

    def log_message(self, format: str, *args: Any) -> None:
        """No access log: the app owns the terminal."""

    def handle(self) -> None:
        super().handle()
        if getattr(self, "path", "").startswith("/metrics"):  # its answer is written whole: Prometheus has it
            self.server.exporter.answered += 1  # type: ignore[attr-defined]


class _Server(ThreadingWSGIServer):
    exporter: MetricsExporter

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A scrape that failed (a reset, a timeout) is kept, not printed."""
        import sys

        self.exporter.trouble = f"a scrape from {client_address[0]} failed: {sys.exc_info()[1]!r}"


class _Process:
    """dgtui's own: what runs (``dgtui_info``) and how many label sets the streams hold."""

    def __init__(self, command: str, streams: StreamCollector) -> None:
        self.command, self.streams = command, streams

    def collect(self) -> Iterable[Metric]:
        info = GaugeMetricFamily("dgtui_info", "dgtui's version and the command serving these metrics.",
                                 labels=["version", "command"])  # fmt: skip
        info.add_metric([__version__, self.command], 1)
        sets = GaugeMetricFamily("dgtui_metrics_label_sets", "Label sets the streams' series use now (bounded: "
                                 "past the limit, new ones are pooled as stream=\"_other\").")  # fmt: skip
        sets.add_metric([], self.streams.label_sets)
        return [info, sets]


class MetricsExporter:
    """The registry (the streams' collector, the process's CPU and memory, dgtui's info) and its HTTP server."""

    def __init__(self, host: str = "127.0.0.1", port: int = DEFAULT_PORT, *, command: str = "dgtui",
                 grace: float = DEFAULT_GRACE) -> None:  # fmt: skip
        self.host, self.port = host, port
        self.registry = CollectorRegistry(auto_describe=False)
        self.streams = StreamCollector(grace)
        self.registry.register(self.streams)
        self.registry.register(_Process(command, self.streams))
        ProcessCollector(registry=self.registry)
        self.trouble: str | None = None  # the last scrape that failed, and why
        self.begun = 0  # scrapes begun
        self.answered = 0  # scrapes whose answer was written whole
        self._server: _Server | None = None
        self._metrics = make_wsgi_app(self.registry)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/metrics"

    def start(self) -> None:
        """Listen now (so a taken port is said before anything else starts); raises :class:`MetricsError`."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        server_class = type("_Server", (_Server,), {"address_family": family})  # this exporter's, not every one's
        try:
            server = make_server(self.host, self.port, self._app, server_class, handler_class=_Handler)
        except OSError as exc:
            raise MetricsError(f"cannot serve metrics on {self.host}:{self.port}: {exc.strerror or exc}. Pick "
                               "another --metrics HOST:PORT (port 0 picks a free one).") from None  # fmt: skip
        server.exporter = self
        self._server = server
        self.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, name="dgtui-metrics", daemon=True).start()

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _app(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            self.begun += 1
            try:
                return self._metrics(environ, start_response)  # type: ignore[no-any-return]
            except Exception as exc:  # a collector's bug: this scrape fails, the streams go on
                self.trouble = f"a scrape failed: {type(exc).__name__}: {exc}"
                start_response("500 Internal Server Error", [("Content-Type", "text/plain; charset=utf-8")])
                return [f"dgtui: {self.trouble}\n".encode()]
        status = "200 OK" if path == "/" else "404 Not Found"
        start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
        return [f"dgtui {__version__}: the metrics are at /metrics\n".encode()]

    async def last_scrape(self, timeout: float) -> bool:
        """Wait (at most ``timeout`` seconds) for one more scrape, so the run's last figures reach Prometheus
        before the process ends; False when none came."""
        wanted, deadline = self.begun + 1, time.monotonic() + timeout  # one that begins from now on, answered
        while self.answered < wanted and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return self.answered >= wanted
