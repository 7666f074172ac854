"""``--lane``: one source fanned out to several option sets or backends, as the command line says them.

A lane is the run's flags with the lane's own on top: ``--lane "--endpointing 10"``, a named one
``--lane "fast=--endpointing 10"``, a backend of its own (``--lane "--local"``, ``--lane "--url ws://..."``) or a
Flux lane (``--lane "--model flux-general-en"``). Option strings that begin with ``--`` are taken as users type
them: ``--lane --endpointing 10`` works, because the argument after ``--lane`` is always its value.
"""

from __future__ import annotations

import argparse
import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from dgtui.config.flags import FlagError, parse_stream_flags
from dgtui.judge.accuracy import TimedWord, read_reference, read_word_times

SIDECARS = (".txt", ".srt", ".vtt", ".json")


class Reference(NamedTuple):
    """What a stream is judged against: the reference's text, where it came from, and true word times when a
    JSON reference has them (None for each that is not known)."""

    text: str | None
    path: str | None
    truth: tuple[TimedWord, ...] | None


NO_REFERENCE = Reference(None, None, None)

_NAME = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)=(?P<flags>(?:-|$).*)$")


@dataclass(frozen=True)
class Lane:
    name: str
    flags: str  # as typed: "--endpointing 10"
    own: argparse.Namespace = field(compare=False, repr=False)  # those flags, parsed once


def join_lane_values(argv: Sequence[str]) -> list[str]:
    """``--lane --endpointing 10`` as ``--lane=--endpointing 10``: argparse would take a value that begins with
    ``--`` for an option of its own."""
    joined: list[str] = []
    items = iter(argv)
    for item in items:
        if item == "--lane":
            value = next(items, None)
            if value is None:
                raise FlagError('--lane needs its options, e.g. --lane "--endpointing 10"')
            joined.append(f"--lane={value}")
        else:
            joined.append(item)
    return joined


def parse_lanes(texts: Sequence[str]) -> list[Lane]:
    """Lanes as given; each gets a name (its own, or one made from its flags), unique in the run."""
    lanes: list[Lane] = []
    for text in texts:
        match = _NAME.match(text.strip())
        name, flags = (match["name"], match["flags"]) if match else ("", text.strip())
        own = parse_stream_flags(flags)  # a lane that cannot work says so before anything starts
        name = name or (re.sub(r"\s+", " ", flags.replace("--", "")).strip()[:24] or "default")
        taken = {lane.name for lane in lanes}
        unique, n = name, 1
        while unique in taken:
            n += 1
            unique = f"{name}#{n}"
        lanes.append(Lane(unique, flags, own))
    if len(lanes) == 1:
        raise FlagError('one --lane compares nothing: give two or more (e.g. --lane "--endpointing 10" --lane "")')
    return lanes


def lane_args(run: argparse.Namespace, lane: Lane) -> argparse.Namespace:
    """The run's flags with the lane's own on top (a flag the lane sets replaces the run's)."""
    merged = copy.copy(run)
    defaults = parse_stream_flags("")
    for name, value in vars(lane.own).items():
        if value != getattr(defaults, name, None):
            setattr(merged, name, value)
    return merged


def lane_backend_choice(lane: Lane) -> tuple[str, Any]:
    """Which backend a lane asks for with its own flags: "default" (the run's), "local", or "url" and its URL."""
    if lane.own.local:
        return "local", None
    if lane.own.url:
        return "url", lane.own.url
    return "default", None


def find_reference(spec: str, given: str | None) -> Reference:
    """The reference's text, its path, and true word times when a JSON reference has them: ``--reference``,
    else files beside a local file source (the text from the first of .txt, .srt, .vtt, .json; the times from
    the .json)."""
    from pathlib import Path

    if given:
        path = Path(given).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
            truth = read_word_times(text) if path.suffix.lower() == ".json" else None
            return Reference(read_reference(text, path.suffix.lower()), str(path), truth)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise FlagError(
                f"--reference {given}: cannot read it ({exc}). Give a text, SRT, WebVTT or JSON file."
            ) from None
    source = Path(spec)
    if "://" in spec or not source.is_file():
        return NO_REFERENCE
    timed = source.with_suffix(".json")
    try:
        truth = read_word_times(timed.read_text(encoding="utf-8")) if timed.is_file() and timed != source else None
    except (OSError, UnicodeDecodeError):
        truth = None
    for suffix in SIDECARS:
        sidecar = source.with_suffix(suffix)
        if sidecar.is_file() and sidecar != source:
            try:
                return Reference(read_reference(sidecar.read_text(encoding="utf-8"), suffix), str(sidecar), truth)
            except (OSError, UnicodeDecodeError, ValueError):
                continue
    return NO_REFERENCE
