"""Gates for CI: ``--assert 'fast:latency.p95<600ms'`` checked against a run's figures, and JUnit XML of them.

An assertion is ``[SUBJECT:]METRIC OP VALUE``: the subject a lane's or a stream's name (every one without it),
the metric one of :data:`METRICS`, the operator one of ``< <= > >= == !=``, the value a number with ``ms`` or
``s`` for times (required: ``600`` alone could be either) and optionally ``%`` for ratios. Parsing happens before
anything streams, so a typo costs nothing; judging happens on the figures at the end. No I/O here.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from dgtui.judge.compare import LaneRow

TIME, RATIO, COUNT, MONEY = "time", "ratio", "count", "usd"
_DISTRIBUTIONS = {"latency": ("p50", "p95", "p99", "max"), "final": ("p50", "p95", "p99", "max"),
                  "eot": ("p50", "p95", "p99", "max"), "speech_end": ("p50", "p95", "p99"),
                  "first_word": ("p50", "p95", "p99"), "word_shown": ("p50", "p95", "p99"),
                  "word_final": ("p50", "p95", "p99")}  # fmt: skip
METRICS: dict[str, str] = {
    **{f"{family}.{stat}": TIME for family, stats in _DISTRIBUTIONS.items() for stat in stats},
    "ttft": TIME,
    "wer": RATIO,
    "keyterm.precision": RATIO,
    "keyterm.recall": RATIO,
    "keyterm.f1": RATIO,
    "reconnects": COUNT,
    "corrections": COUNT,
    "finals": COUNT,
    "cost": MONEY,  # USD so far
    "cost.hour": MONEY,  # USD per hour of one stream
}
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, ">=": operator.ge, "==": operator.eq, "!=": operator.ne, "<": operator.lt, ">": operator.gt,
}  # fmt: skip
_GATE = re.compile(r"^(?:(?P<subject>.+):)?(?P<metric>[a-z_.0-9]+)\s*(?P<op><=|>=|==|!=|<|>)\s*"
                   r"(?P<value>-?\d+(?:\.\d+)?)\s*(?P<unit>ms|s|%)?$")  # fmt: skip


class GateError(ValueError):
    """An assertion that cannot be read; the message says what would work."""


@dataclass(frozen=True)
class Gate:
    text: str  # as given
    subject: str | None
    metric: str
    op: str
    value: float  # in seconds for times, as a fraction for ratios

    def holds(self, measured: float) -> bool:
        return OPERATORS[self.op](round(measured, 9), round(self.value, 9))


def parse_gate(text: str) -> Gate:
    match = _GATE.match(text.strip())
    if match is None:
        raise GateError(f"--assert {text!r}: expected [LANE:]METRIC OP VALUE, e.g. 'wer<0.12', "
                        f"'latency.p95<600ms' or 'fast:reconnects==0'")  # fmt: skip
    metric, unit = match["metric"], match["unit"]
    kind = METRICS.get(metric)
    if kind is None:
        raise GateError(f"--assert {text!r}: no metric {metric!r}. Metrics: {', '.join(METRICS)}")
    value = float(match["value"])
    if kind == TIME:
        if unit not in ("ms", "s"):
            raise GateError(f"--assert {text!r}: {metric} is a time: give ms or s ({metric}{match['op']}"
                            f"{match['value']}ms)")  # fmt: skip
        value = value / 1000 if unit == "ms" else value
    elif unit in ("ms", "s"):
        raise GateError(f"--assert {text!r}: {metric} is not a time; give a plain number")
    elif unit == "%":
        if kind != RATIO:
            raise GateError(f"--assert {text!r}: {metric} is a {'sum in USD' if kind == MONEY else 'count'}; "
                            "give a plain number")  # fmt: skip
        value /= 100
    return Gate(text.strip(), match["subject"], metric, match["op"], value)


def parse_gates(texts: Sequence[str]) -> list[Gate]:
    """Every assertion, or a :class:`GateError` listing each one that cannot be read."""
    gates, problems = [], []
    for text in texts:
        try:
            gates.append(parse_gate(text))
        except GateError as exc:
            problems.append(str(exc))
    if problems:
        raise GateError("\n".join(problems))
    return gates


def figures(row: LaneRow) -> dict[str, float | None]:
    """A lane's or a stream's figures under the metrics' names (None: not measured in this run)."""
    found: dict[str, float | None] = {}
    for family, summary in (("latency", row.latency), ("final", row.final), ("eot", row.end_of_turn)):
        for stat in _DISTRIBUTIONS[family]:
            value = None if summary is None else getattr(summary, stat)
            found[f"{family}.{stat}"] = None if value is None or math.isnan(value) else value
    anchored = (("speech_end", row.speech_end), ("first_word", row.first_word), ("word_shown", row.word_shown),
                ("word_final", row.word_final))  # fmt: skip
    for family, percentiles in anchored:
        for stat in _DISTRIBUTIONS[family]:
            found[f"{family}.{stat}"] = None if percentiles is None else percentiles.get(stat)
    keyterms = row.keyterms
    found.update(ttft=row.ttft, wer=row.wer, reconnects=row.reconnects, corrections=row.corrections,
                 finals=row.finals, cost=row.cost)  # fmt: skip
    found["cost.hour"] = row.cost_per_hour
    for stat in ("precision", "recall", "f1"):
        found[f"keyterm.{stat}"] = None if keyterms is None else getattr(keyterms, stat)
    return found


@dataclass(frozen=True)
class Verdict:
    gate: Gate
    subject: str  # the lane or stream judged
    measured: float | None
    passed: bool
    note: str = ""  # why it could not be judged

    def shown(self, value: float | None = None) -> str:
        value = self.measured if value is None else value
        kind = METRICS[self.gate.metric]
        if value is None:
            return "no value"
        if kind == TIME:
            return f"{value * 1000:.0f} ms"
        if kind == RATIO:
            return f"{value:.1%}"
        if kind == MONEY:
            return f"${value:.4f}"
        return f"{value:g}"

    def line(self) -> str:
        head = f"{'pass' if self.passed else 'FAIL'}  {self.subject}: {self.gate.metric} {self.gate.op} "
        return head + f"{self.shown(self.gate.value)}  (measured {self.shown()}{'; ' + self.note if self.note else ''})"


def judge(gates: Sequence[Gate], rows: Sequence[LaneRow]) -> list[Verdict]:
    """Each assertion against each lane or stream it names (all of them without a name)."""
    verdicts = []
    table = [(row.name, figures(row)) for row in rows]
    for gate in gates:
        subjects = [(name, found) for name, found in table if gate.subject in (None, name)]
        if not subjects:
            names = ", ".join(name for name, _ in table) or "none"
            why = f"no lane or stream of that name (there are: {names})"
            verdicts.append(Verdict(gate, gate.subject or "-", None, False, why))
        for name, found in subjects:
            measured = found.get(gate.metric)
            if measured is None:
                verdicts.append(Verdict(gate, name, None, False, _why_missing(gate.metric)))
            else:
                verdicts.append(Verdict(gate, name, measured, gate.holds(measured)))
    return verdicts


def _why_missing(metric: str) -> str:
    family = metric.split(".")[0]
    if family in ("wer", "keyterm"):
        return "needs a reference (--reference, or a file beside the source)" + (
            " and --keyterm" if family == "keyterm" else ""
        )
    if family in ("speech_end", "first_word", "word_shown", "word_final"):
        return "needs true word times (a JSON reference with words)"
    if family == "cost":
        return "no price (the local engine is not billed; other prices go under [prices] in the config file)"
    return "not measured in this run"


def junit_xml(verdicts: Sequence[Verdict], suite: str = "dgtui") -> str:
    """The verdicts as JUnit XML: one test case per assertion and subject, a failure carrying the figure."""
    failures = sum(not v.passed for v in verdicts)
    root = ElementTree.Element("testsuites", name=suite, tests=str(len(verdicts)), failures=str(failures))
    node = ElementTree.SubElement(root, "testsuite", name=suite, tests=str(len(verdicts)), failures=str(failures),
                                  errors="0", skipped="0")  # fmt: skip
    for verdict in verdicts:
        case = ElementTree.SubElement(node, "testcase", classname=f"{suite}.{verdict.subject}", name=verdict.gate.text)
        if not verdict.passed:
            failure = ElementTree.SubElement(case, "failure", message=verdict.line(), type="AssertionFailed")
            failure.text = verdict.line()
        properties = ElementTree.SubElement(case, "properties")
        measured: Any = "" if verdict.measured is None else repr(round(verdict.measured, 6))
        ElementTree.SubElement(properties, "property", name="measured", value=measured)
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
