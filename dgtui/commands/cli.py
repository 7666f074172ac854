"""Command line: ``dgtui [SOURCE ...]`` and its subcommands, parsed and dispatched. The planning of a run (what
the flags ask for, checked, as streams) is :mod:`dgtui.commands.plan`."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from dgtui import __version__
from dgtui.commands.files import (
    add_file_commands,
    config_command,
    diff_command,
    export_command,
    replay_command,
    sessions_command,
)
from dgtui.commands.metrics import add_metrics_argument, add_metrics_command, metrics_command, with_metrics
from dgtui.config.flags import (
    add_gate_arguments,
    add_recording_arguments,
    add_stream_arguments,
    source_settings,
)
from dgtui.server.engine_info import ENGINES

if TYPE_CHECKING:
    from dgtui.config.file import Config
    from dgtui.judge.compare import LaneGroup
    from dgtui.live.runner import StreamRunner
    from dgtui.live.session import LiveSession
    from dgtui.metrics.exporter import MetricsExporter
    from dgtui.tui.app import DgtuiApp


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text}")
    return value


def _duration(text: str) -> float:
    """``1s``, ``800ms`` or seconds, as seconds."""
    number, unit = (text[:-2], 0.001) if text.endswith("ms") else (text.removesuffix("s"), 1.0)
    try:
        value = float(number) * unit
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a time such as 1s or 800ms, got {text}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a time > 0, got {text}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text}") from None
    if not 1 <= value <= 10_000:
        raise argparse.ArgumentTypeError(f"expected 1 to 10000, got {text}")
    return value


def _engine(text: str) -> str:
    """An engine's name, or ``script:FILE`` (read now: a script that cannot be read is said before anything
    starts)."""
    if text.startswith("script:"):
        from dgtui.server.engine.scripted import ScriptError, read_script

        try:
            read_script(Path(text.removeprefix("script:")).expanduser())
        except ScriptError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        return "script:" + str(Path(text.removeprefix("script:")).expanduser().resolve())
    if text not in ENGINES:
        raise argparse.ArgumentTypeError(f"expected {', '.join(ENGINES)} or script:FILE, got {text}")
    return text


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port 0-65535, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dgtui", description="Watch Deepgram live transcription streams from the terminal."
    )
    parser.add_argument("--version", action="version", version=f"dgtui {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="run a local Deepgram-compatible live server on the offline engine",
        description="Serve Deepgram's live protocols (/v1/listen, /v2/listen) on the offline pocketsphinx engine, "
        "placeholder words (synthetic), a script, or recordings served back; with faults on demand.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, loopback only)")
    serve.add_argument("--port", type=_port, default=8080, help="port to listen on; 0 picks a free one (default: 8080)")
    serve.add_argument(
        "--api-key",
        default=os.environ.get("DGTUI_SERVE_API_KEY"),
        help="require this key (Authorization: Token KEY); default from DGTUI_SERVE_API_KEY, else no auth",
    )
    serve.add_argument(
        "--idle-timeout",
        type=_positive_float,
        default=10.0,
        help="seconds without frames before NET-0001 (default: 10)",
    )
    serve.add_argument(
        "--workers", type=_count, help="engine processes, each serving many streams (default: one per core)"
    )
    serve.add_argument(
        "--capacity", type=_count,
        help="concurrent streams admitted before HTTP 429 (default: measured: what the engine keeps up with in "
        "real time)",
    )  # fmt: skip
    serve.add_argument(
        "--max-connections", type=_count, default=1000,
        help="a ceiling on concurrent streams whatever the capacity (default: 1000)",
    )  # fmt: skip
    serve.add_argument("--warm-workers", type=int, help=argparse.SUPPRESS)  # before the shared pool; now ignored
    add_fault_argument(serve)
    serve.add_argument("--replay", nargs="+", metavar="RECORDING", default=[],
                       help="serve back these recordings (dgtui's own, or a real Deepgram stream recorded by dgtui "
                       "tap) instead of an engine, each message sent when the client's audio reaches it")  # fmt: skip
    serve.add_argument(
        "--keep-request-id",
        action="store_true",
        help="with --replay: answer with the recording's request id rather than a fresh one",
    )
    add_metrics_argument(serve)
    serve.add_argument("--log", metavar="FILE", help="the --json lines written to FILE (the console stays as it is)")
    serve.add_argument("--json", action="store_true",
                       help="one line per thing each client did (the handshake, its audio, controls, diagnoses, "
                       "faults fired, the close), as dgtui tap --json prints them")  # fmt: skip
    serve.add_argument(
        "--engine", type=_engine, default="pocketsphinx", metavar="ENGINE",
        help="pocketsphinx (default: offline recognition); synthetic: the same messages at the pace of the "
        "speech, with placeholder words, at a fraction of the CPU (load tests, soaks); script:FILE: the words and "
        "times a file gives (START END words lines, SRT/WebVTT, or a JSON reference), whatever audio comes",
    )  # fmt: skip
    stream = commands.add_parser(
        "stream",
        help="run sessions without the UI, printing transcripts (or every message with --json)",
        description="Stream each SOURCE to the backend concurrently and print what comes back.",
    )
    stream.add_argument(
        "sources", nargs="*", metavar="SOURCE", help="file, http(s) URL, '-' for stdin, or mic[:DEVICE]"
    )
    stream.add_argument(
        "--json", action="store_true", help="print every server message as received, plus dgtui.* events"
    )
    stream.add_argument("--interim", action="store_true", help="print interim results too (plain output)")
    stream.add_argument("--report", metavar="FILE.md", help="with --lane: write the comparison as Markdown")
    stream.add_argument("--duration", type=_positive_float, help="stop each stream after this many seconds of audio")
    add_stream_arguments(stream)
    add_gate_arguments(stream)
    add_recording_arguments(stream)
    add_metrics_argument(stream)

    bench = commands.add_parser(
        "bench",
        help="stream the same audio N times at once and print latency figures",
        description="Measure a backend under load: SOURCE streamed by N concurrent sessions in real time.",
    )
    bench.add_argument("sources", nargs=1, metavar="SOURCE")
    bench.add_argument("--streams", type=int, default=None, help="concurrent streams (default 4)")
    bench.add_argument("--duration", type=_positive_float, help="stop after this many seconds of audio")
    bench.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    bench.add_argument("--report", metavar="FILE.md", help="with --lane: write the comparison as Markdown")
    ramp = bench.add_argument_group("capacity: --ramp raises concurrency until latency degrades or the server refuses")
    ramp.add_argument("--ramp", action="store_true", help="find the concurrency ceiling (the source loops)")
    ramp.add_argument("--max-p95", type=_duration, default=1.0, metavar="TIME",
                      help="the latency limit: interim latency p95 over a step (default 1s)")  # fmt: skip
    ramp.add_argument("--ramp-start", type=_count, default=1, metavar="N", help="streams at the first step (1)")
    ramp.add_argument("--ramp-step", type=_count, default=None, metavar="N",
                      help="streams added per step (default: doubling)")  # fmt: skip
    ramp.add_argument("--ramp-max", type=_count, default=64, metavar="N", help="the largest step (default 64)")
    ramp.add_argument("--step-seconds", type=_positive_float, default=15.0, metavar="S",
                      help="how long each step is held and measured (default 15)")  # fmt: skip
    add_stream_arguments(bench)
    add_gate_arguments(bench)
    add_metrics_argument(bench)
    add_tap_command(commands)
    add_file_commands(commands)
    add_metrics_command(commands)
    return parser


def _listen_address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT (e.g. 127.0.0.1:8081), got {text}")
    return host.strip("[]"), _port(port)


def add_fault_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fault", action="append", default=[], metavar="SPEC",
        help="inject a fault into live streams, repeatable: KIND[:key=value,...], e.g. refuse:status=429, "
        "close:code=1011,at=3s, drop:at=3s, delay:ms=500, stall:at=3s,for=5s; conn=N, p=0.2,seed=7 and path=v1|v2 "
        "on any (the README's fault table)",
    )  # fmt: skip


def add_tap_command(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    tap = commands.add_parser(
        "tap",
        help="a proxy in front of Deepgram that shows your application's own live streams",
        description="Relay an application's Deepgram traffic unchanged and show each of its live streams "
        "(/v1/listen, /v2/listen) as it goes: transcript, latency as the app experiences it, how it sends, "
        "its mistakes. Point the app's Deepgram SDK (its base URL) at the tap; everything else it sends "
        "passes through and is listed as a flow.",
    )  # fmt: skip
    tap.add_argument("--listen", type=_listen_address, default=("127.0.0.1", 8081), metavar="HOST:PORT",
                     help="where the app connects (default 127.0.0.1:8081: loopback only; 0: any port)")  # fmt: skip
    where = tap.add_mutually_exclusive_group()
    where.add_argument("--upstream", metavar="URL", default="wss://api.deepgram.com",
                       help="where the traffic goes: Deepgram's cloud (default, wss://api.deepgram.com), a "
                       "self-hosted Deepgram or dgtui serve (ws://HOST:PORT)")  # fmt: skip
    where.add_argument("--local", action="store_true", help="the embedded local engine as the upstream (offline)")
    tap.add_argument("--ca", metavar="FILE", help="verify the upstream's TLS with this CA bundle (a private CA)")
    tap.add_argument("--cert", metavar="FILE", help="serve wss:// with this certificate (PEM)")
    tap.add_argument("--key", metavar="FILE", help="the certificate's private key (PEM)")
    tap.add_argument("--allow-remote", action="store_true",
                     help="listen on an address other than loopback (needs --cert and --key: the app's key "
                     "crosses the network)")  # fmt: skip
    tap.add_argument("--json", action="store_true", help="no app: every line of dgtui stream --json, with a "
                     "stream id per connection, and one line per flow")  # fmt: skip
    tap.add_argument("--headless", action="store_true", help="no app: print each stream's finals as they come")
    tap.add_argument("--interim", action="store_true", help="print interim results too (plain output)")
    tap.add_argument("--keep-audio", action="store_true",
                     help="keep each stream's audio as the app sent it beside its recording, to run it again "
                     "as lanes (dgtui stream RECORDING --lane ...)")  # fmt: skip
    add_fault_argument(tap)
    tap.add_argument("--no-record", action="store_true", help="do not record the tapped streams")
    tap.add_argument("--record-dir", metavar="DIR", help="record into DIR (default: the user data directory)")
    add_metrics_argument(tap)


def _tap(args: argparse.Namespace) -> int:
    from dgtui.commands.tap import run_tap_command

    return run_tap_command(args)


def _stream(args: argparse.Namespace) -> int:
    from dgtui.commands.plan import gates_of, prepare, runner_for
    from dgtui.headless.run import Gates, run_sessions

    gates = gates_of(args)
    plan = prepare(args) if gates is not None else None
    if plan is None:
        return 2
    if not plan.streams:
        print("dgtui stream: give a SOURCE (or --preset NAME)", file=sys.stderr)
        return 2
    runner = runner_for(plan, args.duration)
    exporter = _exporter(args, plan.config, "stream", runner, plan.groups)
    if exporter is False:
        return 2
    try:
        return asyncio.run(with_metrics(
            run_sessions(runner, json_mode=args.json, show_interim=args.interim, groups=plan.groups,
                         report=args.report, gates=Gates(gates, args.junit)), exporter, plan.config))  # fmt: skip
    except KeyboardInterrupt:
        return 130


def _bench(args: argparse.Namespace) -> int:
    from dgtui.commands.plan import gates_of, prepare, runner_for
    from dgtui.headless.bench import run_bench
    from dgtui.headless.run import Gates

    if args.ramp:
        return _ramp(args)
    args.streams = 4 if args.streams is None else args.streams
    if args.streams < 1:
        print("dgtui: --streams must be at least 1", file=sys.stderr)
        return 2
    gates = gates_of(args)
    plan = prepare(args, copies=args.streams) if gates is not None else None
    if plan is None:
        return 2
    runner = runner_for(plan, args.duration, record=False)  # a measurement, not a session to keep
    exporter = _exporter(args, plan.config, "bench", runner, plan.groups)
    if exporter is False:
        return 2
    try:
        return asyncio.run(with_metrics(run_bench(runner, json_mode=args.json, groups=plan.groups,
                                                  report=args.report, gates=Gates(gates, args.junit)),
                                        exporter, plan.config))  # fmt: skip
    except KeyboardInterrupt:
        return 130


def _ramp(args: argparse.Namespace) -> int:
    """``dgtui bench SOURCE --ramp``: the concurrency ceiling of a backend (the source loops, in real time)."""
    from dgtui.audio.open import open_source
    from dgtui.commands.plan import Plan, prepare, runner_for
    from dgtui.headless.bench import run_ramp_command
    from dgtui.live.capacity import RampPlan
    from dgtui.protocol.flux import is_flux_model

    problems = [flag for flag, given in (("--lane", args.lane), ("--streams", args.streams), ("--fast", args.fast),
                                         ("--assert", args.gates), ("--report", args.report)) if given]  # fmt: skip
    if problems:
        print(f"dgtui bench --ramp: {', '.join(problems)} cannot be used with --ramp (it opens its own streams, "
              "in real time, and reports a ceiling)", file=sys.stderr)  # fmt: skip
        return 2
    if args.ramp_start > args.ramp_max:
        print("dgtui bench --ramp: --ramp-start is above --ramp-max", file=sys.stderr)
        return 2
    args.loop = True  # streams last as long as the ramp needs them
    plan = prepare(args)
    if plan is None:
        return 2
    source, options, backend, conditions = plan.streams[0]
    if source.error:
        print(f"dgtui: {source.error}", file=sys.stderr)
        return 2
    audio = source_settings(args, flux=is_flux_model(options.get("model")))
    ramp = RampPlan(args.ramp_start, args.ramp_step or 0, args.ramp_max, args.max_p95, args.step_seconds)
    runner = runner_for(Plan([], plan.settings, plan.config), args.duration, record=False)
    exporter = _exporter(args, plan.config, "bench", runner, [])
    if exporter is False:
        return 2
    try:
        return asyncio.run(with_metrics(run_ramp_command(runner, lambda: open_source(args.sources[0], audio), options,
                                                         backend, conditions, ramp, json_mode=args.json),
                                        exporter, plan.config))  # fmt: skip
    except KeyboardInterrupt:
        return 130


def _exporter(args: argparse.Namespace, config: Config, command: str, runner: StreamRunner,
              groups: Sequence[LaneGroup]) -> MetricsExporter | Literal[False] | None:  # fmt: skip
    """The metrics the flags or the config file ask for, watching the runner's streams; False (said) when they
    cannot be served."""
    from dgtui.commands.metrics import start_exporter, watch_runner
    from dgtui.metrics.exporter import MetricsError

    try:
        exporter = start_exporter(args.metrics, config, command)
    except MetricsError as exc:
        print(f"dgtui: {exc}", file=sys.stderr)
        return False
    if exporter is not None:
        watch_runner(exporter, runner, groups)
    return exporter


def _serve(args: argparse.Namespace) -> int:
    from dgtui.commands.serve import run_server
    from dgtui.config.file import ConfigError, load_config
    from dgtui.protocol.faults import FaultError, FaultPlan
    from dgtui.server.app import ServerConfig
    from dgtui.tap.runner import TapError

    if args.host not in ("127.0.0.1", "localhost", "::1") and not args.api_key:
        print(
            f"dgtui serve: refusing to bind {args.host} without a key: anyone who can reach it could use it. "
            "Pass --api-key KEY (or set DGTUI_SERVE_API_KEY), or bind 127.0.0.1.",
            file=sys.stderr,
        )
        return 2
    config = ServerConfig(
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        idle_timeout=args.idle_timeout,
        max_connections=args.max_connections,
        workers=args.workers,
        capacity=args.capacity,
        engine=args.engine,
        replay=tuple(args.replay),
        keep_request_id=args.keep_request_id,
    )
    from dgtui.commands.metrics import start_exporter
    from dgtui.metrics.exporter import MetricsError

    try:
        file = load_config()
        faults = file.faults.get("serve", []) + list(args.fault)  # the config file's [faults], then ours
        FaultPlan.parse(faults)
        exporter = start_exporter(args.metrics, file, "serve")
    except (FaultError, ConfigError, MetricsError) as exc:
        print(f"dgtui serve: {exc}", file=sys.stderr)
        return 2
    if args.warm_workers is not None:
        print("dgtui serve: --warm-workers is no longer needed (streams share the engine processes: see --workers); "
              "ignored", file=sys.stderr)  # fmt: skip
    try:
        asyncio.run(run_server(config, faults, args.json, args.log, exporter))
    except KeyboardInterrupt:
        return 0
    except ValueError as exc:  # a --replay recording that cannot be served
        print(f"dgtui serve: {exc}", file=sys.stderr)
        return 2
    except (OSError, TapError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc).split(": ")[-1]
        print(f"dgtui serve: cannot listen on {args.host}:{args.port}: {reason}. Pick another --port (0 picks a "
              "free one).", file=sys.stderr)  # fmt: skip
        return 1
    return 0


COMMANDS = ("serve", "tap", "stream", "bench", "diff", "export", "replay", "sessions", "config", "metrics")


def build_tui_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dgtui",
        usage="dgtui [SOURCE ...] [options]\n"
        "       dgtui {serve,tap,stream,bench,diff,export,replay,sessions,config,metrics} ...",
        description="Watch Deepgram live transcription streams in a terminal UI: one tab per SOURCE. "
        "With no SOURCE, a demo: the bundled clips as looping streams.",
        epilog="commands:\n"
        "  serve    run a local Deepgram-compatible live server on the offline engine\n"
        "  tap      a proxy in front of Deepgram that shows your application's own live streams\n"
        "  stream   run sessions without the UI, printing transcripts\n"
        "  bench    stream the same audio N times at once and print latency figures\n"
        "  diff     compare two runs (recordings or reports): figures, transcripts, comparability\n"
        "  export   write a recorded session's transcript as txt, SRT, WebVTT or JSON\n"
        "  replay   open recorded sessions in the app with their original timing\n"
        "  sessions list recorded sessions\n"
        "  config   the configuration file: path, init, check, show\n"
        "  metrics  print the Prometheus alert rules or the Grafana dashboard (--metrics serves the metrics)\n"
        "'dgtui COMMAND --help' tells more. Keys inside the app: press ?.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"dgtui {__version__}")
    parser.add_argument(
        "sources", nargs="*", metavar="SOURCE", help="file, http(s) URL, '-' for stdin, or mic[:DEVICE]"
    )
    parser.add_argument("--duration", type=_positive_float, help="stop each stream after this many seconds of audio")
    parser.add_argument(
        "--silence-after",
        type=float,
        metavar="SECONDS",
        help="flag a stream on the Overview after this long without signal or words (default 120; 0: never)",
    )
    add_stream_arguments(parser)
    add_recording_arguments(parser)
    add_metrics_argument(parser)
    return parser


FILE_COMMANDS = {
    "diff": diff_command,
    "export": export_command,
    "replay": replay_command,
    "sessions": sessions_command,
    "config": config_command,
    "metrics": metrics_command,
}


def main(argv: Sequence[str] | None = None) -> int:
    from dgtui.config.flags import FlagError
    from dgtui.config.lanes import join_lane_values

    try:
        argv = join_lane_values(sys.argv[1:] if argv is None else argv)
    except FlagError as exc:
        print(f"dgtui: {exc}", file=sys.stderr)
        return 2
    if argv and argv[0] in COMMANDS:
        args = build_parser().parse_args(argv)
        try:
            return _command(args)
        except BrokenPipeError:  # the reader went away (dgtui diff A B | head): stop quietly, as Unix tools do
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1
    return _tui(build_tui_parser().parse_args(argv))


def _command(args: argparse.Namespace) -> int:
    if args.command == "serve":
        return _serve(args)
    if args.command == "stream":
        return _stream(args)
    if args.command == "tap":
        return _tap(args)
    if args.command == "bench":
        return _bench(args)
    return FILE_COMMANDS[args.command](args)


DEMO_NOTICE = (  # one line: the most important words first, the rest cut on a narrow terminal
    "Demo on the local engine (offline) · Deepgram: set DEEPGRAM_API_KEY · your audio: dgtui FILE|URL · "
    "the clips loop; pocketsphinx, English"
)


def make_app(args: argparse.Namespace) -> DgtuiApp | None:
    """The app for ``dgtui [SOURCE ...] [flags]``, or None (after a message) when the flags cannot work.

    With no source (and no preset) it is the demo: every bundled clip as a looping stream.
    """
    from dgtui.commands.plan import open_stream_request, prepare, runner_for
    from dgtui.data import clips

    demo = not args.sources and not args.preset
    if demo:
        args.sources = [str(clip.path) for clip in clips()]
        args.loop = True
    plan = prepare(args)
    if plan is None:
        return None
    settings = plan.settings
    runner = runner_for(plan, args.duration)
    exporter = _exporter(args, plan.config, "tui", runner, plan.groups)
    if exporter is False:
        return None

    from dgtui.tui.app import DgtuiApp
    from dgtui.tui.screens.new_stream import StreamRequest

    def opener(request: StreamRequest) -> LiveSession:
        stream = open_stream_request(request, plan)
        return runner.add(stream.source, stream.options, stream.backend, conditions=stream.conditions)

    notice = DEMO_NOTICE if demo and settings.backend.kind == "local" else None
    return DgtuiApp(
        runner,
        backend_label=settings.backend.describe(),
        notice=notice,
        opener=opener,
        record_dir=settings.record_dir,
        key_name=plan.config.key_env,
        groups=plan.groups,
        silence_after=plan.config.silence_after if args.silence_after is None else max(0.0, args.silence_after),
        metrics_url=exporter.url if exporter is not None else None,
    )


def _tui(args: argparse.Namespace) -> int:
    app = make_app(args)
    if app is None:
        return 2
    return app.run() or 0
