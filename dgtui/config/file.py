"""dgtui's configuration file: default options, the backend, where the key comes from, recording, presets.

A TOML file at the platform's user config path (``DGTUI_CONFIG`` overrides it). Precedence, highest first:
command line > environment (``DEEPGRAM_API_KEY`` or the variable ``key_env`` names, ``DGTUI_URL``,
``DGTUI_DATA_DIR``) > this file > dgtui's defaults. A bad file is a :class:`ConfigError` that names the file,
the line and the key; a key stored in the file is used only when the file is readable by its owner alone.

The file's shape is a msgspec schema (the tables below); msgspec's validation errors are put in the file's
terms: the table, the key, its line, and what it must be.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TypeVar

import msgspec

from dgtui.process.secrets import MASK, register_secret
from dgtui.protocol.faults import FaultError, parse_fault
from dgtui.protocol.options import OptionError, encode_query, parse_query
from dgtui.recordings.retention import Retention
from dgtui.recordings.writer import DEFAULT_POLICY, RecordingPolicy
from dgtui.state.health import DEFAULT_SILENCE_AFTER
from dgtui.state.usage import (
    DEFAULT_ADDON_PRICES,
    DEFAULT_AS_OF,
    DEFAULT_MODEL_PRICES,
    DEFAULT_PRICES,
    Prices,
)

MAX_RECONNECT_ATTEMPTS = 100
MAX_BUFFER_SECONDS = 600  # 10 min of 16 kHz linear16 is about 19 MB per stream

EXAMPLE = """\
# dgtui configuration. Precedence: command line > environment > this file > dgtui's defaults.
# Check it with: dgtui config check      See the effective settings with: dgtui config show

# Deepgram options for every stream, as query parameters (the --flags of dgtui stream).
[defaults]
model = "nova-3"
interim_results = true
smart_format = true
vad_events = true
utterance_end_ms = 1000
# diarize = true
# endpointing = 300
# keyterm = ["dgtui", "Deepgram"]

[backend]
# Where streams go when neither --url nor --local is given (DGTUI_URL overrides this):
# url = "wss://api.deepgram.com/v1/listen"
# url = "ws://127.0.0.1:8080/v1/listen"     # dgtui serve
# local = true                               # the embedded offline engine
# The environment variable that holds the API key:
key_env = "DEEPGRAM_API_KEY"
# A key may be stored here only if this file is readable by you alone (chmod 600):
# key = "..."
# token = true                               # the key is a temporary token (sent as Bearer)

[recording]
# Every session is recorded as JSON Lines (dgtui sessions lists them); --no-record turns it off.
enabled = true
# dir = "~/dgtui-sessions"                   # default: the user data directory (DGTUI_DATA_DIR overrides)
# A long session is written as segments: a new one every segment_minutes (of audio or of clock time,
# whichever comes first) or at segment_mb; closed segments are gzipped (compress = false keeps them plain).
# segment_minutes = 60                       # 0: never by time
# segment_mb = 100                           # 0: never by size
# compress = true
# Retention deletes the oldest closed segments (never one being written), and says so in the stream's log:
# keep_days = 30                             # delete recordings older than this
# max_gb = 50                                # keep the recordings' folder under this size

[reconnect]
# A dropped connection is opened again, backing off from 0.5 s up to 8 s between attempts.
# attempts = 5                               # failed attempts in a row before giving up (0: never reconnect)
# buffer_seconds = 30                        # audio kept while disconnected; older audio is dropped
# resend = true                              # send the audio since the last final again (Deepgram bills it)

[prices]
# USD per audio minute, for the usage meter's cost figures. dgtui's defaults are Deepgram's pay-as-you-go
# streaming rates as of 2026-08 (nova-3 0.0048, nova-3-multilingual 0.0058, flux-general-en 0.0065,
# flux-general-multi 0.0078; diarize 0.0020): put your plan's here. A model or add-on without a price
# shows no cost figure rather than a made-up zero.
# as_of = "2026-08-01"
# streams = 10                               # project per month at this many concurrent streams
# all_backends = false                       # price streams to other URLs too (self-hosted Deepgram)
# [prices.models]
# "nova-2" = 0.0058
# [prices.addons]
# keyterm = 0.0013
# redact = 0.0020

[monitor]
# silence_after = 120                        # seconds without signal or words before a feed is flagged (0: off)

[metrics]
# Prometheus metrics on http://HOST:PORT/metrics for every long-running command (--metrics overrides):
# listen = "127.0.0.1:9464"
# serve = "127.0.0.1:9465"                   # a command of its own: tui, stream, bench, tap or serve
# grace_seconds = 300                        # an ended stream's series stay this long, then leave
# linger_seconds = 60                        # a finished run (stream, bench) waits this long for a last scrape

# Named streams: dgtui --preset radio
# [presets.radio]
# source = "https://stream.example.org/news.mp3"
# backend = "local"                          # "deepgram", "local", "default", or a ws(s):// URL
# options = { model = "nova-3", diarize = true }
# lanes = ["fast=--endpointing 10", "slow=--endpointing 300"]   # compare: the source through each lane
"""


class ConfigError(Exception):
    """What is wrong with the file, where (file and line) and with which key."""

    def __init__(self, path: Path, message: str, line: int | None = None, key: str | None = None) -> None:
        where = f"{path}" + (f":{line}" if line else "")
        super().__init__(f"{where}: {key + ': ' if key else ''}{message}")
        self.path, self.line, self.key = path, line, key


@dataclass
class Preset:
    name: str
    source: str
    backend: str = "default"
    options: dict[str, Any] = field(default_factory=dict)
    lanes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MetricsSettings:
    """[metrics]: where each command serves Prometheus metrics (None: not at all, unless --metrics says), how
    long an ended stream's series stay, and how long a finished run waits for a last scrape."""

    listen: str | None = None
    commands: Mapping[str, str] = field(default_factory=dict)  # command -> HOST:PORT, over ``listen``
    grace_seconds: float = 300.0
    linger_seconds: float = 60.0

    def listen_for(self, command: str) -> str | None:
        return self.commands.get(command) or self.listen


@dataclass
class Config:
    path: Path
    exists: bool = False
    options: dict[str, Any] = field(default_factory=dict)
    url: str | None = None
    local: bool = False
    key_env: str = "DEEPGRAM_API_KEY"
    key: str | None = None  # from the file (only when its mode allows)
    token: bool = False
    record: bool = True
    record_dir: Path | None = None
    reconnect: dict[str, Any] = field(default_factory=dict)  # SessionConfig fields set by [reconnect]
    presets: dict[str, Preset] = field(default_factory=dict)
    prices: Prices = DEFAULT_PRICES  # [prices] over dgtui's dated defaults
    silence_after: float = DEFAULT_SILENCE_AFTER  # [monitor]: a feed silent this long is flagged on the Overview
    recording: RecordingPolicy = DEFAULT_POLICY  # [recording]: segments, compression, retention
    faults: dict[str, list[str]] = field(default_factory=dict)  # [faults]: serve and tap, the --fault specs
    metrics: MetricsSettings = field(default_factory=MetricsSettings)  # [metrics]

    def api_key(self, environ: Mapping[str, str] = os.environ) -> tuple[str | None, str]:
        """The key and where it came from: the environment first, then the file."""
        if environ.get(self.key_env):
            return environ[self.key_env], f"environment ({self.key_env})"
        if self.key:
            return self.key, f"config file ({self.path})"
        return None, "none"


def config_path(environ: Mapping[str, str] = os.environ) -> Path:
    override = environ.get("DGTUI_CONFIG")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return platformdirs.user_config_path("dgtui") / "config.toml"


T = TypeVar("T")

# -- the file's schema: msgspec checks types, ranges and unknown keys -------------------------------------


class _Table(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    pass


class BackendTable(_Table):
    url: str | None = None
    local: bool = False
    key_env: str = "DEEPGRAM_API_KEY"
    key: str | None = None
    token: bool = False


class RecordingTable(_Table):
    enabled: bool = True
    dir: str | None = None
    segment_minutes: Annotated[float, msgspec.Meta(ge=0, le=10080)] = 60.0
    segment_mb: Annotated[float, msgspec.Meta(ge=0, le=100_000)] = 100.0
    compress: bool = True
    keep_days: Annotated[float, msgspec.Meta(gt=0, le=36500)] | None = None
    max_gb: Annotated[float, msgspec.Meta(gt=0, le=1_000_000)] | None = None


class ReconnectTable(_Table):
    attempts: Annotated[int, msgspec.Meta(ge=0, le=MAX_RECONNECT_ATTEMPTS)] | None = None
    buffer_seconds: Annotated[float, msgspec.Meta(ge=0, le=MAX_BUFFER_SECONDS)] | None = None
    resend: bool | None = None


class MonitorTable(_Table):
    silence_after: Annotated[float, msgspec.Meta(ge=0, le=86400)] = DEFAULT_SILENCE_AFTER


class PricesTable(_Table):
    as_of: str | None = None
    streams: Annotated[int, msgspec.Meta(ge=1, le=100_000)] | None = None
    all_backends: bool = False
    models: dict[str, float] = {}  # each checked by _prices, to name the key in errors (msgspec cannot)
    addons: dict[str, float] = {}


class PresetTable(_Table):
    source: str
    backend: str = "default"
    options: dict[str, Any] = {}
    lanes: list[str] = []  # flags per lane, as --lane takes them: the source fanned out to compare


class FaultsTable(_Table):
    serve: list[str] = []  # --fault specs dgtui serve applies (before the command line's)
    tap: list[str] = []  # and dgtui tap


class MetricsTable(_Table):
    listen: str | None = None  # HOST:PORT for every long-running command (each may have its own below)
    tui: str | None = None
    stream: str | None = None
    bench: str | None = None
    tap: str | None = None
    serve: str | None = None
    grace_seconds: Annotated[float, msgspec.Meta(ge=0, le=86400)] = 300.0
    linger_seconds: Annotated[float, msgspec.Meta(ge=0, le=3600)] = 60.0


class ConfigFile(_Table):
    defaults: dict[str, Any] = {}  # any Deepgram option, checked as a server checks the query string
    backend: BackendTable = BackendTable()
    recording: RecordingTable = RecordingTable()
    reconnect: ReconnectTable = ReconnectTable()
    prices: PricesTable = PricesTable()
    monitor: MonitorTable = MonitorTable()
    faults: FaultsTable = FaultsTable()
    metrics: MetricsTable = MetricsTable()
    presets: dict[str, Any] = {}  # each a PresetTable, checked one by one to name it in errors


# What a range means, in the words of the command line's flags.
RANGES = {
    "attempts": f"must be a whole number from 0 to {MAX_RECONNECT_ATTEMPTS}",
    "buffer_seconds": f"must be seconds from 0 to {MAX_BUFFER_SECONDS}",
    "streams": "must be a whole number of streams from 1 to 100000",
    "silence_after": "must be seconds from 0 (off) to 86400",
    "segment_minutes": "must be minutes from 0 (never by time) to 10080 (a week)",
    "segment_mb": "must be megabytes from 0 (never by size) to 100000",
    "keep_days": "must be days above 0 (leave it out to keep recordings forever)",
    "max_gb": "must be gigabytes above 0 (leave it out for no limit)",
}
KINDS = {"bool": "true or false", "str": "a str", "int": "a whole number", "float": "a number", "object": "a table"}
_EXPECTED = re.compile(r"Expected `(?P<kind>[^`]+)`(?:, got `[^`]+`)?")
_UNKNOWN = re.compile(r"Object contains unknown field `(?P<key>[^`]+)`")
_MISSING = re.compile(r"Object missing required field `(?P<key>[^`]+)`")
_RANGE = re.compile(r"Expected `[^`]+` [<>]=? ")


def _line_of(text: str, table: str, key: str | None) -> int | None:
    """The line where ``key`` is set inside ``[table]`` (or where the table starts)."""
    current = ""
    table_line = None
    for number, line in enumerate(text.splitlines(), start=1):
        header = re.match(r"\s*\[+\s*([^\]]+?)\s*\]+", line)
        if header:
            current = header.group(1).replace('"', "").replace(" ", "")
            if current == table:
                table_line = number
            continue
        if key and current == table and re.match(rf"\s*\"?{re.escape(key)}\"?\s*=", line):
            return number
    return table_line


class _File:
    """One file's text and path: turns a problem at a table and key into a ConfigError with its line."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text = path, text

    def error(self, table: str, key: str | None, message: str) -> ConfigError:
        if not table:  # a whole section: where its table starts, or where it is set as a value
            line = _line_of(self.text, key or "", None) or _line_of(self.text, "", key)
            return ConfigError(self.path, message, line, key)
        return ConfigError(
            self.path, message, _line_of(self.text, table, key), f"[{table}] {key}" if key else f"[{table}]"
        )

    def convert(self, data: Any, schema: type[T], table: str = "") -> T:
        """``data`` as ``schema``; a ConfigError in the file's terms when it does not fit."""
        try:
            return msgspec.convert(data, schema)
        except msgspec.ValidationError as exc:
            raise self._explain(str(exc), data, schema, table) from None

    def _explain(self, error: str, data: Any, schema: type, table: str) -> ConfigError:
        message, _, where = error.partition(" - at `$")
        inner = [step for step in where.rstrip("`").split(".") if step]
        steps = [*table.split("."), *inner] if table else inner
        if unknown := _UNKNOWN.match(message):
            if not steps:
                known = ", ".join(f"[{name}]" for name in ConfigFile.__struct_fields__)
                return self.error("", unknown["key"], f"unknown section (known: {known})")
            fields = (schema if table else TABLES[steps[0]]).__struct_fields__
            return self.error(".".join(steps), unknown["key"], f"unknown key (known: {', '.join(sorted(fields))})")
        if _MISSING.match(message):
            return self.error(".".join(steps), None, "a preset needs a source")
        key, owner = steps[-1], ".".join(steps[:-1])
        if not owner:  # a whole section of the wrong kind
            return self.error("", key, "must be a table")
        value = _value(data, inner)
        if _RANGE.match(message) or key in RANGES:
            return self.error(owner, key, f"{RANGES.get(key, 'is out of range')}, not {value!r}")
        expected = _EXPECTED.match(message)
        kind = expected["kind"].removesuffix(" | null") if expected else ""
        if kind == "object" and key == "options":
            return self.error(owner, key, 'must be a table, e.g. options = { model = "nova-3" }')
        if kind == "object":
            return self.error(owner, key, "must be a table")
        return self.error(owner, key, f"must be {KINDS.get(kind, 'a ' + kind)}, not {value!r}")


TABLES: dict[str, type[_Table]] = {
    "backend": BackendTable, "recording": RecordingTable, "reconnect": ReconnectTable, "prices": PricesTable,
    "monitor": MonitorTable,
}  # fmt: skip


def _value(data: Any, steps: list[str]) -> Any:
    for step in steps:
        data = data.get(step) if isinstance(data, dict) else None
    return data


def load_config(path: Path | None = None, environ: Mapping[str, str] = os.environ) -> Config:
    """The file's settings (dgtui's defaults when there is no file); raises ConfigError when it is wrong."""
    path = path or config_path(environ)
    config = Config(path=path)
    if not path.exists():
        return config
    file = _File(path, _read(path))
    try:
        data = tomllib.loads(file.text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _toml_error_line(str(exc))
        raise ConfigError(path, f"is not valid TOML: {str(exc).split(' (at line')[0]}", line) from None
    config.exists = True
    tables = file.convert(data, ConfigFile)
    backend = tables.backend
    if backend.url and not re.match(r"(wss?|https?)://", backend.url):
        raise file.error("backend", "url", f"{backend.url!r} is not a ws://, wss:// or http(s):// URL")
    config.options = _options(tables.defaults, lambda key, message: file.error("defaults", key, message))
    config.url, config.local, config.key_env, config.token = backend.url, backend.local, backend.key_env, backend.token
    if backend.key:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise file.error(
                "backend",
                "key",
                f"refusing to use a key stored in a file others can read (mode {mode:04o}). "
                f"Run: chmod 600 {path}  (or keep the key in the environment, {config.key_env})",
            )
        register_secret(backend.key)
        config.key = backend.key
    config.record = tables.recording.enabled
    config.record_dir = Path(tables.recording.dir).expanduser() if tables.recording.dir else None
    config.recording = _recording_policy(tables.recording)
    config.reconnect = _reconnect(tables.reconnect)
    config.prices = _prices(tables.prices, file) if "prices" in data else DEFAULT_PRICES
    config.silence_after = float(tables.monitor.silence_after)
    for command in ("serve", "tap"):
        specs = list(getattr(tables.faults, command))
        for spec in specs:
            try:
                parse_fault(spec)
            except FaultError as exc:
                raise file.error("faults", command, str(exc).removeprefix("--fault ")) from None
        config.faults[command] = specs
    config.metrics = _metrics(tables.metrics, file)
    for name, table in tables.presets.items():
        where = f"presets.{name}"
        preset = file.convert(table, PresetTable, where)
        options = _options(preset.options, lambda key, message, t=where: file.error(t, f"options.{key}", message))
        config.presets[name] = Preset(name, preset.source, preset.backend, options, list(preset.lanes))
    return config


def metrics_address(text: str) -> tuple[str, int]:
    """Where metrics are served: ``HOST:PORT``, ``:PORT`` or ``PORT`` (on 127.0.0.1); raises ValueError saying
    what is expected."""
    host, sep, port = text.strip().rpartition(":")
    host = host.strip("[]") if sep else ""
    try:
        number = int(port)
    except ValueError:
        raise ValueError(f"expected HOST:PORT or PORT (e.g. 127.0.0.1:9464), got {text!r}") from None
    if not 0 <= number <= 65535:
        raise ValueError(f"expected a port 0-65535, got {number}")
    return host or "127.0.0.1", number


def _metrics(table: MetricsTable, file: _File) -> MetricsSettings:
    commands = {name: getattr(table, name) for name in ("tui", "stream", "bench", "tap", "serve")}
    for key, value in (("listen", table.listen), *commands.items()):
        if value is not None:
            try:
                metrics_address(value)
            except ValueError as exc:
                raise file.error("metrics", key, str(exc)) from None
    return MetricsSettings(table.listen, {k: v for k, v in commands.items() if v}, table.grace_seconds,
                           table.linger_seconds)  # fmt: skip


def _recording_policy(table: RecordingTable) -> RecordingPolicy:
    max_bytes = int(table.max_gb * 1e9) if table.max_gb is not None else None
    return RecordingPolicy(segment_seconds=table.segment_minutes * 60, segment_bytes=int(table.segment_mb * 1e6),
                           compress=table.compress, retention=Retention(table.keep_days, max_bytes))  # fmt: skip


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(path, f"cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(path, "is not UTF-8 text") from None


def _toml_error_line(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None


def _reconnect(table: ReconnectTable) -> dict[str, Any]:
    """[reconnect] as SessionConfig fields (the schema checked them by the command line's rules)."""
    settings: dict[str, Any] = {}
    if table.attempts is not None:
        settings["reconnect_attempts"] = table.attempts
    if table.buffer_seconds is not None:
        settings["buffer_seconds"] = float(table.buffer_seconds)
    if table.resend is not None:
        settings["resend"] = table.resend
    return settings


def _prices(table: PricesTable, file: _File) -> Prices:
    """[prices] over dgtui's defaults: a model or add-on set here replaces the default's rate, the rest stay."""
    for kind, rates in (("models", table.models), ("addons", table.addons)):
        for key, rate in rates.items():
            if rate < 0:
                message = f"must be a price of 0 or more (USD per audio minute), not {rate}"
                raise file.error(f"prices.{kind}", key, message)
    return Prices(
        models={**DEFAULT_MODEL_PRICES, **table.models},
        addons={**DEFAULT_ADDON_PRICES, **table.addons},
        as_of=table.as_of or (DEFAULT_AS_OF if not (table.models or table.addons) else "an undated day"),
        origin="config file" if table.models or table.addons else "dgtui's defaults",
        streams=table.streams,
        all_backends=table.all_backends,
    )


def _options(table: dict[str, Any], fail: Any) -> dict[str, Any]:
    """Deepgram options checked by the same rules a server applies to the query string."""
    options = {}
    for key, value in table.items():
        if isinstance(value, dict):
            raise fail(key, "must be a value, not a table")
        if isinstance(value, list) and not all(isinstance(v, str | int | float | bool) for v in value):
            raise fail(key, "a list may hold only plain values")
        try:
            parse_query(encode_query({key: value}))
        except OptionError as exc:
            raise fail(key, str(exc)) from None
        options[key] = value
    return options


def describe(config: Config, effective: Mapping[str, Any]) -> str:
    """``dgtui config show``: every effective setting and where it came from, the key masked."""
    lines = [f"# config file: {config.path}" + ("" if config.exists else " (not found: dgtui's defaults)")]
    for key, (value, origin) in effective.items():
        shown = MASK if key == "key" and value else value
        lines.append(f"{key} = {shown!r}  # {origin}")
    return "\n".join(lines) + "\n"


def write_example(path: Path) -> None:
    """``dgtui config init``: a commented example; refuses to overwrite a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8") as f:
        f.write(EXAMPLE)
    os.chmod(path, 0o600)
