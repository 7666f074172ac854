"""The streams' metrics as Prometheus reads them: scraped over HTTP from the real exporter and parsed with the
client library's own parser, against the states they were read from (scripted streams at a frozen clock)."""

from __future__ import annotations

import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from dgtui.judge.compare import compare_lanes
from dgtui.metrics.exporter import MetricsExporter
from dgtui.metrics.labels import OTHER, labels_of
from dgtui.state.stats import LATENCY_EDGES
from tests.support.scenes import ORIGIN, closed, flux_scene, lane_scene, scene


def scrape(exporter: MetricsExporter) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample: (name, sorted labels) -> value."""
    with urllib.request.urlopen(exporter.url, timeout=10) as answer:
        text = answer.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}  # fmt: skip


def labelled(samples, name: str, **labels: str) -> float:
    matching = [
        v for (n, ls), v in samples.items() if n == name and all(dict(ls).get(k) == x for k, x in labels.items())
    ]
    assert len(matching) == 1, (name, labels, matching)
    return matching[0]


def started(grace: float = 300.0) -> MetricsExporter:
    exporter = MetricsExporter("127.0.0.1", 0, command="test", grace=grace)
    exporter.start()
    return exporter


def test_a_streams_counters_histograms_and_gauges_are_its_states():
    sessions, _ = scene(30.0)
    exporter = started()
    try:
        for session in sessions:
            exporter.streams.watch(session.state, labels_of(session.state.setup, "local"))
        samples = scrape(exporter)
    finally:
        exporter.close()
    weather_state = sessions[0].state
    metrics = weather_state.metrics
    one = {"stream": "weather", "api": "v1", "model": "nova-3", "backend": "local", "lane": ""}
    assert labelled(samples, "dgtui_finals_total", **one) == weather_state.lights.counts["is_final"] > 0
    assert labelled(samples, "dgtui_messages_total", type="Results", **one) == metrics.messages["Results"]
    assert labelled(samples, "dgtui_audio_sent_seconds_total", **one) == weather_state.audio.cursor == 30.0
    assert labelled(samples, "dgtui_sent_bytes_total", **one) == metrics.bytes_sent
    assert labelled(samples, "dgtui_streams", state="streaming", **one) == 1
    assert labelled(samples, "dgtui_connected", **one) == 1
    cumulative = 0
    for edge, count in zip([*LATENCY_EDGES, float("inf")], metrics.latency.coarse, strict=True):
        cumulative += count
        le = "+Inf" if edge == float("inf") else str(edge)
        assert labelled(samples, "dgtui_interim_latency_seconds_bucket", le=le, **one) == cumulative
    assert cumulative == metrics.latency.count > 0
    assert labelled(samples, "dgtui_interim_latency_seconds_sum", **one) == metrics.latency.total
    # the stream the server refused: its error by code, and no audio
    radio = {"stream": "radio"}
    assert labelled(samples, "dgtui_streams", state="error", **radio) == 1
    assert labelled(samples, "dgtui_audio_sent_seconds_total", **radio) == 0
    # the silent-feed flags: words stopped at the last final, and the level still carries a signal
    assert labelled(samples, "dgtui_seconds_since_words", **one) > 0
    assert labelled(samples, "dgtui_seconds_since_audio_level", **one) < 1
    assert labelled(samples, "dgtui_info", command="test") == 1


def test_lanes_flux_and_a_reference_have_their_own_series():
    lanes, _, group = lane_scene(40.0)
    flux, _ = flux_scene(40.0)
    exporter = started()
    try:
        for session in lanes:
            exporter.streams.watch(session.state, labels_of(session.state.setup, "local"), group.reference,
                                   group.truth)  # fmt: skip
        exporter.streams.watch(flux[0].state, labels_of(flux[0].state.setup, "deepgram"))
        samples = scrape(exporter)
    finally:
        exporter.close()
    comparison = compare_lanes(group, [s.state for s in lanes], complete=lambda state: False)
    for row in comparison.rows:
        lane = row.name.split("/")[-1]
        assert labelled(samples, "dgtui_word_error_rate", stream="weather", lane=lane) == row.wer
        assert labelled(samples, "dgtui_anchored_speech_end_seconds_count", lane=lane) > 0
    slow, fast = (labelled(samples, "dgtui_word_error_rate", lane=lane) for lane in ("slow", "fast"))
    assert slow > fast
    agent = {"stream": "agent", "api": "v2", "backend": "deepgram"}
    assert labelled(samples, "dgtui_turns_total", **agent) == flux[0].state.turns.ended > 0
    assert labelled(samples, "dgtui_flux_end_of_turn_audio_seconds_count", **agent) > 0
    assert not [key for key in samples if key[0].startswith("dgtui_final_latency") and dict(key[1])["api"] == "v2"]


def test_an_ended_stream_leaves_after_the_grace_period_and_its_counts_stay_in_its_label_set():
    sessions, clock = scene(30.0)
    support = sessions[2].state  # closed at 6.6 s
    exporter = started(grace=60.0)
    try:
        again = closed(clock)  # another stream under the same labels, still running
        again.advance(5.0, origin=ORIGIN)
        exporter.streams.watch(support, labels_of(support.setup, "local"))
        exporter.streams.watch(again.state, labels_of(again.state.setup, "local"))
        before = scrape(exporter)
        assert labelled(before, "dgtui_streams", stream="support", state="closed") == 1
        assert labelled(before, "dgtui_streams_total", stream="support") == 2
        clock.set(100.0)  # more than 60 s after the first one ended
        after = scrape(exporter)
        assert not [key for key in after if key[0] == "dgtui_streams" and dict(key[1]).get("state") == "closed"]
        for name in ("dgtui_streams_total", "dgtui_audio_sent_seconds_total", "dgtui_finals_total"):
            assert labelled(after, name, stream="support") == labelled(before, name, stream="support")  # never back
        again.advance(100.0, origin=ORIGIN)  # the second one ends too, and its grace passes
        clock.set(200.0)
        gone = scrape(exporter)
        assert not [key for key in gone if dict(key[1]).get("stream") == "support"]
        assert labelled(gone, "dgtui_metrics_label_sets") == 0
    finally:
        exporter.close()


def test_label_sets_past_the_limit_are_pooled():
    exporter = MetricsExporter("127.0.0.1", 0)
    exporter.streams.limit = 2
    sessions, _ = scene(10.0)
    for session in sessions:
        exporter.streams.watch(session.state, labels_of(session.state.setup, "local"))
    exporter.start()
    try:
        samples = scrape(exporter)
    finally:
        exporter.close()
    assert labelled(samples, "dgtui_streams_total", stream=OTHER) == 2
    assert labelled(samples, "dgtui_metrics_label_sets") == 3
