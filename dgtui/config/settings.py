"""The effective settings of a command: command line > environment > config file > dgtui's defaults.

One place resolves them, so every command (the app, ``stream``, ``config show``) agrees, and each value
remembers where it came from.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dgtui.config.backend import BackendError, choose_backend
from dgtui.config.file import Config, MetricsSettings, Preset
from dgtui.config.flags import DEFAULTS, options_from_args, reconnect_from_args
from dgtui.live.backend import Backend, BackendKind
from dgtui.live.session import SessionConfig
from dgtui.recordings.paths import data_dir, sessions_dir
from dgtui.recordings.writer import DEFAULT_POLICY


def recording_dir(
    config: Config, environ: Mapping[str, str] = os.environ, flag: str | None = None, off: bool = False
) -> tuple[Path | None, str]:
    """Where sessions are recorded (None: not recorded), and what decided it."""
    if off:
        return None, "command line (--no-record)"
    if not config.record:
        return None, "config file (enabled = false)"
    if flag:
        return Path(flag).expanduser(), "command line (--record-dir)"
    if environ.get("DGTUI_DATA_DIR"):
        return sessions_dir(data_dir(environ)), "environment (DGTUI_DATA_DIR)"
    if config.record_dir:
        return config.record_dir, "config file"
    return sessions_dir(), "default"


class PresetError(ValueError):
    """A --preset the config file does not define."""


RECONNECT_DEFAULTS = {name: getattr(SessionConfig, name) for name in ("reconnect_attempts", "buffer_seconds", "resend")}


@dataclass
class Settings:
    backend: Backend
    options: dict[str, Any]
    record_dir: Path | None  # None: not recording
    presets: list[Preset] = field(default_factory=list)
    reconnect: dict[str, Any] = field(default_factory=dict)  # SessionConfig fields: attempts, buffer, resend
    origins: dict[str, tuple[Any, str]] = field(default_factory=dict)  # name -> (value, where it came from)


def resolve(args: argparse.Namespace, config: Config, environ: Mapping[str, str] = os.environ) -> Settings:
    """Raises BackendError (bad URL, insecure key) or PresetError naming an unknown preset."""
    origins: dict[str, tuple[Any, str]] = {}

    url, url_origin = None, "default"
    if getattr(args, "url", None):
        url, url_origin = args.url, "command line (--url)"
    elif getattr(args, "local", False):
        url_origin = "command line (--local)"
    elif environ.get("DGTUI_URL"):
        url, url_origin = environ["DGTUI_URL"], "environment (DGTUI_URL)"
    elif config.url:
        url, url_origin = config.url, "config file"
    local = bool(getattr(args, "local", False)) or (url is None and url_origin == "default" and config.local)
    if local and url_origin == "default":
        url_origin = "config file (local = true)"
    token = bool(getattr(args, "token", False)) or config.token
    backend = choose_backend(
        url,
        local,
        environ,
        allow_insecure_key=bool(getattr(args, "allow_insecure_key", False)),
        token=token,
        key_env=config.key_env,
        file_key=config.key,
    )
    origins["backend"] = (backend.kind.value, url_origin if backend.kind != "deepgram" else "default (a key is set)")
    origins["url"] = (backend.url or "(the embedded engine, on a free loopback port)", url_origin)
    key, key_origin = config.api_key(environ)
    origins["key"] = (key, key_origin)
    origins["token"] = (token, "command line (--token)" if getattr(args, "token", False) else "config file"
                        if config.token else "default")  # fmt: skip

    options = stream_options(args, config, url=backend.url)
    for name, value in options.items():
        flag_value = getattr(args, name, None)
        if flag_value is not None or any(k == name for k, _ in getattr(args, "param", [])):
            origin = "command line"
        elif name in config.options:
            origin = "config file"
        elif name in DEFAULTS:
            origin = "dgtui default"
        else:
            origin = "command line"
        origins[f"options.{name}"] = (value, origin)

    record_dir, origin = recording_dir(config, environ, getattr(args, "record_dir", None),
                                       bool(getattr(args, "no_record", False)))  # fmt: skip
    origins["recording"] = (str(record_dir) if record_dir else "off", origin)
    policy = config.recording
    policy_origin = "dgtui default" if policy == DEFAULT_POLICY else "config file"
    origins["recording.segments"] = (policy.describe(), policy_origin)
    origins["recording.retention"] = (policy.retention.describe(), policy_origin)

    reconnect = reconnect_from_args(args, config.reconnect)
    for name, default in RECONNECT_DEFAULTS.items():
        origin = ("command line" if getattr(args, name, None) is not None
                  else "config file" if name in config.reconnect else "dgtui default")  # fmt: skip
        origins[f"reconnect.{name}"] = (reconnect.get(name, default), origin)

    metrics = config.metrics
    origin = "dgtui default" if metrics == MetricsSettings() else "config file"
    flag = getattr(args, "metrics", None)
    origins["metrics"] = (flag, "command line") if flag else (metrics.listen or "off", origin)
    origins["metrics.grace_seconds"] = (metrics.grace_seconds, origin)

    presets = []
    for name in getattr(args, "preset", None) or []:
        if name not in config.presets:
            known = ", ".join(sorted(config.presets)) or "none defined"
            raise PresetError(f"no preset named {name!r} in {config.path} (known: {known})")
        presets.append(config.presets[name])
    return Settings(backend, options, record_dir, presets, reconnect=reconnect, origins=origins)


def backend_named(
    name: str,
    config: Config,
    default: Backend,
    environ: Mapping[str, str] = os.environ,
    *,
    url: str | None = None,
    token: bool = False,
    allow_insecure_key: bool = False,
) -> Backend:
    """A backend as presets and the New-stream dialog name it: ``default`` (the run's own), ``local``,
    ``deepgram`` or ``url`` (``url`` given), or a preset's URL. The key, ``key_env`` and token come from the
    config file as for the command line. Raises BackendError saying what to set."""
    token = token or config.token
    if name == "default":
        return default
    if name == "local":
        return choose_backend(None, True)
    if name == "deepgram":
        backend = choose_backend(None, False, environ, token=token, key_env=config.key_env, file_key=config.key)
        if backend.kind is not BackendKind.DEEPGRAM:
            raise BackendError(
                f"Deepgram needs a key: set {config.key_env} in the environment (or key in {config.path}), "
                "then start dgtui again"
            )
        return backend
    if name == "url" and not url:
        raise BackendError("give the backend URL (wss://.../v1/listen)")
    return choose_backend(url or name, False, environ, allow_insecure_key=allow_insecure_key, token=token,
                          key_env=config.key_env, file_key=config.key)  # fmt: skip


def stream_options(
    args: argparse.Namespace, config: Config, preset: Preset | None = None, url: str | None = None
) -> dict[str, Any]:
    """A stream's options: its flags over the preset's over the config file's ``[defaults]`` over dgtui's
    (Flux ones for a Flux model or a ``/v2/listen`` ``url``)."""
    return options_from_args(args, base={**config.options, **(preset.options if preset else {})}, url=url)
