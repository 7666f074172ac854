"""A lane comparison as one self-contained HTML file (``--report FILE.html``): the table, each lane's latency
distribution, word error rate per segment, the timeline of each lane's finals against the reference's words
with errors marked, and the manifest. Inline CSS and SVG charts (:mod:`.charts`): it opens offline in any
browser and can be handed to a team as it is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from dgtui import __version__
from dgtui.judge import charts
from dgtui.judge.accuracy import NORMALISER_VERSION
from dgtui.judge.alignment import MarkedWord, Segment
from dgtui.judge.compare import Comparison, shown_columns
from dgtui.judge.gates import METRICS, TIME
from dgtui.judge.report import MANIFEST_HEADINGS, manifest_cells
from dgtui.judge.rundiff import Pair, Subject, table
from dgtui.state.stream import StreamState

STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1100px;
       color: #1d2330; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #d8dde6; }
table { border-collapse: collapse; margin: .6rem 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d8dde6; padding: .25rem .5rem; text-align: right; vertical-align: top; }
th { background: #f2f4f8; } td.name, th.name { text-align: left; }
td.best { font-weight: 700; background: #e7f6ec; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; } figure.chart { margin: 0; }
.chart svg { max-width: 100%; height: auto; }
.timeline td { text-align: left; } .timeline td.time { white-space: nowrap; color: #5b6475; }
.sub { color: #b3261e; text-decoration: underline wavy; } .ins { color: #8a5a00; background: #fff4d6; }
.del { color: #b3261e; text-decoration: line-through; } .note { color: #5b6475; font-size: .9rem; }
.wide { overflow-x: auto; } .manifest { font-size: .85rem; } .warn { color: #b3261e; font-weight: 600; }
"""


@dataclass
class LaneGroupReport:
    """One lane group's parts: its comparison, its streams (lane order), segments and manifests."""

    comparison: Comparison
    states: Sequence[StreamState]
    segments: Sequence[Segment]
    subjects: Sequence[Subject]


def html_report(groups: Sequence[LaneGroupReport], title: str = "dgtui: lanes compared") -> str:
    body = [f"<h1>{escape(title)}</h1>",
            f'<p class="note">Made by dgtui {escape(__version__)}. Words normalised by dgtui\'s normaliser '
            f"v{NORMALISER_VERSION} (case, punctuation, numbers as words). Times in milliseconds unless said. "
            "Bold: the best of a column.</p>"]  # fmt: skip
    for number, group in enumerate(groups, 1):
        body += _group(number, group)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")  # fmt: skip


def _group(number: int, group: LaneGroupReport) -> list[str]:
    comparison = group.comparison
    lanes = [row.name for row in comparison.rows]
    out = [f'<section id="group-{number}"><h2>Lanes of {escape(comparison.source)}</h2>',
           f'<p class="note">Reference: {escape(comparison.reference or "none")}.</p>', _table(comparison)]  # fmt: skip
    interim = {row.name: state.metrics.latency for row, state in zip(comparison.rows, group.states, strict=True)}
    final = {row.name: (state.turns.metrics.eot_audio if state.flux else state.metrics.final_latency)
             for row, state in zip(comparison.rows, group.states, strict=True)}  # fmt: skip
    out.append('<div class="charts">')
    out.append(_chart(charts.cdf(interim, f"g{number}-interim", "interim latency"), "interim-latency"))
    out.append(_chart(charts.cdf(final, f"g{number}-final", "final latency (Flux: end of turn)"), "final-latency"))
    if any(segment.reference for segment in group.segments):
        out.append(_chart(charts.segment_wer(group.segments, lanes, f"g{number}-wer"), "segment-wer"))
    out.append("</div>")
    out += _timeline(group.segments, lanes)
    out += _manifest(group.subjects)
    out.append("</section>")
    return out


def _chart(svg: str, kind: str) -> str:
    return f'<figure class="chart" data-chart="{kind}">{svg}</figure>'


def _table(comparison: Comparison) -> str:
    columns = shown_columns(comparison.rows)
    head = '<tr><th class="name">lane</th>' + "".join(f"<th>{escape(c.markdown)}</th>" for c in columns) + "</tr>"
    rows = []
    for row in comparison.rows:
        cells = "".join(f'<td{" class=best" if comparison.is_best(row, c) else ""}>{escape(c.show(row))}</td>'
                        for c in columns)  # fmt: skip
        rows.append(f'<tr><td class="name">{escape(row.name)}{" ✖" if row.error else ""}</td>{cells}</tr>')
    return f'<table class="figures">{head}{"".join(rows)}</table>'


def _words(words: Sequence[MarkedWord]) -> str:
    parts = []
    for word in words:
        if word.missing_before:
            parts.append(f'<span class="del">{escape(word.missing_before)}</span>')
        if word.text:
            kind = {"substitute": "sub", "insert": "ins"}.get(word.kind)
            parts.append(f'<span class="{kind}">{escape(word.text)}</span>' if kind else escape(word.text))
    return " ".join(parts) or '<span class="note">-</span>'


def _timeline(segments: Sequence[Segment], lanes: Sequence[str]) -> list[str]:
    """Each segment of audio: the reference's words, then each lane's finals with their errors marked, and how
    much after the first lane it finalized."""
    if not segments:
        return []
    head = '<tr><th>audio (s)</th><th class="name">reference</th>' + "".join(
        f'<th class="name">{escape(name)}</th>' for name in lanes) + "</tr>"  # fmt: skip
    rows = []
    for segment in segments:
        cells = []
        for lane in segment.lanes:
            when = "" if lane.behind is None else " ★" if lane.behind == 0.0 else f" (+{lane.behind:.2f} s)"
            cells.append(f'<td class="name">{_words(lane.words)}<span class="note">{when}</span></td>')
        rows.append(f'<tr><td class="time">{segment.start:.1f}–{segment.end:.1f}</td>'
                    f'<td class="name">{escape(segment.reference) or "-"}</td>{"".join(cells)}</tr>')  # fmt: skip
    legend = (
        '<p class="note">Marked against the reference: <span class="sub">heard wrong</span>, '
        '<span class="ins">extra</span>, <span class="del">missing</span>; ★ finalized first.</p>'
    )
    return ["<h3>Timeline: each lane's finals against the reference</h3>", legend,
            f'<table class="timeline">{head}{"".join(rows)}</table>']  # fmt: skip


def _manifest(subjects: Sequence[Subject]) -> list[str]:
    if not any(subject.manifest for subject in subjects):
        return []
    head = '<tr><th class="name">lane</th>' + "".join(f"<th>{h}</th>" for h in MANIFEST_HEADINGS[1:]) + "</tr>"
    rows = []
    for subject in subjects:
        name, *cells = manifest_cells(subject)
        rows.append(f'<tr><td class="name">{escape(name)}</td>' + "".join(f"<td>{escape(c)}</td>" for c in cells)
                    + "</tr>")  # fmt: skip
    return ["<h3>Manifest: what the runs must share to compare</h3>",
            f'<div class="wide"><table class="manifest">{head}{"".join(rows)}</table></div>']  # fmt: skip


def diff_report(before: str, after: str, matched: Sequence[Pair], alone: Sequence[str]) -> str:
    """``dgtui diff A B --report FILE.html``: both runs side by side, each stream or lane a section: whether they
    compare, their figures and the change, a chart of their times, and the transcripts' word diff."""
    body = ["<h1>dgtui diff</h1>", f'<table class="runs"><tr><th>A</th><td class="name">{escape(before)}</td></tr>'
            f'<tr><th>B</th><td class="name">{escape(after)}</td></tr></table>']  # fmt: skip
    for number, pair in enumerate(matched, 1):
        name = pair.before.name if pair.before.name == pair.after.name else f"{pair.before.name} → {pair.after.name}"
        body.append(f'<section id="pair-{number}"><h2>{escape(name)}</h2>')
        body += [f'<p class="warn">not comparable: {escape(warning)}</p>' for warning in pair.warnings]
        rows = "".join(f'<tr><td class="name">{escape(metric)}</td><td>{escape(a)}</td><td>{escape(b)}</td>'
                       f"<td>{escape(change)}</td></tr>" for metric, a, b, change in table(pair))  # fmt: skip
        body.append('<div class="charts"><table class="figures"><tr><th class="name">figure</th><th>A</th>'
                    f"<th>B</th><th>change</th></tr>{rows}</table>")  # fmt: skip
        times = [(c.metric, c.before, c.after) for c in pair.changes
                 if METRICS[c.metric] == TIME and c.metric.endswith((".p50", ".p95", "ttft"))]  # fmt: skip
        body.append(_chart(charts.before_after(times, f"d{number}-times", "times, A and B"), "times"))
        body.append("</div><h3>Transcripts: A's words struck out, B's marked</h3>")
        body.append(f'<p class="words">{_word_diff(pair.words)}</p></section>')
    if alone:
        body.append(f'<p class="note">In one run only: {escape(", ".join(alone))}.</p>')
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>dgtui diff</title>"
            f"<style>{STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")  # fmt: skip


def _word_diff(words: Sequence[tuple[str, str, str]]) -> str:
    parts = []
    for kind, a, b in words:
        if kind == "equal":
            parts.append(escape(a))
            continue
        if a:
            parts.append(f'<span class="del">{escape(a)}</span>')
        if b:
            parts.append(f'<span class="ins">{escape(b)}</span>')
    return " ".join(parts) or '<span class="note">(no words)</span>'
