"""One table of every metric: what the collector emits is in it, and it follows Prometheus's naming rules."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from dgtui.metrics.catalogue import COUNTERS, GAUGES, HISTOGRAMS, SERVER, names
from dgtui.metrics.labels import labels_of
from dgtui.state.stats import LATENCY_EDGES
from tests.metrics.test_streams import started
from tests.support.scenes import flux_scene, lane_scene


def test_names_follow_prometheus_conventions():
    for name in names():
        assert re.fullmatch(r"dgtui_[a-z0-9_]+", name), name
    assert all(name.endswith("_total") for name in COUNTERS)
    assert all(name.endswith("_seconds") for name in HISTOGRAMS)
    assert all(kind != "counter" or name.endswith("_total") for name, (kind, _, _) in SERVER.items())
    assert not [name for name in GAUGES if name.endswith("_total")]
    every_help = [text for text, _ in (*COUNTERS.values(), *GAUGES.values())] + list(HISTOGRAMS.values())
    assert all(text.endswith(".") for text in every_help)


def test_every_family_a_scrape_shows_is_in_the_catalogue():
    lanes, _, group = lane_scene(40.0)
    flux, _ = flux_scene(40.0)
    exporter = started()
    try:
        for session in [*lanes, *flux]:
            exporter.streams.watch(session.state, labels_of(session.state.setup, "local"), group.reference,
                                   group.truth)  # fmt: skip
        with urllib.request.urlopen(exporter.url, timeout=10) as answer:
            families = {f.name for f in text_string_to_metric_families(answer.read().decode())}
    finally:
        exporter.close()
    ours = {name for name in families if name.startswith("dgtui_")}
    as_listed = {name.removesuffix("_total") for name in names()}
    assert ours <= as_listed, ours - as_listed
    assert {"dgtui_interim_latency_seconds", "dgtui_anchored_word_final_seconds", "dgtui_word_error_rate",
            "dgtui_flux_start_of_turn_seconds", "process_cpu_seconds"} <= families  # fmt: skip


def test_the_readme_lists_every_metric():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme[readme.index("## Operations: Prometheus metrics") : readme.index("### Alerts and the dashboard")]
    assert not [name for name in names() if f"`{name}" not in section]
    assert str(LATENCY_EDGES[-1]).removesuffix(".0") in section and "0.05, 0.1, 0.15" in section
