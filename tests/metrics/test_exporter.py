"""The ``/metrics`` endpoint: served from its own thread, never disturbed by a failing scraper, and a finished run
waits for one last scrape."""

from __future__ import annotations

import asyncio
import socket
import urllib.request

import pytest

from dgtui.metrics.exporter import MetricsError, MetricsExporter
from dgtui.metrics.labels import labels_of
from tests.metrics.test_streams import labelled, scrape, started
from tests.support.scenes import ORIGIN, FrozenClock, weather


def test_a_failing_scraper_disturbs_neither_the_streams_nor_the_next_scrape(capfd):
    """A scraper that never sends its request, one that resets mid-answer: nothing printed, the next scrape
    answered."""
    session = weather(FrozenClock(20.0))
    session.advance(20.0, origin=ORIGIN)
    exporter = started()
    try:
        exporter.streams.watch(session.state, labels_of(session.state.setup, "local"))
        silent = socket.create_connection(("127.0.0.1", exporter.port))  # holds a thread, not the exporter
        for _ in range(3):
            rude = socket.create_connection(("127.0.0.1", exporter.port))
            rude.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            rude.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            rude.close()  # a reset
        assert labelled(scrape(exporter), "dgtui_finals_total", stream="weather") > 0
        with urllib.request.urlopen(exporter.url.replace("/metrics", "/"), timeout=5) as answer:
            assert b"the metrics are at /metrics" in answer.read()
        silent.close()
    finally:
        exporter.close()
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_a_taken_port_is_said_with_what_to_do():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        exporter = MetricsExporter("127.0.0.1", taken.getsockname()[1])
        with pytest.raises(MetricsError, match=r"cannot serve metrics on 127\.0\.0\.1:\d+: .*Pick another --metrics"):
            exporter.start()


async def test_a_finished_run_waits_for_a_scrape_begun_after_it_ended():
    exporter = started()
    try:
        assert await exporter.last_scrape(0.2) is False  # nobody scrapes: it gives up at the limit
        waiting = asyncio.create_task(exporter.last_scrape(30))
        await asyncio.sleep(0.1)
        assert not waiting.done()
        await asyncio.to_thread(scrape, exporter)  # Prometheus comes, and has the answer whole
        assert await waiting is True and exporter.answered >= 1
    finally:
        exporter.close()


def test_ipv6_loopback_is_served():
    if not socket.has_ipv6:
        pytest.skip("this machine has no IPv6")
    exporter = MetricsExporter("::1", 0)
    try:
        exporter.start()
    except MetricsError as exc:
        pytest.skip(f"IPv6 loopback not available here: {exc}")
    try:
        assert exporter.url.startswith("http://[::1]:")
        with urllib.request.urlopen(exporter.url, timeout=5) as answer:
            assert b"dgtui_info" in answer.read()
    finally:
        exporter.close()
