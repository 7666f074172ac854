"""Command line: ``dgtui [SOURCE ...]`` and its subcommands. Wires the layers together, holds no logic."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from dgtui import __version__


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text}")
    return value


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
        description="Serve Deepgram's live protocol (/v1/listen) on the offline pocketsphinx engine.",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, loopback only)"
    )
    serve.add_argument(
        "--port", type=_port, default=8080, help="port to listen on; 0 picks a free one (default: 8080)"
    )
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
        "--max-connections", type=int, default=32, help="concurrent streams before HTTP 429 (default: 32)"
    )
    serve.add_argument(
        "--warm-workers", type=int, default=2, help="engine processes kept loaded and ready (default: 2)"
    )
    return parser


def _serve(args: argparse.Namespace) -> int:
    from dgtui.server.app import ServerConfig, run_server

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
        warm_workers=max(0, args.warm_workers),
    )
    try:
        asyncio.run(run_server(config))
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        print(
            f"dgtui serve: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}. "
            "Pick another --port (0 picks a free one).",
            file=sys.stderr,
        )
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    parser.print_help()
    return 0
