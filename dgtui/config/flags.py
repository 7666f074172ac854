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
from dgtui.audio.conditions import ConditionError, Conditions, parse_conditions
from dgtui.config.file import MAX_BUFFER_SECONDS, MAX_RECONNECT_ATTEMPTS
from dgtui.protocol.flux import FLUX_CHUNK_MS, FLUX_PARAMETERS, check_flux_options, is_flux_model, is_flux_url
from dgtui.protocol.options import OptionError

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
FLUX_FLAGS = {"eot_threshold": float, "eager_eot_threshold": float, "eot_timeout_ms": int}  # /v2/listen's own
FLUX_DEFAULT_MODEL = "flux-general-en"
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


def add_gate_arguments(parser: argparse.ArgumentParser) -> None:
    """``dgtui stream`` and ``dgtui bench``: assertions on the run's figures, for CI."""
    gates = parser.add_argument_group("gates: fail the run (exit 3) when a figure is off")
    gates.add_argument(
        "--assert",
        dest="gates",
        action="append",
        default=[],
        metavar="[LANE:]METRIC OP VALUE",
        help="e.g. 'wer<0.12', 'latency.p95<600ms', 'eot.p95<900ms', 'fast:reconnects==0' (repeatable)",
    )
    gates.add_argument("--junit", metavar="FILE.xml", help="write the assertions as JUnit XML")


def add_stream_arguments(parser: argparse.ArgumentParser) -> None:
    backend = parser.add_argument_group("backend")
    backend.add_argument("--url", help="a Deepgram-compatible live URL (wss://.../v1/listen), e.g. dgtui serve's")
    backend.add_argument("--local", action="store_true", help="use the embedded offline engine (default without a key)")
    backend.add_argument("--token", action="store_true", help="the key is a temporary token: send it as Bearer")
    lanes = parser.add_argument_group("lanes: compare settings or backends on the same audio")
    lanes.add_argument(
        "--lane",
        action="append",
        metavar="[NAME=]FLAGS",
        help="the source fanned out to one stream per lane, each with these flags on top of the run's "
        '(repeat; e.g. --lane "--endpointing 10" --lane "slow=--endpointing 300")',
    )
    lanes.add_argument(
        "--reference",
        metavar="FILE",
        help="the true transcript (text, SRT, WebVTT or JSON) for word error rates; by default a file beside the "
        "source with its name and .txt, .srt, .vtt or .json",
    )
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
        "--chunk-ms", type=_chunk_ms, default=None, help="audio per frame, 20-250 (default 100; 80 on Flux)"
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
    source.add_argument(
        "--condition",
        dest="conditions",
        action="append",
        default=None,
        metavar="SPEC",
        help="change the audio before it is sent (repeatable): telephony[:linear16], noise:snr=10, gain:-20dB, "
        "speed:1.1; or when it is sent: jitter:50ms, burst:2s",
    )

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
    flux = parser.add_argument_group("Flux options (--model flux-general-en, /v2/listen)")
    flux.add_argument("--eot-threshold", type=float, default=None, help="end-of-turn confidence, 0.5-1.0 (0.7)")
    flux.add_argument(
        "--eager-eot-threshold", type=float, default=None, help="EagerEndOfTurn confidence, 0.3-0.9 (off by default)"
    )
    flux.add_argument(
        "--eot-timeout-ms", type=int, default=None, help="end a turn after this much silence, 500-60000 (5000)"
    )
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


def _given(args: argparse.Namespace) -> dict[str, Any]:
    """The options the flags set, by name (``--param`` ones too)."""
    given = {}
    for name in [*BOOL_FLAGS, *VALUE_FLAGS, *LIST_FLAGS, *FLUX_FLAGS, "endpointing", "channels"]:
        value = getattr(args, name, None)
        if value is not None:
            given[name] = value
    params: dict[str, list[str]] = {}
    for key, value in getattr(args, "param", []):
        params.setdefault(key, []).append(value)
    given.update({key: values[0] if len(values) == 1 else values for key, values in params.items()})
    return given


def options_from_args(
    args: argparse.Namespace, base: dict[str, Any] | None = None, url: str | None = None
) -> dict[str, Any]:
    """The query options the flags ask for, over ``base`` (the config file's defaults) over dgtui's defaults.

    A Flux model (or a ``/v2/listen`` URL) makes them Flux options: the defaults meant for Nova are left out,
    a Nova option given on the command line is an error, and the values are checked against Flux's documented
    ranges before anything connects. Raises FlagError saying which flag and why."""
    given = _given(args)
    model = given.get("model") or (base or {}).get("model")
    if is_flux_model(model) or (model is None and url is not None and is_flux_url(url)):
        return _flux_options(given, base or {}, model or FLUX_DEFAULT_MODEL)
    if url is not None and is_flux_url(url):
        raise FlagError(f"{url} is Flux's endpoint (/v2/listen), but the model {model!r} is a Nova model: "
                        "use --model flux-general-en, or a /v1/listen URL")  # fmt: skip
    for name in FLUX_FLAGS:
        if name in given:
            raise FlagError(f"{_flag(name)} is a Flux option: add --model flux-general-en (it streams to /v2/listen)")
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


def source_settings(args: argparse.Namespace, flux: bool = False) -> SourceSettings:
    """What the audio layer needs of the flags; raises SourceError, naming the flags, when they cannot work."""
    if args.input_encoding and not args.input_sample_rate:
        raise SourceError("raw standard input needs --sample-rate as well as --encoding (e.g. --sample-rate 16000).")
    channels = (args.channels or 2) if args.multichannel else 1
    return SourceSettings(
        chunk_ms=args.chunk_ms or (FLUX_CHUNK_MS if flux else DEFAULT_CHUNK_MS),  # Deepgram asks 80 ms on Flux
        fast=args.fast,
        loop=args.loop,
        passthrough=args.passthrough,
        encoding=args.input_encoding,
        sample_rate=args.input_sample_rate,
        input_channels=args.input_channels,
        channels=channels,
    )


def conditions_from_args(args: argparse.Namespace) -> Conditions:
    """``--condition``, read and checked before anything streams; raises FlagError saying what exists."""
    try:
        conditions = parse_conditions(getattr(args, "conditions", None) or [])
    except ConditionError as exc:
        raise FlagError(str(exc)) from None
    if conditions.shapes_sending and getattr(args, "fast", False):
        raise FlagError("--condition jitter and burst change when audio is sent in real time: drop --fast")
    if conditions.changes_signal and getattr(args, "passthrough", False):
        raise FlagError("--condition telephony, noise, gain and speed change decoded audio: drop --passthrough")
    return conditions


class FlagError(ValueError):
    """Flags that cannot work (typed in the app, or given together); the message says which and why."""


def _flux_options(given: dict[str, Any], base: dict[str, Any], model: str) -> dict[str, Any]:
    options: dict[str, Any] = {"model": model}
    options.update({k: v for k, v in base.items() if k in FLUX_PARAMETERS and k != "model"})  # Nova defaults stay out
    for name, value in given.items():
        if name not in FLUX_PARAMETERS:
            raise FlagError(f"{_flag(name)} is a Nova option (/v1/listen): Flux models (/v2/listen) do not take it")
        options[name] = value[0] if isinstance(value, list) and len(value) == 1 and name not in LIST_FLAGS else value
    if isinstance(options.get("redact"), list):  # Flux takes one redact value
        options["redact"] = options["redact"][0] if len(options["redact"]) == 1 else options["redact"]
    try:
        return check_flux_options(options)
    except OptionError as exc:
        raise FlagError(f"{_flag(exc.param)}: {exc.message}") from None


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
