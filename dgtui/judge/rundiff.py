"""Two runs side by side (``dgtui diff A B``): their figures with the change, their transcripts' word diff, and
whether their manifests say the figures compare at all.

A run is what a recording or a report keeps of each stream or lane: its figures under the gates' metric names
(:func:`dgtui.judge.gates.figures`), its transcript and its manifest. Subjects pair by name; two runs of one
subject each pair whatever their names (today's ``talk`` against last week's ``talk#2``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from dgtui.judge.accuracy import diff_words
from dgtui.judge.gates import METRICS, RATIO, TIME
from dgtui.state.stream import StreamState

# What must be equal for figures to compare, and what to say when it is not.
COMPARABLE = (
    ("audio_sha256", "different audio"),
    ("pacing", "different pacing"),
    ("chunk_ms", "different chunk sizes"),
    ("encoding", "different encodings"),
    ("sample_rate", "different sample rates"),
    ("normaliser", "different normaliser versions (word error rates count differently)"),
    ("reference_sha256", "different references"),
    ("conditions", "different audio conditions"),
)


@dataclass
class Subject:
    """One stream or lane of a run."""

    name: str
    figures: dict[str, float | None]
    transcript: str = ""
    manifest: dict[str, Any] = field(default_factory=dict)


@dataclass
class Run:
    label: str  # where it came from
    subjects: list[Subject]


@dataclass
class Change:
    metric: str
    before: float | None
    after: float | None

    @property
    def delta(self) -> float | None:
        return None if self.before is None or self.after is None else self.after - self.before


@dataclass
class Pair:
    before: Subject
    after: Subject
    changes: list[Change]
    warnings: list[str]
    words: list[tuple[str, str, str]]  # the transcripts' word diff (kind, before's words, after's words)


def pairs(before: Run, after: Run) -> tuple[list[Pair], list[str]]:
    """Subjects paired by name (or one against one), and the names found in one run only."""
    if len(before.subjects) == 1 and len(after.subjects) == 1:
        matched = [(before.subjects[0], after.subjects[0])]
        alone: list[str] = []
    else:
        by_name = {s.name: s for s in after.subjects}
        matched = [(s, by_name[s.name]) for s in before.subjects if s.name in by_name]
        names = {s.name for s in before.subjects} ^ set(by_name)
        alone = sorted(names)
    return [compare_subjects(a, b) for a, b in matched], alone


def compare_subjects(before: Subject, after: Subject) -> Pair:
    changes = [Change(metric, before.figures.get(metric), after.figures.get(metric)) for metric in METRICS
               if before.figures.get(metric) is not None or after.figures.get(metric) is not None]  # fmt: skip
    return Pair(before, after, changes, not_comparable(before.manifest, after.manifest),
                diff_words(before.transcript, after.transcript))  # fmt: skip


def not_comparable(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Why the figures of two runs do not compare, from their manifests (nothing: they do)."""
    if not before or not after:
        return ["a run has no manifest (recorded before dgtui kept one): nothing says the runs compare"]
    found = []
    for key, why in COMPARABLE:
        a, b = before.get(key), after.get(key)
        if a != b:
            found.append(f"{why}: {_short(a)} and {_short(b)}")
    return found


def _short(value: Any) -> str:
    text = "none" if value in (None, "", []) else str(value)
    return text[:12] + "…" if len(text) > 16 and all(c in "0123456789abcdef" for c in text) else text


def shown(metric: str, value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return "-"
    sign = "+" if signed and value > 0 else ""
    kind = METRICS[metric]
    if kind == TIME:
        return f"{sign}{value * 1000:.0f} ms"
    if kind == RATIO:
        return f"{sign}{value * 100:.1f}{' pts' if signed else ' %'}"
    return f"{sign}{value:g}"


def table(pair: Pair) -> list[tuple[str, str, str, str]]:
    """Rows of ``metric, before, after, change``."""
    rows = []
    for change in pair.changes:
        before, after, delta = shown(change.metric, change.before), shown(change.metric, change.after), change.delta
        if before == after or delta is None:
            rows.append((change.metric, before, after, "=" if before == after else "-"))
            continue
        if METRICS[change.metric] == TIME:  # the change between the figures as shown (whole milliseconds)
            delta = (round(change.after * 1000) - round(change.before * 1000)) / 1000  # type: ignore[operator]
        relative = ""
        if change.before and METRICS[change.metric] != RATIO and abs(delta / change.before) >= 0.005:
            relative = f" ({delta / abs(change.before):+.0%})"
        rows.append((change.metric, before, after, shown(change.metric, delta, signed=True) + relative))
    return rows


def word_diff_text(words: Sequence[tuple[str, str, str]]) -> str:
    """The transcripts' word diff as plain text: ``[-before's-]`` and ``{+after's+}``."""
    parts = []
    for kind, before, after in words:
        if kind == "equal":
            parts.append(before)
        if kind in ("substitute", "delete"):
            parts.append(f"[-{before}-]")
        if kind in ("substitute", "insert"):
            parts.append(f"{{+{after}+}}")
    return " ".join(parts)


# -- runs kept in reports -----------------------------------------------------------------------------------

RUN_MARK = "<!-- dgtui-run "  # a report keeps its run, for dgtui diff, in an HTML comment at its end


class RunError(ValueError):
    """A file that holds no run dgtui can read; the message says what it is and what would work."""


def manifest_of(state: StreamState, reference: str | None) -> dict[str, Any]:
    """A stream's manifest as kept in reports and compared by dgtui diff (with the reference's digest)."""
    manifest = msgspec.to_builtins(state.manifest) if state.manifest is not None else {}
    manifest.pop("type", None)
    if manifest and reference is not None:
        manifest["reference_sha256"] = hashlib.sha256(reference.encode()).hexdigest()
    return manifest


def run_block(subjects: Sequence[Subject]) -> str:
    """The comment a report ends with."""
    data = {"subjects": [{"name": s.name, "figures": s.figures, "transcript": s.transcript, "manifest": s.manifest}
                         for s in subjects]}  # fmt: skip
    return RUN_MARK + json.dumps(data, separators=(",", ":")).replace("--", "\\u002d\\u002d") + " -->\n"


def run_of_report(text: str, label: str) -> Run | None:
    """The run a report keeps in its last block (None: it keeps none); raises RunError when the block is
    damaged."""
    if RUN_MARK not in text:
        return None
    block = text[text.rindex(RUN_MARK) + len(RUN_MARK) :].split(" -->", 1)[0]
    try:
        data = json.loads(block)
        subjects = [Subject(s["name"], s["figures"], s.get("transcript", ""), s.get("manifest") or {})
                    for s in data["subjects"]]  # fmt: skip
    except (ValueError, KeyError, TypeError) as exc:
        raise RunError(f"{label}: its dgtui run block is damaged ({exc})") from None
    return Run(label, subjects)
