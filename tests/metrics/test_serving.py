"""dgtui serve's own instruments, as the server tells them."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from dgtui.metrics.serving import ServerMetrics


def test_the_server_figures_count_what_it_tells():
    registry = CollectorRegistry()
    streams = [1, 2, 3]
    metrics = ServerMetrics(registry, lambda: len(streams), lambda: 40)
    metrics.accepted("v1")
    metrics.accepted("v2")
    metrics.refused(429)
    metrics.fired("refuse:status=429,conn=1: handshake refused with HTTP 429")
    metrics.fired("handshake held 500 ms")
    metrics.fired("drop:at=2s: connection dropped, at 2.0 s of audio")
    metrics.finished(10.0, 1.5)
    metrics.finished(0.0, 0.2)  # no audio: no real-time factor
    metrics.waited(0.003)
    value = registry.get_sample_value
    assert value("dgtui_server_connections") == 3 and value("dgtui_server_capacity_streams") == 40
    assert value("dgtui_server_streams_total", {"api": "v2"}) == 1
    assert value("dgtui_server_refusals_total", {"status": "429"}) == 1
    for kind in ("refuse", "handshake", "drop"):
        assert value("dgtui_server_faults_total", {"kind": kind}) == 1
    assert value("dgtui_server_real_time_factor_count") == 1 and value("dgtui_server_real_time_factor_sum") == 0.15
    assert value("dgtui_server_engine_cpu_seconds_total") == 1.7
    assert value("dgtui_server_queue_wait_seconds_bucket", {"le": "0.005"}) == 1
    assert b"_created" not in generate_latest(registry)
