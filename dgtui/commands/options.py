"""Command-line flags for stream options, shared by ``dgtui``, ``dgtui stream`` and ``dgtui bench``.

Each Deepgram query parameter has a flag named after it; ``--param KEY=VALUE`` passes anything else.
dgtui's defaults differ from Deepgram's where a monitor needs it (interim results, VAD events and utterance
ends on, smart formatting on); every one can be turned off (``--no-interim-results``, ...).
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any, NoReturn

from dgtui.audio.base import DEFAULT_CHUNK_MS, SourceError, SourceSettings
from dgtui.config.file import MAX_BUFFER_SECONDS, MAX_RECONNECT_ATTEMPTS

DEFAULTS: dict[str, Any] = {
    "model": "nova-3",
    "interim_results": True,
    "smart_format": True,
    "vad_events": True,
    "utterance_end_ms": 1000,
}

BOOL_FLAGS = [
    "interim_results", "punctuate", "smart_format", "vad_events", "diarize", "multichannel", "numerals",
    "profanity_filter", "dictation", "detect_entities", "filler_words", "no_delay", "mip_opt_out",
]  # fmt: skip
VALUE_FLAGS = {"model": str, "language": str, "utterance_end_ms": int, "diarize_model": str, "version": str}
LIST_FLAGS = ["keyterm", "keywords", "redact", "tag", "extra", "search", "replace", "language_hint"]


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _endpointing(text: str) -> int | bool:
    if text.lower() == "false":
        return False
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected milliseconds or 'false', got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("endpointing must be >= 0 ms")
    return value


def _param(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def _chunk_ms(text: str) -> int:
    value = int(text)
    if not 20 <= value <= 250:
        raise argparse.ArgumentTypeError(
            "chunk size must be 20-250 ms (Deepgram recommends 20-250, 100 is a good default)"
        )
    return value


def add_stream_arguments(parser: argparse.ArgumentParser) -> None:
    backend = parser.add_argument_group("backend")
    backend.add_argument("--url", help="a Deepgram-compatible live URL (wss://.../v1/listen), e.g. dgtui serve's")
    backend.add_argument("--local", action="store_true", help="use the embedded offline engine (default without a key)")
    backend.add_argument("--token", action="store_true", help="the key is a temporary token: send it as Bearer")
    backend.add_argument(
        "--allow-insecure-key",
        action="store_true",
        help="allow sending the key over ws:// to a non-loopback host",
    )

    source = parser.add_argument_group("source")
    source.add_argument("--fast", action="store_true", help="send files as fast as the backend takes them")
    source.add_argument("--loop", action="store_true", help="repeat files until stopped")
    source.add_argument("--passthrough", action="store_true", help="send a file's original bytes instead of linear16")
    source.add_argument(
        "--chunk-ms", type=_chunk_ms, default=DEFAULT_CHUNK_MS, help="audio per frame, 20-250 (default 100)"
    )
    source.add_argument(
        "--encoding",
        dest="input_encoding",
        choices=["linear16", "linear32", "mulaw", "alaw"],
        help="raw standard input's encoding",
    )
    source.add_argument(
        "--sample-rate", dest="input_sample_rate", type=_sample_rate, help="raw standard input's sample rate"
    )
    source.add_argument("--input-channels", type=int, default=1, help="raw standard input's channel count")

    options = parser.add_argument_group("Deepgram options (query parameters)")
    for name in BOOL_FLAGS:
        if name == "no_delay":  # argparse would read --no-delay as the negation of a flag "delay"
            options.add_argument("--no-delay", dest=name, action="store_const", const=True, default=None)
        else:
            options.add_argument(_flag(name), dest=name, action=argparse.BooleanOptionalAction, default=None)
    for name, kind in VALUE_FLAGS.items():
        flag = "--model-version" if name == "version" else _flag(name)  # --version is dgtui's own
        options.add_argument(flag, dest=name, type=kind, default=None)
    options.add_argument("--endpointing", type=_endpointing, default=None, help="ms of silence, or false")
    options.add_argument("--channels", type=int, default=None, help="channels to keep with --multichannel")
    for name in LIST_FLAGS:
        options.add_argument(_flag(name), dest=name, action="append", default=None, help="repeatable")
    options.add_argument(
        "--param",
        action="append",
        type=_param,
        default=[],
        metavar="KEY=VALUE",
        help="any other query parameter (repeatable)",
    )


def options_from_args(args: argparse.Namespace, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """The query options the flags ask for, over ``base`` (the config file's defaults) over dgtui's defaults."""
    options = {**DEFAULTS, **(base or {})}
    for name in [*BOOL_FLAGS, *VALUE_FLAGS, *LIST_FLAGS, "endpointing", "channels"]:
        value = getattr(args, name, None)
        if value is not None:
            options[name] = value
    if not options.get("interim_results"):
        options.pop("utterance_end_ms", None)  # Deepgram requires interim_results for utterance ends
    for key, value in getattr(args, "param", []):
        options.setdefault(key, [])
        if isinstance(options[key], list):
            options[key].append(value)
        else:
            options[key] = value
    return {k: (v[0] if isinstance(v, list) and len(v) == 1 and k not in LIST_FLAGS else v) for k, v in options.items()}


def add_recording_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("recording and configuration")
    group.add_argument("--no-record", action="store_true", help="do not record the sessions")
    group.add_argument("--record-dir", metavar="DIR", help="record into DIR (default: the user data directory)")
    group.add_argument(
        "--preset", action="append", metavar="NAME", help="add the config file's stream preset NAME (repeatable)"
    )
    reconnect = parser.add_argument_group("reconnects")
    reconnect.add_argument(
        "--reconnect-attempts",
        type=_bounded(int, 0, MAX_RECONNECT_ATTEMPTS),
        metavar="N",
        help="failed attempts in a row before a dropped stream gives up (default 5; 0: never reconnect)",
    )
    reconnect.add_argument(
        "--buffer-seconds",
        type=_bounded(float, 0, MAX_BUFFER_SECONDS),
        metavar="S",
        help="audio kept while disconnected, sent on reconnect (default 30)",
    )
    reconnect.add_argument(
        "--no-resend",
        dest="resend",
        action="store_false",
        default=None,
        help="after a drop, do not send the audio since the last final again (Deepgram bills it twice)",
    )


def _bounded(kind: type, low: float, high: float) -> Any:
    """An argparse type: a ``kind`` value from ``low`` to ``high``, or a message that says so."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, not {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low:g} to {high:g}, not {text}")
        return value

    return parse


def reconnect_from_args(args: argparse.Namespace, base: dict[str, Any]) -> dict[str, Any]:
    """The config file's [reconnect] settings, overridden by the flags given (SessionConfig field names)."""
    flags = {name: getattr(args, name, None) for name in ("reconnect_attempts", "buffer_seconds", "resend")}
    return {**base, **{name: value for name, value in flags.items() if value is not None}}


def _sample_rate(value: str) -> int:
    rate = int(value) if value.isdigit() else 0
    if not 2000 <= rate <= 192_000:
        raise argparse.ArgumentTypeError(
            f"{value} is not an audio sample rate: raw audio is usually 8000 (telephony), 16000, 44100 or 48000 Hz"
        )
    return rate


def source_settings(args: argparse.Namespace) -> SourceSettings:
    """What the audio layer needs of the flags; raises SourceError, naming the flags, when they cannot work."""
    if args.input_encoding and not args.input_sample_rate:
        raise SourceError("raw standard input needs --sample-rate as well as --encoding (e.g. --sample-rate 16000).")
    channels = (args.channels or 2) if args.multichannel else 1
    return SourceSettings(
        chunk_ms=args.chunk_ms,
        fast=args.fast,
        loop=args.loop,
        passthrough=args.passthrough,
        encoding=args.input_encoding,
        sample_rate=args.input_sample_rate,
        input_channels=args.input_channels,
        channels=channels,
    )


class FlagError(ValueError):
    """Flags typed in the app that argparse refused; the message says which and why."""


class _RaisingParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise FlagError(message)


def parse_stream_flags(text: str) -> argparse.Namespace:
    """Flags as in ``dgtui stream`` (``--model nova-2 --diarize``), for streams added while running."""
    parser = _RaisingParser(prog="dgtui", add_help=False)
    add_stream_arguments(parser)
    try:
        return parser.parse_args(shlex.split(text))
    except ValueError as exc:  # shlex: unbalanced quotes
        raise FlagError(str(exc)) from None


def open_stream_request(request: Any, settings: Any, config: Any) -> tuple[Any, dict[str, Any], Any]:
    """A stream added while running (the New-stream dialog): its source, options and backend, resolved as on the
    command line (the config file's key, ``key_env``, token and ``[defaults]`` included); raises with a message
    saying what to fix.

    ``request.backend`` is "default" (the run's, unless the flags say --url or --local), "local", "deepgram" or
    "url" (``request.url``). With no flags, the stream takes the run's options.
    """
    from dgtui.audio.sources import open_source
    from dgtui.config.settings import backend_named, stream_options

    args = parse_stream_flags(request.flags)
    if not request.source.strip():
        raise FlagError("give a source: a file, an http(s) URL, '-' or mic")
    name, url = request.backend, request.url or None
    if name == "default" and (args.url or args.local):  # the flags choose
        name, url = ("local", None) if args.local else ("url", args.url)
    backend = backend_named(name, config, settings.backend, url=url, token=args.token,
                            allow_insecure_key=args.allow_insecure_key)  # fmt: skip
    options = stream_options(args, config) if request.flags.strip() else settings.options
    source = open_source(request.source.strip(), source_settings(args))
    return source, options, backend
