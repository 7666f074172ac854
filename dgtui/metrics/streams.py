"""The streams' collector: every watched stream's figures as Prometheus metric families, one series per label
set (:mod:`.labels`), built when Prometheus scrapes (a ``prometheus_client`` custom collector).

A stream that ends stays as it ended for ``grace`` seconds (a scrape sees its last figures), then leaves: its
counts join its label set's retired total, so counters never go back, and the label set itself goes when its
last stream has. A week of calls through a tap does not grow the registry.
"""

from __future__ import annotations

import gc
import math
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client.core import Metric
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

from dgtui.judge.accuracy import TimedWord
from dgtui.metrics.catalogue import COUNTERS, GAUGES, HISTOGRAMS
from dgtui.metrics.labels import LABEL_NAMES, MAX_LABEL_SETS, StreamLabels
from dgtui.metrics.readout import Gauges, Histogram, Tally, gauges, tally
from dgtui.state.stats import LATENCY_EDGES
from dgtui.state.stream import StreamState

DEFAULT_GRACE = 300.0  # seconds an ended stream's series stay: a scrape every 15 s sees its end many times
LE = [floatToGoString(edge) for edge in LATENCY_EDGES] + ["+Inf"]


@dataclass
class Watched:
    state: StreamState
    reference: str | None = None  # a reference transcript: word error rate
    truth: tuple[TimedWord, ...] | None = None  # true word times: anchored latencies


@dataclass
class LabelSet:
    members: list[Watched] = field(default_factory=list)
    retired: Tally = field(default_factory=Tally)  # the streams gone, as they ended


class StreamCollector:
    """Watches stream states and reads them at each scrape. ``watch`` may be called from any thread."""

    def __init__(self, grace: float = DEFAULT_GRACE, limit: int = MAX_LABEL_SETS) -> None:
        self.grace = grace
        self.limit = limit
        self._sets: dict[StreamLabels, LabelSet] = {}
        self._lock = threading.Lock()

    def watch(self, state: StreamState, labels: StreamLabels, reference: str | None = None,
              truth: tuple[TimedWord, ...] | None = None) -> None:  # fmt: skip
        with self._lock:
            if labels not in self._sets and len(self._sets) >= self.limit:
                labels = labels.pooled()
            self._sets.setdefault(labels, LabelSet()).members.append(Watched(state, reference, truth))

    @property
    def label_sets(self) -> int:
        return len(self._sets)

    def _retire(self) -> list[tuple[StreamLabels, LabelSet, list[Watched]]]:
        """Fold the streams ended more than ``grace`` ago into their set's total; the sets as they stand."""
        out = []
        with self._lock:
            for labels, label_set in list(self._sets.items()):
                staying = []
                for watched in label_set.members:
                    ended = watched.state.connection.ended_at
                    if ended is not None and watched.state.clock() - ended > self.grace:
                        label_set.retired.add(tally(watched.state, watched.truth))
                    else:
                        staying.append(watched)
                label_set.members = staying
                if not staying:
                    del self._sets[labels]
                else:
                    out.append((labels, label_set, list(staying)))
        return out

    def collect(self) -> Iterator[Metric]:
        families = Families()
        collecting = gc.isenabled()
        gc.disable()  # tens of thousands of short-lived samples: a full collection of the app's heap is not needed
        try:
            for labels, label_set, members in self._retire():
                total, now_gauges = Tally(), Gauges()
                total.add(label_set.retired)
                for watched in members:
                    total.add(tally(watched.state, watched.truth))
                    now_gauges.add(gauges(watched.state, watched.state.clock(), watched.reference))
                families.add(labels.values(), total, now_gauges)
        finally:
            if collecting:
                gc.enable()
        yield from families.all()


class Families:
    """The metric families of one scrape, a sample per label set (samples added whole: a scrape at hundreds of
    label sets spends its time in the exposition, not here)."""

    def __init__(self) -> None:
        self.counters = {
            name: Metric(name.removesuffix("_total"), text, "counter") for name, (text, _) in COUNTERS.items()
        }
        self.gauges = {name: Metric(name, text, "gauge") for name, (text, _) in GAUGES.items()}
        self.histograms = {name: Metric(name, text, "histogram") for name, text in HISTOGRAMS.items()}

    def all(self) -> Iterator[Metric]:
        for family in (*self.counters.values(), *self.gauges.values(), *self.histograms.values()):
            if family.samples:
                yield family

    def add(self, values: tuple[str, ...], total: Tally, now: Gauges) -> None:
        labels: dict[str, str] = dict(zip(LABEL_NAMES, values, strict=True))
        counters, gauge = self.counters, self.gauges
        for name, value in total.counters.items():
            if name != "dgtui_cost_usd_total" or total.priced:
                counters[name].samples.append(Sample(name, labels, value))
        for kind, count in total.messages.items():
            counters["dgtui_messages_total"].samples.append(Sample("dgtui_messages_total", {**labels, "type": kind},
                                                                   count))  # fmt: skip
        for code, count in total.errors.items():
            counters["dgtui_errors_total"].samples.append(Sample("dgtui_errors_total", {**labels, "code": code}, count))
        for name, histogram in total.histograms.items():
            if any(histogram.buckets):  # none yet (a Nova stream has no Flux figures): no series
                self._histogram(name, labels, histogram)
        for state, count in now.states.items():
            gauge["dgtui_streams"].samples.append(Sample("dgtui_streams", {**labels, "state": state}, count))
        gauge["dgtui_connected"].samples.append(Sample("dgtui_connected", labels, now.connected))
        optional: dict[str, float | None] = {
            "dgtui_seconds_since_words": now.since_words,
            "dgtui_seconds_since_audio_level": now.since_level,
            "dgtui_audio_level_dbfs": now.level_db,
            "dgtui_send_pace_ratio": now.pace,
            "dgtui_word_error_rate": None if now.errors is None else now.errors.wer,
            "dgtui_reference_words": None if now.errors is None else now.errors.reference_words,
        }
        for name, value in optional.items():
            if value is not None and not math.isnan(value):
                gauge[name].samples.append(Sample(name, labels, value))

    def _histogram(self, name: str, labels: dict[str, str], histogram: Histogram) -> None:
        samples, bucket, cumulative = self.histograms[name].samples, name + "_bucket", 0
        for le, count in zip(LE, histogram.buckets, strict=True):
            cumulative += count
            samples.append(Sample(bucket, {**labels, "le": le}, cumulative))
        samples.append(Sample(name + "_count", labels, cumulative))
        samples.append(Sample(name + "_sum", labels, histogram.total))
