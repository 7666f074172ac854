"""Audio conditions: the same clip made harder before it is sent, so clean and impaired run side by side.

``--condition`` takes ``telephony`` (an 8 kHz mu-law round trip, sent as ``mulaw`` 8000 or, with
``telephony:linear16``, as linear16 8000), ``noise:snr=10`` (noise at that signal-to-noise ratio against the
speech's active level), ``gain:-20dB``, ``speed:1.1`` (tempo, pitch kept) and the network's ``jitter:50ms`` and
``burst:2s``, which change when audio is sent, never the audio. Signal work is numpy and PyAV (its ``atempo``
filter, resampler and G.711 codec); what is written here is the bookkeeping: an exact cursor on the output's
own timeline, and a level estimate that fixes the noise's level as the speech arrives.

The signal conditions run in one order whatever order they are given in: speed, gain, noise, then the telephone
line (the room first, then the channel), so ``noise`` + ``telephony`` is a noisy call. This module reads them (no
I/O, no numpy); :mod:`dgtui.audio.impair` does the signal work.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dgtui.audio.base import SourceError
from dgtui.audio.chunks import AudioFormat

CONDITIONS = "telephony[:linear16], noise:snr=DB[,kind=pink|white], gain:±DB dB, speed:FACTOR, jitter:MS ms, burst:S s"


class ConditionError(SourceError):
    """A condition that cannot be read or cannot apply; the message names the conditions that exist."""


@dataclass(frozen=True)
class Conditions:
    """What ``--condition`` asked for, read once: the signal's changes and the sending's."""

    specs: tuple[str, ...] = ()  # as the manifest names them (canonical: "gain:-20dB")
    speed: float = 1.0
    gain_db: float = 0.0
    snr_db: float | None = None
    noise_kind: str = "pink"
    telephony: str | None = None  # how the 8 kHz call is sent: "mulaw" or "linear16"
    jitter: float = 0.0  # seconds: each chunk sent up to this much later than due
    burst: float = 0.0  # seconds: audio held back and sent in bursts of this much

    @property
    def changes_signal(self) -> bool:
        return self.speed != 1.0 or self.gain_db != 0.0 or self.snr_db is not None or self.telephony is not None

    @property
    def shapes_sending(self) -> bool:
        return bool(self.jitter or self.burst)

    @property
    def time_scale(self) -> float:
        """Seconds of the sent audio per second of the original (true word times are scaled by it)."""
        return 1.0 / self.speed

    def output_format(self, given: AudioFormat) -> AudioFormat:
        if self.telephony is None:
            return given
        return AudioFormat(self.telephony, 8000, given.channels)


NO_CONDITIONS = Conditions()

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"


def _number(text: str, unit_pattern: str, what: str, spec: str) -> float:
    match = re.fullmatch(rf"\s*({_NUMBER})\s*{unit_pattern}\s*", text, re.IGNORECASE)
    if not match:
        raise ConditionError(f"--condition {spec}: {what}")
    return float(match.group(1))


def _bounded(value: float, low: float, high: float, spec: str, what: str) -> float:
    if not low <= value <= high:
        raise ConditionError(f"--condition {spec}: {what} must be from {low:g} to {high:g}, not {value:g}")
    return value


def parse_conditions(texts: Iterable[str]) -> Conditions:
    """``--condition`` values, checked before anything streams; raises ConditionError naming what exists."""
    found: dict[str, object] = {}
    specs: list[str] = []
    for text in texts:
        spec = text.strip()
        kind, _, arg = spec.partition(":")
        kind = kind.lower()
        if kind in found:
            raise ConditionError(f"--condition {spec}: {kind} is given twice; give each condition once")
        value, canonical = _parse_one(kind, arg, spec)
        found[kind] = value
        specs.append(canonical)
    noise = found.get("noise")
    return Conditions(
        specs=tuple(specs),
        speed=float(found.get("speed", 1.0)),  # type: ignore[arg-type]
        gain_db=float(found.get("gain", 0.0)),  # type: ignore[arg-type]
        snr_db=noise[0] if isinstance(noise, tuple) else None,
        noise_kind=noise[1] if isinstance(noise, tuple) else "pink",
        telephony=found.get("telephony"),  # type: ignore[arg-type]
        jitter=float(found.get("jitter", 0.0)),  # type: ignore[arg-type]
        burst=float(found.get("burst", 0.0)),  # type: ignore[arg-type]
    )


def _parse_one(kind: str, arg: str, spec: str) -> tuple[object, str]:
    """One condition's value and the text the manifest gives it."""
    if kind == "telephony":
        send = (arg or "mulaw").lower()
        if send not in ("mulaw", "linear16"):
            raise ConditionError(f"--condition {spec}: telephony is sent as mulaw (default) or linear16")
        return send, "telephony" if send == "mulaw" else "telephony:linear16"
    if kind == "noise":
        settings = dict(part.partition("=")[::2] for part in arg.split(",") if part)
        if "snr" not in settings and len(settings) == 1 and next(iter(settings.values())) == "":
            settings = {"snr": next(iter(settings))}  # noise:10
        unknown = set(settings) - {"snr", "kind"}
        if unknown or "snr" not in settings:
            raise ConditionError(f"--condition {spec}: noise needs snr=DB, e.g. noise:snr=10 (and kind=pink|white)")
        snr = _bounded(_number(settings["snr"], r"(?:db)?", "snr must be a number of dB", spec), -20, 60, spec, "snr")
        kind_name = settings.get("kind", "pink").lower()
        if kind_name not in ("pink", "white"):
            raise ConditionError(f"--condition {spec}: noise kind is pink (default) or white")
        return (snr, kind_name), f"noise:snr={snr:g}" + ("" if kind_name == "pink" else ",kind=white")
    if kind == "gain":
        db = _bounded(_number(arg, r"(?:db)?", "gain is a number of dB, e.g. gain:-20dB", spec), -60, 30, spec, "gain")
        return db, f"gain:{db:+g}dB"
    if kind == "speed":
        factor = _bounded(_number(arg, r"x?", "speed is a factor, e.g. speed:1.1", spec), 0.5, 2.0, spec, "speed")
        return factor, f"speed:{factor:g}"
    if kind in ("jitter", "burst"):
        match = re.fullmatch(rf"\s*({_NUMBER})\s*(ms|s)\s*", arg, re.IGNORECASE)
        if not match:
            raise ConditionError(f"--condition {spec}: {kind} needs a time with its unit, e.g. {kind}:"
                                 + ("50ms" if kind == "jitter" else "2s"))  # fmt: skip
        seconds = float(match.group(1)) / (1000 if match.group(2).lower() == "ms" else 1)
        low, high = (0.0, 2.0) if kind == "jitter" else (0.1, 30.0)
        seconds = _bounded(seconds, low, high, spec, f"{kind} (seconds)")
        return seconds, f"{kind}:{seconds * 1000:g}ms" if kind == "jitter" else f"{kind}:{seconds:g}s"
    raise ConditionError(f"--condition {spec}: unknown condition {kind!r} (known: {CONDITIONS})")


def time_scale_of(specs: Sequence[str]) -> float:
    """The time scale a recording's conditions imply (its manifest names them): 1 / speed."""
    for spec in specs:
        if spec.startswith("speed:"):
            return 1.0 / float(spec.partition(":")[2])
    return 1.0
