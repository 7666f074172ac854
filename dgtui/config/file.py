"""dgtui's configuration file: default options, the backend, where the key comes from, recording, presets.

A TOML file at the platform's user config path (``DGTUI_CONFIG`` overrides it). Precedence, highest first:
command line > environment (``DEEPGRAM_API_KEY`` or the variable ``key_env`` names, ``DGTUI_URL``,
``DGTUI_DATA_DIR``) > this file > dgtui's defaults. A bad file is a :class:`ConfigError` that names the file,
the line and the key; a key stored in the file is used only when the file is readable by its owner alone.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dgtui.protocol.options import OptionError, encode_query, parse_query
from dgtui.protocol.secrets import MASK, register_secret

SECTIONS = {
    "defaults": None,  # any Deepgram option
    "backend": {"url", "local", "key_env", "key", "token"},
    "recording": {"enabled", "dir"},
    "reconnect": {"attempts", "buffer_seconds", "resend"},
    "presets": None,  # tables of {source, backend, options}
}
PRESET_KEYS = {"source", "backend", "options"}
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

[reconnect]
# A dropped connection is opened again, backing off from 0.5 s up to 8 s between attempts.
# attempts = 5                               # failed attempts in a row before giving up (0: never reconnect)
# buffer_seconds = 30                        # audio kept while disconnected; older audio is dropped
# resend = true                              # send the audio since the last final again (Deepgram bills it)

# Named streams: dgtui --preset radio
# [presets.radio]
# source = "https://stream.example.org/news.mp3"
# backend = "local"                          # "deepgram", "local", "default", or a ws(s):// URL
# options = { model = "nova-3", diarize = true }
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


def load_config(path: Path | None = None, environ: Mapping[str, str] = os.environ) -> Config:  # noqa: C901 (hand-rolled validation, to become a msgspec schema)
    """The file's settings (dgtui's defaults when there is no file); raises ConfigError when it is wrong."""
    path = path or config_path(environ)
    config = Config(path=path)
    if not path.exists():
        return config
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(path, f"cannot read it: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(path, "is not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _toml_error_line(str(exc))
        raise ConfigError(path, f"is not valid TOML: {str(exc).split(' (at line')[0]}", line) from None
    config.exists = True

    def fail(table: str, key: str | None, message: str) -> ConfigError:
        return ConfigError(path, message, _line_of(text, table, key), f"[{table}] {key}" if key else f"[{table}]")

    for section, value in data.items():
        if section not in SECTIONS:
            known = ", ".join(f"[{s}]" for s in SECTIONS)
            raise ConfigError(path, f"unknown section (known: {known})", _line_of(text, section, None), section)
        if not isinstance(value, dict):
            raise ConfigError(path, "must be a table", _line_of(text, "", section), section)
        allowed = SECTIONS[section]
        if allowed is not None:
            for key in value:
                if key not in allowed:
                    raise fail(section, key, f"unknown key (known: {', '.join(sorted(allowed))})")

    config.options = _options(data.get("defaults", {}), lambda key, message: fail("defaults", key, message))
    backend = data.get("backend", {})
    config.url = _typed(backend, "url", str, lambda k, m: fail("backend", k, m))
    config.local = bool(_typed(backend, "local", bool, lambda k, m: fail("backend", k, m)) or False)
    config.key_env = _typed(backend, "key_env", str, lambda k, m: fail("backend", k, m)) or "DEEPGRAM_API_KEY"
    config.token = bool(_typed(backend, "token", bool, lambda k, m: fail("backend", k, m)) or False)
    if config.url and not re.match(r"(wss?|https?)://", config.url):
        raise fail("backend", "url", f"{config.url!r} is not a ws://, wss:// or http(s):// URL")
    key = _typed(backend, "key", str, lambda k, m: fail("backend", k, m))
    if key:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise fail(
                "backend",
                "key",
                f"refusing to use a key stored in a file others can read (mode {mode:04o}). "
                f"Run: chmod 600 {path}  (or keep the key in the environment, {config.key_env})",
            )
        register_secret(key)
        config.key = key
    recording = data.get("recording", {})
    enabled = _typed(recording, "enabled", bool, lambda k, m: fail("recording", k, m))
    config.record = True if enabled is None else enabled
    folder = _typed(recording, "dir", str, lambda k, m: fail("recording", k, m))
    config.record_dir = Path(folder).expanduser() if folder else None
    config.reconnect = _reconnect(data.get("reconnect", {}), lambda k, m: fail("reconnect", k, m))
    for name, preset in data.get("presets", {}).items():
        table = f"presets.{name}"
        if not isinstance(preset, dict):
            raise ConfigError(path, "must be a table", _line_of(text, "presets", name), f"[presets] {name}")
        for key in preset:
            if key not in PRESET_KEYS:
                raise fail(table, key, f"unknown key (known: {', '.join(sorted(PRESET_KEYS))})")
        source = _typed(preset, "source", str, lambda k, m, t=table: fail(t, k, m))
        if not source:
            raise fail(table, None, "a preset needs a source")
        options = preset.get("options", {})
        if not isinstance(options, dict):
            raise fail(table, "options", 'must be a table, e.g. options = { model = "nova-3" }')
        config.presets[name] = Preset(
            name,
            source,
            _typed(preset, "backend", str, lambda k, m, t=table: fail(t, k, m)) or "default",
            _options(options, lambda key, message, t=table: fail(t, f"options.{key}", message)),
        )
    return config


def _toml_error_line(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None


def _reconnect(table: dict[str, Any], fail: Any) -> dict[str, Any]:
    """[reconnect] as SessionConfig fields, checked by the same rules as the command line's flags."""
    settings: dict[str, Any] = {}
    attempts = _typed(table, "attempts", int, fail)
    if attempts is not None:
        if isinstance(attempts, bool) or not 0 <= attempts <= MAX_RECONNECT_ATTEMPTS:
            raise fail("attempts", f"must be a whole number from 0 to {MAX_RECONNECT_ATTEMPTS}, not {attempts!r}")
        settings["reconnect_attempts"] = attempts
    buffer = table.get("buffer_seconds")
    if buffer is not None:
        if isinstance(buffer, bool) or not isinstance(buffer, int | float) or not 0 <= buffer <= MAX_BUFFER_SECONDS:
            raise fail("buffer_seconds", f"must be seconds from 0 to {MAX_BUFFER_SECONDS}, not {buffer!r}")
        settings["buffer_seconds"] = float(buffer)
    resend = _typed(table, "resend", bool, fail)
    if resend is not None:
        settings["resend"] = resend
    return settings


def _typed(table: dict[str, Any], key: str, kind: type, fail: Any) -> Any:
    value = table.get(key)
    if value is not None and not isinstance(value, kind):
        raise fail(key, f"must be {'true or false' if kind is bool else 'a ' + kind.__name__}, not {value!r}")
    return value


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
