"""Charts for the HTML report, drawn by matplotlib as SVG text (inlined: the report needs no network and no
script). Deterministic: the same figures give the same SVG, byte for byte (fixed ids, no dates)."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence

from dgtui.judge.alignment import Segment, segment_error_rate
from dgtui.state.stats import Series

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")


def _figure(width: float = 5.4, height: float = 3.1):  # type: ignore[no-untyped-def]
    """A figure not tied to pyplot's global state (safe in any thread, nothing left open)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    return figure, figure.add_subplot()


def _svg(figure, chart_id: str) -> str:  # type: ignore[no-untyped-def]
    import matplotlib

    out = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": chart_id, "svg.fonttype": "none", "svg.id": chart_id}):
        figure.savefig(out, format="svg", metadata={"Date": None, "Creator": "dgtui"})
    text = out.getvalue()
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.DOTALL)  # RDF a page has no use for
    return text[text.index("<svg") :]  # inlined: no XML prologue or doctype


def cdf(series: Mapping[str, Series], chart_id: str, title: str) -> str:
    """Each lane's latency distribution as a CDF (milliseconds), from its whole-run histogram."""
    figure, axes = _figure()
    for index, (name, values) in enumerate(series.items()):
        if not values.count:
            continue
        seconds, shares = values.cdf()
        xs = [seconds[0] * 1000] + [x * 1000 for x in seconds]  # from none: values all alike are a step, not a dot
        ys = [0.0, *shares]
        axes.step(xs, ys, where="post", label=f"{name} (p50 {values.summary().p50 * 1000:.0f} ms, p95 "
                  f"{values.summary().p95 * 1000:.0f} ms)", color=COLOURS[index % len(COLOURS)])  # fmt: skip
    axes.set_title(title)
    axes.set_xlabel("latency (ms)")
    axes.set_ylabel("share of results")
    axes.set_ylim(0, 1.02)
    axes.grid(alpha=0.3)
    if axes.has_data():
        axes.legend(loc="lower right", fontsize="small")
    return _svg(figure, chart_id)


def segment_wer(segments: Sequence[Segment], lanes: Sequence[str], chart_id: str) -> str:
    """Word error rate per segment over the audio, one line per lane."""
    figure, axes = _figure()
    for index, name in enumerate(lanes):
        xs, ys = [], []
        for segment in segments:
            rate = segment_error_rate(segment, index)
            if rate is not None:
                xs.append(segment.start)
                ys.append(rate * 100)
        axes.plot(xs, ys, marker="o", label=name, color=COLOURS[index % len(COLOURS)])
    axes.set_title("word error rate per segment")
    axes.set_xlabel("audio (s)")
    axes.set_ylabel("WER (%)")
    axes.grid(alpha=0.3)
    if axes.has_data():
        axes.legend(loc="upper right", fontsize="small")
    return _svg(figure, chart_id)


def before_after(changes: Sequence[tuple[str, float | None, float | None]], chart_id: str, title: str) -> str:
    """Figures of two runs side by side (milliseconds), a pair of bars per figure: A, then B."""
    shown = [(metric, a * 1000, b * 1000) for metric, a, b in changes if a is not None and b is not None]
    figure, axes = _figure(5.4, 0.5 + 0.42 * max(1, len(shown)))
    positions = range(len(shown))
    axes.barh([p + 0.2 for p in positions], [a for _, a, _ in shown], height=0.4, label="A", color=COLOURS[0])
    axes.barh([p - 0.2 for p in positions], [b for _, _, b in shown], height=0.4, label="B", color=COLOURS[1])
    axes.set_yticks(list(positions), [metric for metric, _, _ in shown], fontsize="small")
    axes.invert_yaxis()
    axes.set_xlabel("ms")
    axes.set_title(title)
    axes.grid(alpha=0.3, axis="x")
    if shown:
        axes.legend(loc="lower right", fontsize="small")
    return _svg(figure, chart_id)
