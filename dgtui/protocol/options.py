"""Live options <-> query string.

Deepgram configures a stream entirely through the query string. The wire rules (see the protocol notes):
booleans are lowercase ``true``/``false`` (``True`` is an HTTP 400), list parameters repeat their key
(``keyterm=a&keyterm=b``), and parameters dgtui does not know are passed through untouched.

:func:`encode_query` is what a client sends; :func:`parse_query` is the strict reading a server does, and
raises :class:`OptionError` naming the offending parameter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode


class Kind(Enum):
    STR = "str"
    BOOL = "bool"
    INT = "int"
    INT_OR_FALSE = "int|false"  # endpointing: milliseconds, or false to disable
    LIST = "list"  # repeated key
    ENUM = "enum"


ENCODINGS = (
    "linear16",
    "linear32",
    "flac",
    "alaw",
    "mulaw",
    "amr-nb",
    "amr-wb",
    "opus",
    "ogg-opus",
    "speex",
    "g729",
)
REDACT_VALUES = ("true", "false", "pci", "numbers", "aggressive_numbers", "ssn")

#: Every documented ``/v1/listen`` parameter and how its value is read.
PARAMETERS: dict[str, Kind] = {
    "model": Kind.STR,
    "language": Kind.STR,
    "language_hint": Kind.LIST,
    "version": Kind.STR,
    "encoding": Kind.ENUM,
    "sample_rate": Kind.INT,
    "channels": Kind.INT,
    "multichannel": Kind.BOOL,
    "interim_results": Kind.BOOL,
    "endpointing": Kind.INT_OR_FALSE,
    "utterance_end_ms": Kind.INT,
    "vad_events": Kind.BOOL,
    "punctuate": Kind.BOOL,
    "smart_format": Kind.BOOL,
    "no_delay": Kind.BOOL,
    "numerals": Kind.BOOL,
    "profanity_filter": Kind.BOOL,
    "redact": Kind.LIST,
    "diarize": Kind.BOOL,
    "diarize_model": Kind.STR,
    "dictation": Kind.BOOL,
    "detect_entities": Kind.BOOL,
    "filler_words": Kind.BOOL,
    "keyterm": Kind.LIST,
    "keywords": Kind.LIST,
    "search": Kind.LIST,
    "replace": Kind.LIST,
    "tag": Kind.LIST,
    "extra": Kind.LIST,
    "callback": Kind.STR,
    "callback_method": Kind.STR,
    "mip_opt_out": Kind.BOOL,
}

_ENUMS: dict[str, tuple[str, ...]] = {"encoding": ENCODINGS}


class OptionError(ValueError):
    """A query parameter with a value the API rejects; ``param`` names it."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


def _wire_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def query_pairs(options: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The ``(key, value)`` pairs for ``options``: ``None`` dropped, lists expanded to repeated keys."""
    pairs: list[tuple[str, str]] = []
    for key, value in options.items():
        if value is None:
            continue
        if isinstance(value, list | tuple):
            pairs.extend((key, _wire_value(item)) for item in value)
        else:
            pairs.append((key, _wire_value(value)))
    return pairs


def encode_query(options: Mapping[str, Any]) -> str:
    """Encode options as Deepgram expects them (``quote_via`` keeps spaces as ``%20``)."""
    return urlencode(query_pairs(options), quote_via=quote)


def parse_bool(key: str, raw: str) -> bool:
    if raw == "true":
        return True
    if raw == "false":
        return False
    raise OptionError(key, f"Invalid value for '{key}': {raw!r}. Expected lowercase 'true' or 'false'.")


def parse_int(key: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise OptionError(key, f"Invalid value for '{key}': {raw!r}. Expected a whole number.") from None
    if value < 0:
        raise OptionError(key, f"Invalid value for '{key}': {raw!r}. Expected a number >= 0.")
    return value


def _parse_one(key: str, kind: Kind, raw: str) -> Any:
    if kind is Kind.BOOL:
        return parse_bool(key, raw)
    if kind is Kind.INT:
        return parse_int(key, raw)
    if kind is Kind.INT_OR_FALSE:
        if raw in ("false", "true"):
            return raw == "true"
        return parse_int(key, raw)
    if kind is Kind.ENUM:
        allowed = _ENUMS[key]
        if raw not in allowed:
            raise OptionError(key, f"Invalid value for '{key}': {raw!r}. Expected one of: {', '.join(allowed)}.")
        return raw
    return raw


def parse_query(query: str | Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Strictly parse a query string into typed options.

    Known parameters get their types (lists for repeated keys); unknown ones are kept as strings, or lists
    of strings when repeated. A second value for a single-valued parameter is rejected, as is an empty one.
    """
    pairs = parse_qsl(query, keep_blank_values=True) if isinstance(query, str) else list(query)
    options: dict[str, Any] = {}
    for key, raw in pairs:
        kind = PARAMETERS.get(key)
        if kind is Kind.LIST:
            options.setdefault(key, []).append(raw)
            continue
        if kind is None:
            if key in options:
                previous = options[key]
                options[key] = [*previous, raw] if isinstance(previous, list) else [previous, raw]
            else:
                options[key] = raw
            continue
        if raw == "":
            raise OptionError(key, f"Invalid value for '{key}': it is empty.")
        if key in options:
            raise OptionError(key, f"'{key}' was given more than once.")
        options[key] = _parse_one(key, kind, raw)
    for value in options.get("redact", []):
        if value not in REDACT_VALUES:
            raise OptionError(
                "redact",
                f"Invalid value for 'redact': {value!r}. Expected one of: {', '.join(REDACT_VALUES)}.",
            )
    if "encoding" in options and "sample_rate" not in options:
        raise OptionError("sample_rate", "'sample_rate' is required when 'encoding' is set (raw audio).")
    if "sample_rate" in options and not 0 < options["sample_rate"] <= 192_000:
        raise OptionError(
            "sample_rate", f"Invalid value for 'sample_rate': {options['sample_rate']}. Expected 1-192000."
        )
    if "channels" in options and not 1 <= options["channels"] <= 20:
        raise OptionError("channels", f"Invalid value for 'channels': {options['channels']}. Expected 1-20.")
    return options
