"""A lane comparison as Markdown (``--report FILE.md``): the table, who finalized each segment first, then one
section per lane with its figures and its word-level diff against the reference (or, without one, against the
first lane)."""

from __future__ import annotations

from collections.abc import Sequence

from dgtui.judge.accuracy import NORMALISER_VERSION, diff_words
from dgtui.judge.alignment import Segment
from dgtui.judge.compare import Column, Comparison, LaneRow, shown_columns
from dgtui.judge.rundiff import Subject
from dgtui.state.stats import format_ms


def headings(columns: Sequence[Column]) -> tuple[str, ...]:
    return ("lane", *(column.markdown for column in columns), "keyterm F1")


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _cells(comparison: Comparison, row: LaneRow, columns: Sequence[Column]) -> list[str]:
    cells = [f"**{c.show(row)}**" if comparison.is_best(row, c) else c.show(row) for c in columns]
    f1 = "-" if row.keyterms is None else _percent(row.keyterms.f1)
    return [row.name + (" ✖" if row.error else ""), *cells, f1]


def diff_markdown(reference: str, hypothesis: str) -> str:
    """Words as they compare: ~~missing~~, **extra**, ~~heard wrong~~ **as this**."""
    parts = []
    for kind, ref, hyp in diff_words(reference, hypothesis):
        if kind == "equal":
            parts.append(ref)
        elif kind == "substitute":
            parts.append(f"~~{ref}~~ **{hyp}**")
        elif kind == "delete":
            parts.append(f"~~{ref}~~")
        else:
            parts.append(f"**{hyp}**")
    return " ".join(parts)


def segments_markdown(segments: list[Segment], lanes: list[str]) -> list[str]:
    """Who finalized each segment first (★), and how much later the others did."""
    if not segments or len(lanes) < 2:
        return []
    firsts = [sum(1 for s in segments if s.lanes[i].behind == 0.0) for i in range(len(lanes))]
    lines = ["## Segments: who finalized first", "",
             "First to finalize: " + ", ".join(f"{name} in {n} of {len(segments)}" for name, n in zip(
                 lanes, firsts, strict=True)) + ".", "",
             "| audio (s) | " + " | ".join(lanes) + " |", "|" + "---|" * (len(lanes) + 1)]  # fmt: skip
    for segment in segments:
        cells = ["-" if lane.behind is None else "★" if lane.behind == 0.0 else f"+{lane.behind:.2f} s"
                 for lane in segment.lanes]  # fmt: skip
        lines.append(f"| {segment.start:.1f}–{segment.end:.1f} | " + " | ".join(cells) + " |")
    return [*lines, ""]


MANIFEST_HEADINGS = ("lane", "audio sha256", "audio s", "format", "chunk ms", "pacing", "conditions", "model",
                     "dgtui", "normaliser", "reference sha256")  # fmt: skip


def manifest_cells(subject: Subject) -> list[str]:
    """A lane's manifest as the reports show it (Markdown and HTML), under :data:`MANIFEST_HEADINGS`."""
    m = subject.manifest
    audio_format = f"{m.get('encoding') or 'container'} {m.get('sample_rate') or ''}".strip()
    return [subject.name, (m.get("audio_sha256") or "-")[:16], str(m.get("audio_s", "-")), audio_format,
            str(m.get("chunk_ms") or "-"), str(m.get("pacing") or "-"), ", ".join(m.get("conditions") or []) or "-",
            str((m.get("model") or {}).get("name", "-")), str(m.get("dgtui", "-")), str(m.get("normaliser", "-")),
            (m.get("reference_sha256") or "-")[:16]]  # fmt: skip


def manifest_markdown(subjects: Sequence[Subject]) -> list[str]:
    """What each lane's run must share with another's for their figures to compare (``dgtui diff`` checks)."""
    if not any(s.manifest for s in subjects):
        return []
    lines = ["## Manifest", "", "| " + " | ".join(MANIFEST_HEADINGS) + " |", "|" + "---|" * len(MANIFEST_HEADINGS)]
    lines += ["| " + " | ".join(manifest_cells(subject)) + " |" for subject in subjects]
    return [*lines, ""]


def markdown(
    comparison: Comparison,
    reference: str | None,
    segments: list[Segment] | None = None,
    subjects: Sequence[Subject] = (),
) -> str:
    against = comparison.reference or (f"the first lane ({comparison.rows[0].name})" if comparison.rows else "-")
    columns = shown_columns(comparison.rows)
    lines = [
        f"# Lanes of {comparison.source}",
        "",
        f"Compared on the same audio. Reference: {comparison.reference or 'none'}; diffs against {against}. "
        f"Words normalised by dgtui's normaliser v{NORMALISER_VERSION} (case, punctuation, numbers as words). "
        "**Bold**: the best of a column. Times in milliseconds.",
        "",
        "| " + " | ".join(headings(columns)) + " |",
        "|" + "---|" * len(headings(columns)),
        *("| " + " | ".join(_cells(comparison, row, columns)) + " |" for row in comparison.rows),
        "",
    ]
    lines += segments_markdown(segments or [], [row.name for row in comparison.rows])
    lines += manifest_markdown(subjects)
    base = reference if reference is not None else (comparison.rows[0].transcript if comparison.rows else "")
    for row in comparison.rows:
        lines += [f"## {row.name}", ""]
        if row.errors is not None:
            e = row.errors
            lines.append(f"- word error rate {_percent(e.wer)} over {e.reference_words} reference words: "
                         f"{e.substitutions} substituted, {e.deletions} deleted, {e.insertions} inserted")  # fmt: skip
        if row.keyterms is not None:
            k = row.keyterms
            lines.append(f"- keyterms: precision {_percent(k.precision)}, recall {_percent(k.recall)}, "
                         f"F1 {_percent(k.f1)}")  # fmt: skip
        lines.append(f"- latency p50 {format_ms(row.latency_p50)} ms, p95 {format_ms(row.latency_p95)} ms; "
                     f"first text {format_ms(row.ttft)} ms; "
                     f"end of turn p50 {format_ms(row.end_of_turn_p50)} ms")  # fmt: skip
        for label, figures in (
            ("from the true end of speech to the end signal", row.speech_end),
            *((f"from the true end of speech to {signal}", by) for signal, by in row.speech_end_by.items()),
            ("from the true onset of speech to the first words shown", row.first_word),
            ("from each true word's end to its first appearance", row.word_shown),
            ("from each true word's end to its final", row.word_final),
        ):
            if figures is not None:
                shown = ", ".join(f"{k} {format_ms(v)}" for k, v in figures.items())
                lines.append(f"- {label}: {shown} ms")
        lines.append(f"- {row.finals} finals, {row.corrections} interim corrections, {row.reconnects} reconnects"
                     + (f"; error: {row.error}" if row.error else ""))  # fmt: skip
        lines += ["", diff_markdown(base, row.transcript) or "(no words)", ""]
    return "\n".join(lines)
