"""``dgtui tap``: the flags checked and turned into a :class:`~dgtui.tap.runner.TapRunner`, then the app (streams
as cards and tabs, flows in a tab of their own) or, headless, the printer."""

from __future__ import annotations

import argparse
import asyncio
import ssl
import sys

from dgtui.commands.engine import LocalEngine
from dgtui.commands.metrics import start_exporter, watch_state
from dgtui.config.file import ConfigError, load_config
from dgtui.config.settings import recording_dir
from dgtui.headless.tap import run_tap
from dgtui.metrics.exporter import MetricsError
from dgtui.metrics.labels import backend_label
from dgtui.protocol.faults import FaultError, FaultPlan
from dgtui.tap.runner import TapError, TapRunner

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class TapFlagError(ValueError):
    """Flags that cannot work together, said before anything listens."""


def _listening_tls(args: argparse.Namespace) -> ssl.SSLContext | None:
    host = args.listen[0]
    if bool(args.cert) != bool(args.key):
        raise TapFlagError("--cert and --key go together: give the certificate and its private key (PEM)")
    if host not in LOOPBACK:
        if not args.allow_remote:
            raise TapFlagError(f"refusing to listen on {host}: the app's key would cross the network. Listen on "
                               "127.0.0.1, or pass --allow-remote with --cert and --key (wss://).")  # fmt: skip
        if not args.cert:
            raise TapFlagError(f"listening on {host} needs --cert and --key: the app's key must not cross the "
                               "network in clear (wss://)")  # fmt: skip
    if not args.cert:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(args.cert, args.key)
    except (OSError, ssl.SSLError) as exc:
        raise TapFlagError(f"cannot load --cert {args.cert} / --key {args.key}: {exc}. Give a PEM certificate "
                           "and its private key.") from None  # fmt: skip
    return context


def build_runner(args: argparse.Namespace) -> TapRunner:
    """The tap the flags ask for; raises :class:`TapFlagError` (or ConfigError) with what to fix."""
    _listening_tls(args)  # the certificate read now: a bad one is said before anything starts
    config = load_config()
    record_dir, _ = recording_dir(config, flag=args.record_dir, off=args.no_record)
    if args.keep_audio and record_dir is None:
        raise TapFlagError("--keep-audio keeps the audio beside each stream's recording: drop --no-record")
    faults = config.faults.get("tap", []) + list(args.fault)  # the config file's [faults] tap, then the flags'
    try:
        FaultPlan.parse(faults)
    except FaultError as exc:
        raise TapFlagError(str(exc)) from None
    engine, upstream = (LocalEngine(streams=4), "ws://127.0.0.1:9") if args.local else (None, args.upstream)
    host, port = args.listen
    try:
        return TapRunner(upstream, ca=args.ca, host=host, port=port, cert=args.cert, key=args.key,
                         record_dir=record_dir, keep_audio=args.keep_audio, record_policy=config.recording,
                         engine=engine, faults=faults)  # fmt: skip  # --local: the engine's URL, once it runs
    except ValueError as exc:
        raise TapFlagError(f"--upstream: {exc}") from None
    except (OSError, ssl.SSLError) as exc:
        raise TapFlagError(f"--ca {args.ca}: {getattr(exc, 'strerror', None) or exc}. Give a PEM CA "
                           "bundle.") from None  # fmt: skip


def run_tap_command(args: argparse.Namespace) -> int:
    try:
        runner = build_runner(args)
        exporter = start_exporter(args.metrics, load_config(), "tap")
    except (TapFlagError, ConfigError, MetricsError) as exc:
        print(f"dgtui tap: {exc}", file=sys.stderr)
        return 2
    if exporter is not None:
        upstream = "local" if args.local else backend_label("url", runner.upstream.root)
        runner.on_adopt.append(lambda session: watch_state(exporter, session.state, upstream))
    headless = args.json or args.headless or not sys.stdout.isatty()
    try:
        if headless:
            return asyncio.run(run_tap(runner, json_mode=args.json, show_interim=args.interim))
        return _app(runner, exporter.url if exporter is not None else None)
    except KeyboardInterrupt:
        return 130
    except TapError as exc:
        print(f"dgtui tap: {exc}. Pick another --listen (port 0 picks a free one).", file=sys.stderr)
        return 1


def _app(runner: TapRunner, metrics_url: str | None) -> int:
    from dgtui.tui.app import DgtuiApp

    where = "the local engine" if runner.engine is not None else runner.upstream.root
    app = DgtuiApp(runner, backend_label=f"tap → {where}", record_dir=runner.record_dir, metrics_url=metrics_url)
    return app.run() or 0
