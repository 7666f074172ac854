"""``dgtui serve``'s own metrics: connections, refusals, faults fired, the engine's real-time factor and how long
audio waits to enter the engine. ``prometheus_client``'s instruments, told by the server as things happen
(its :class:`~dgtui.server.app.ServerWatcher`)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics

from dgtui.metrics.catalogue import SERVER
from dgtui.protocol.faults import fault_kind

RTF_EDGES = (0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0)  # CPU seconds per second of audio
WAIT_EDGES = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)  # a frame's wait, seconds


def _text(name: str) -> str:
    return SERVER[name][1]


class ServerMetrics:
    def __init__(self, registry: CollectorRegistry, connections: Callable[[], int],
                 capacity: Callable[[], int | None]) -> None:  # fmt: skip
        disable_created_metrics()  # no *_created series: Prometheus does not need them, and they double the lines

        def gauge(name: str, read: Callable[[], float]) -> None:
            Gauge(name, _text(name), registry=registry).set_function(read)

        gauge("dgtui_server_connections", connections)
        gauge("dgtui_server_capacity_streams", lambda: float(capacity() or 0))
        self.streams = Counter("dgtui_server_streams", _text("dgtui_server_streams_total"), ["api"],
                               registry=registry)  # fmt: skip
        self.refusals = Counter("dgtui_server_refusals", _text("dgtui_server_refusals_total"), ["status"],
                                registry=registry)  # fmt: skip
        self.faults = Counter("dgtui_server_faults", _text("dgtui_server_faults_total"), ["kind"], registry=registry)
        self.audio = Counter("dgtui_server_audio_seconds", _text("dgtui_server_audio_seconds_total"),
                             registry=registry)  # fmt: skip
        self.cpu = Counter("dgtui_server_engine_cpu_seconds", _text("dgtui_server_engine_cpu_seconds_total"),
                           registry=registry)  # fmt: skip
        self.rtf = Histogram("dgtui_server_real_time_factor", _text("dgtui_server_real_time_factor"),
                             buckets=RTF_EDGES, registry=registry)  # fmt: skip
        self.waits = Histogram("dgtui_server_queue_wait_seconds", _text("dgtui_server_queue_wait_seconds"),
                               buckets=WAIT_EDGES, registry=registry)  # fmt: skip

    # -- what the server tells (dgtui.server.app.ServerWatcher) ------------------------------------------

    def accepted(self, api: str) -> None:
        self.streams.labels(api).inc()

    def refused(self, status: int) -> None:
        self.refusals.labels(str(status)).inc()

    def finished(self, audio_s: float, cpu_s: float) -> None:
        self.audio.inc(max(0.0, audio_s))
        self.cpu.inc(max(0.0, cpu_s))
        if audio_s > 0:
            self.rtf.observe(cpu_s / audio_s)

    def waited(self, seconds: float) -> None:
        self.waits.observe(seconds)

    def fired(self, fault: str) -> None:
        self.faults.labels(fault_kind(fault)).inc()
