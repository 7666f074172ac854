"""Deepgram's Flux API (``/v2/listen``): its messages, options and control frames, beside the v1 ones.

A second message model, not a variant of the first: the server sends ``Connected``, then ``TurnInfo`` events
(``Update``, ``StartOfTurn``, ``EagerEndOfTurn``, ``TurnResumed``, ``EndOfTurn``), ``ConfigureSuccess`` or
``ConfigureFailure``, ``Warning`` and a fatal ``Error``; every message carries one ``sequence_id`` counter. The
client sends audio, ``Configure``, ``ForceEndTurn`` and ``CloseStream`` (no KeepAlive, no Finalize: WebSocket
pings keep the connection). Sources: ``../shared/docs/deepgram-flux-protocol.md``.

As for v1, decoding is one msgspec pass with a tagged union; unknown fields are ignored and an unknown
``type`` or ``event`` never breaks the stream.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import msgspec

from dgtui.protocol.messages import UnknownMessage, unknown_message
from dgtui.protocol.options import PARAMETERS, Kind, OptionError, parse_bool, parse_int

FLUX_MODELS = ("flux-general-en", "flux-general-multi")
FLUX_PATH = "/v2/listen"
FLUX_CHUNK_MS = 80  # Deepgram "strongly recommends" 80 ms chunks on v2

# The turn events, in the order a turn meets them.
UPDATE, START_OF_TURN, EAGER_END_OF_TURN, TURN_RESUMED, END_OF_TURN = (
    "Update",
    "StartOfTurn",
    "EagerEndOfTurn",
    "TurnResumed",
    "EndOfTurn",
)
TURN_EVENTS = (START_OF_TURN, EAGER_END_OF_TURN, TURN_RESUMED, END_OF_TURN)


def is_flux_url(url: str) -> bool:
    return urlsplit(url).path.rstrip("/").endswith(FLUX_PATH)


def flux_url(url: str) -> str:
    """The ``/v2/listen`` twin of a ``/v1/listen`` URL (a Flux model routes there); other URLs as they are."""
    parts = urlsplit(url)
    if parts.path.rstrip("/").endswith("/v1/listen"):
        return urlunsplit(parts._replace(path=parts.path.rstrip("/").removesuffix("/v1/listen") + FLUX_PATH))
    return url


def is_flux_model(model: object) -> bool:
    """A Flux model routes to ``/v2/listen`` (as Deepgram's own CLI routes them)."""
    return isinstance(model, str) and model.startswith("flux")


# -- server -> client ------------------------------------------------------------------------------------


class FluxWord(msgspec.Struct, kw_only=True, omit_defaults=True):
    word: str
    confidence: float = 0.0
    start: float | None = None  # seconds of stream audio (newer servers send them)
    end: float | None = None


class Connected(msgspec.Struct, tag="Connected", tag_field="type", kw_only=True):
    request_id: str = ""
    sequence_id: int = 0


class TurnInfo(msgspec.Struct, tag="TurnInfo", tag_field="type", kw_only=True):
    """The state of the current turn: its cumulative transcript over ``[audio_window_start, audio_window_end)``."""

    event: str = UPDATE  # an open set: an unknown event is kept, and read as an Update
    request_id: str = ""
    sequence_id: int = 0
    turn_index: int = 0
    audio_window_start: float = 0.0
    audio_window_end: float = 0.0
    transcript: str = ""
    words: list[FluxWord] = msgspec.field(default_factory=list)
    end_of_turn_confidence: float = 0.0
    trigger: str | None = None  # on EndOfTurn: "model", "timeout" or "manual"
    languages: list[str] | None = None
    languages_hinted: list[str] | None = None

    @property
    def last_word_end(self) -> float | None:
        ends = [w.end for w in self.words if w.end is not None]
        return max(ends) if ends else None


class Thresholds(msgspec.Struct, kw_only=True, omit_defaults=True):
    eot_threshold: float | None = None
    eager_eot_threshold: float | None = None
    eot_timeout_ms: int | None = None


class FluxConfigureSuccess(msgspec.Struct, tag="ConfigureSuccess", tag_field="type", kw_only=True):
    request_id: str = ""
    sequence_id: int = 0
    thresholds: Thresholds = msgspec.field(default_factory=Thresholds)
    keyterms: list[str] | str = msgspec.field(default_factory=list)
    language_hints: list[str] | None = None
    numerals: bool | None = None


class FluxConfigureFailure(msgspec.Struct, tag="ConfigureFailure", tag_field="type", kw_only=True):
    request_id: str = ""
    sequence_id: int = 0
    code: str = ""
    description: str = ""


class FluxWarning(msgspec.Struct, tag="Warning", tag_field="type", kw_only=True):
    request_id: str = ""
    sequence_id: int = 0
    code: str = ""
    description: str = ""


class FatalError(msgspec.Struct, tag="Error", tag_field="type", kw_only=True):
    """A fatal error: the server closes the stream after it."""

    sequence_id: int = 0
    code: str = ""
    description: str = ""


FluxKnown = Connected | TurnInfo | FluxConfigureSuccess | FluxConfigureFailure | FluxWarning | FatalError
FluxMessage = FluxKnown | UnknownMessage

_decoder: msgspec.json.Decoder[FluxKnown] = msgspec.json.Decoder(FluxKnown)


def decode_flux(raw: str | bytes) -> FluxMessage:
    """One text frame of ``/v2/listen``; raises :class:`msgspec.DecodeError` only when it is not JSON."""
    try:
        return _decoder.decode(raw)
    except msgspec.ValidationError:
        return unknown_message(raw)


def sequence_of(message: FluxMessage) -> int | None:
    if isinstance(message, UnknownMessage):
        value = message.data.get("sequence_id") if isinstance(message.data, dict) else None
        return value if isinstance(value, int) else None
    return message.sequence_id


def shifted_turn(message: FluxMessage, offset: float) -> FluxMessage:
    """The message with its audio times moved by ``offset`` seconds (a new connection counts from zero)."""
    if not isinstance(message, TurnInfo) or not offset:
        return message
    replace = msgspec.structs.replace
    words = [
        replace(
            w,
            start=None if w.start is None else w.start + offset,
            end=None if w.end is None else w.end + offset,
        )
        for w in message.words
    ]
    return replace(
        message,
        audio_window_start=message.audio_window_start + offset,
        audio_window_end=message.audio_window_end + offset,
        words=words,
    )


# -- client -> server ------------------------------------------------------------------------------------

FORCE_END_TURN = '{"type":"ForceEndTurn"}'


def flux_configure(
    *,
    eot_threshold: float | None = None,
    eager_eot_threshold: float | None = None,
    eot_timeout_ms: int | None = None,
    keyterms: list[str] | None = None,
    language_hints: list[str] | None = None,
    numerals: bool | None = None,
) -> str:
    """A ``Configure`` message; fields left ``None`` keep their current values on the server."""
    body: dict[str, Any] = {"type": "Configure"}
    thresholds = {
        key: value
        for key, value in (
            ("eot_threshold", eot_threshold),
            ("eager_eot_threshold", eager_eot_threshold),
            ("eot_timeout_ms", eot_timeout_ms),
        )
        if value is not None
    }
    if thresholds:
        body["thresholds"] = thresholds
    if keyterms is not None:
        body["keyterms"] = list(keyterms)
    if language_hints is not None:
        body["language_hints"] = list(language_hints)
    if numerals is not None:
        body["numerals"] = bool(numerals)
    return json.dumps(body, separators=(",", ":"))


# -- options ---------------------------------------------------------------------------------------------

#: Every documented ``/v2/listen`` parameter and how its value is read.
FLUX_PARAMETERS: dict[str, Kind] = {
    "model": Kind.STR,
    "encoding": Kind.ENUM,
    "sample_rate": Kind.INT,
    "eot_threshold": Kind.STR,  # a number, checked against its range below
    "eager_eot_threshold": Kind.STR,
    "eot_timeout_ms": Kind.INT,
    "keyterm": Kind.LIST,
    "language_hint": Kind.LIST,
    "profanity_filter": Kind.BOOL,
    "numerals": Kind.BOOL,
    "redact": Kind.STR,
    "mip_opt_out": Kind.BOOL,
    "tag": Kind.LIST,
}
FLUX_ENCODINGS = ("linear16", "linear32", "mulaw", "alaw", "opus", "ogg-opus")
FLUX_SAMPLE_RATES = (8000, 16000, 24000, 44100, 48000)
FLUX_REDACT = ("numbers", "aggressive_numbers")
RANGES: dict[str, tuple[float, float]] = {
    "eot_threshold": (0.5, 1.0),
    "eager_eot_threshold": (0.3, 0.9),
    "eot_timeout_ms": (500, 60_000),
}
DEFAULT_EOT_THRESHOLD = 0.7
DEFAULT_EOT_TIMEOUT_MS = 5000


def parse_flux_query(query: str | Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The strict reading of a ``/v2/listen`` query a server does; :class:`OptionError` names what is wrong.

    Unlike v1, parameters Flux does not take are refused: they are v1 options, and silently dropping them would
    hide a mistake (Deepgram's handling of them is undocumented; refusing is the safe reading).
    """
    pairs = parse_qsl(query, keep_blank_values=True) if isinstance(query, str) else list(query)
    options: dict[str, Any] = {}
    for key, raw in pairs:
        kind = FLUX_PARAMETERS.get(key)
        if kind is None:
            raise OptionError(key, _not_flux(key))
        if raw == "":
            raise OptionError(key, f"Invalid value for '{key}': it is empty.")
        if kind is Kind.LIST:
            options.setdefault(key, []).append(raw)
            continue
        if key in options:
            raise OptionError(key, f"'{key}' was given more than once.")
        options[key] = _parse_flux_value(key, kind, raw)
    return check_flux_options(options)


def _parse_flux_value(key: str, kind: Kind, raw: str) -> Any:
    if kind is Kind.BOOL:
        return parse_bool(key, raw)
    if kind is Kind.INT:
        return parse_int(key, raw)
    if key in ("eot_threshold", "eager_eot_threshold"):
        try:
            return float(raw)
        except ValueError:
            raise OptionError(key, f"Invalid value for '{key}': {raw!r}. Expected a number.") from None
    return raw


def check_flux_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Typed Flux options checked against the documented ranges; returns them, or raises OptionError."""
    checked = dict(options)
    for key in checked:
        if key not in FLUX_PARAMETERS:
            raise OptionError(key, _not_flux(key))
    model = checked.get("model")
    if not model:
        raise OptionError("model", "Flux needs a model: flux-general-en or flux-general-multi.")
    if model not in FLUX_MODELS:
        raise OptionError("model", f"Invalid value for 'model': {model!r}. Expected one of: {', '.join(FLUX_MODELS)}.")
    for key, (low, high) in RANGES.items():
        value = checked.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise OptionError(key, f"Invalid value for '{key}': {value!r}. Expected {low:g} to {high:g}.")
    eager, eot = checked.get("eager_eot_threshold"), checked.get("eot_threshold", DEFAULT_EOT_THRESHOLD)
    if eager is not None and eager > eot:
        raise OptionError(
            "eager_eot_threshold", f"'eager_eot_threshold' ({eager:g}) must not be above 'eot_threshold' ({eot:g})."
        )
    _one_of(checked, "encoding", FLUX_ENCODINGS)
    _one_of(checked, "sample_rate", FLUX_SAMPLE_RATES)
    _one_of(checked, "redact", FLUX_REDACT)
    if (checked.get("encoding") is None) != (checked.get("sample_rate") is None):
        raise OptionError("sample_rate", "raw audio needs both 'encoding' and 'sample_rate'; a container neither.")
    if checked.get("language_hint") and model != "flux-general-multi":
        raise OptionError("language_hint", "'language_hint' is only for flux-general-multi.")
    for tag in checked.get("tag") or []:
        if len(tag) > 128:
            raise OptionError("tag", "a 'tag' may be at most 128 characters.")
    return checked


def _one_of(options: Mapping[str, Any], key: str, allowed: tuple[Any, ...]) -> None:
    value = options.get(key)
    if value is not None and value not in allowed:
        listed = ", ".join(str(a) for a in allowed)
        raise OptionError(key, f"Invalid value for '{key}': {value!r}. Expected one of: {listed}.")


def _not_flux(key: str) -> str:
    if key in PARAMETERS:
        return f"'{key}' is a Nova (/v1/listen) option: Flux (/v2/listen) does not take it."
    return f"'{key}' is not a Flux (/v2/listen) parameter."
