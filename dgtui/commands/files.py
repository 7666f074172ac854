"""The commands about files: ``export``, ``replay``, ``sessions`` and ``config``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dgtui.judge.rundiff import Pair


def add_file_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    export = commands.add_parser(
        "export",
        help="write a recorded session's transcript as txt, SRT, WebVTT or JSON",
        description="Finals only, grouped into utterances, with speaker labels; subtitle cues timed from words.",
    )
    export.add_argument("file", type=Path, metavar="FILE", help="a recording (.jsonl; see dgtui sessions)")
    export.add_argument("--format", "-f", choices=["txt", "srt", "vtt", "json"], default="txt")
    export.add_argument("-o", "--output", type=Path, metavar="OUT", help="write here (default: standard output)")
    export.add_argument(
        "--from",
        dest="start",
        metavar="TIME",
        help="only utterances from this far into the audio (90, 1:30, 1:02:03 or 1h30m)",
    )
    export.add_argument("--to", dest="end", metavar="TIME", help="only utterances that start before this")

    replay = commands.add_parser(
        "replay",
        help="open recorded sessions in the app with their original timing",
        description="Replay recordings in the app: p pauses, < and > change the speed, J jumps to the end.",
    )
    replay.add_argument("files", nargs="+", type=Path, metavar="FILE")
    replay.add_argument("--speed", type=float, default=1.0, help="playback speed (default 1)")

    sessions = commands.add_parser("sessions", help="list recorded sessions")
    sessions.add_argument("--dir", type=Path, help="where to look (default: where dgtui records)")
    sessions.add_argument("--json", action="store_true", help="one JSON object per recording")
    sessions.add_argument("--name", help="only those whose name holds this (any case)")
    sessions.add_argument("--date", metavar="YYYY-MM-DD", help="only those started that day (UTC), or month (YYYY-MM)")
    sessions.add_argument("--request-id", metavar="ID", help="only the one with this request id (or its beginning)")

    diff = commands.add_parser(
        "diff",
        help="compare two runs (recordings or --report files): figures, transcripts, and whether they compare",
        description="Figures side by side with their change, the transcripts' word diff, and a warning when the "
        "manifests say the runs differ in audio, pacing, chunk size, normaliser or reference.",
    )
    diff.add_argument("before", type=Path, metavar="A", help="a recording (.jsonl) or a report (.md)")
    diff.add_argument("after", type=Path, metavar="B")
    diff.add_argument("--json", action="store_true", help="the comparison as one JSON object")
    diff.add_argument("--report", metavar="FILE.html", help="also write both runs side by side as HTML with charts")

    config = commands.add_parser(
        "config",
        help="the configuration file: path, init, check, show",
        description="Precedence: command line > environment > config file > dgtui's defaults.",
    )
    config.add_argument("action", choices=["path", "init", "check", "show"])


def _fail(message: str) -> int:
    print(f"dgtui: {message}", file=sys.stderr)
    return 2


def diff_command(args: argparse.Namespace) -> int:
    from dgtui.headless.tables import print_rows
    from dgtui.judge.rundiff import RunError, pairs, table, word_diff_text
    from dgtui.recordings.runs import read_run

    try:
        before, after = read_run(args.before), read_run(args.after)
    except RunError as exc:
        return _fail(str(exc))
    matched, alone = pairs(before, after)
    if args.report and matched and _write_diff_report(args.report, before.label, after.label, matched, alone):
        return 2
    if args.json:
        print(json.dumps({"type": "dgtui.Diff", "before": before.label, "after": after.label, "pairs": [
            {"before": p.before.name, "after": p.after.name, "comparable": not p.warnings, "warnings": p.warnings,
             "figures": {c.metric: {"before": c.before, "after": c.after, "change": c.delta} for c in p.changes},
             "words": word_diff_text(p.words)} for p in matched], "unmatched": alone}))  # fmt: skip
        return 0
    print(f"A: {before.label}\nB: {after.label}")
    for pair in matched:
        name = pair.before.name if pair.before.name == pair.after.name else f"{pair.before.name} -> {pair.after.name}"
        print(f"\n{name}")
        for warning in pair.warnings:
            print(f"  ! not comparable: {warning}")
        print_rows([("  metric", "A", "B", "change"), *(("  " + row[0], *row[1:]) for row in table(pair))], sys.stdout)
        words = word_diff_text(pair.words)
        if pair.before.transcript != pair.after.transcript:
            print(f"  words (A [-..-], B {{+..+}}): {words or '(none)'}")
        else:
            print("  words: the same transcript")
    if alone:
        print(f"\nin one run only: {', '.join(alone)}")
    if not matched:
        print("\nnothing to compare: no stream or lane of the same name in both", file=sys.stderr)
        return 1
    return 0


def _write_diff_report(path: str, before: str, after: str, matched: list[Pair], alone: list[str]) -> bool:
    """``--report FILE.html``; True when it could not be written (said)."""
    from dgtui.judge.html_report import diff_report
    from dgtui.recordings.export import write_atomic

    try:
        write_atomic(Path(path).expanduser(), diff_report(before, after, matched, alone))
    except OSError as exc:
        _fail(f"cannot write the report {path}: {exc.strerror or exc}. Check the directory.")
        return True
    print(f"dgtui: diff written to {path}", file=sys.stderr)
    return False


def export_command(args: argparse.Namespace) -> int:
    from dgtui.recordings.export import TimeRange, export_recording, parse_offset, write_atomic
    from dgtui.recordings.format import RecordingError

    try:
        start = parse_offset(args.start) if args.start else 0.0
        end = parse_offset(args.end) if args.end else None
    except ValueError as exc:
        return _fail(f"--from/--to: {exc}")
    if end is not None and end <= start:
        return _fail(f"--to ({args.end}) must come after --from ({args.start or 0})")
    try:
        text = export_recording(args.file, args.format, TimeRange(start, end))
    except FileNotFoundError:
        return _fail(f"{args.file}: no such file. 'dgtui sessions' lists the recordings.")
    except (RecordingError, OSError, UnicodeDecodeError, EOFError) as exc:
        return _fail(f"{exc}")
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        write_atomic(args.output, text)
    except OSError as exc:
        return _fail(f"cannot write {args.output}: {exc.strerror or exc}")
    print(f"dgtui: wrote {args.output}", file=sys.stderr)
    return 0


def recordings_dir(args: argparse.Namespace) -> Path:
    """Where ``dgtui sessions`` looks: --dir, else where dgtui records (even when recording is turned off)."""
    if getattr(args, "dir", None):
        return args.dir
    from dgtui.config.file import load_config
    from dgtui.config.settings import recording_dir

    config = load_config()
    config.record = True  # listing old recordings does not depend on recording new ones
    folder, _ = recording_dir(config)
    assert folder is not None
    return folder


def sessions_command(args: argparse.Namespace) -> int:
    from dgtui.config.file import ConfigError
    from dgtui.recordings.catalog import Filters, catalog
    from dgtui.recordings.listing import RecordingInfo

    try:
        folder = recordings_dir(args)
    except ConfigError as exc:
        return _fail(str(exc))
    filters = Filters(args.name, args.date, args.request_id)
    found = catalog(folder, filters) if folder.exists() else []
    if args.json:
        for info in found:
            print(json.dumps({"path": str(info.path), "name": info.name, "started": info.started,
                              "audio_seconds": round(info.duration, 3), "request_id": info.request_id,
                              "model": info.model, "source": info.source,
                              "request_ids": list(info.request_ids)}))  # fmt: skip
        return 0
    if not found:
        which = "that match" if filters != Filters() else ""
        print(f"dgtui: no recordings {which + ' ' if which else ''}in {folder}", file=sys.stderr)
        return 0
    rows = [(*RecordingInfo.COLUMNS, "file"), *((*info.cells(), str(info.path)) for info in found)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return 0


def replay_command(args: argparse.Namespace) -> int:
    from dgtui.judge.compare import LaneGroup
    from dgtui.recordings.format import RecordingError
    from dgtui.recordings.player import PlayerRunner
    from dgtui.recordings.replay import ReplaySession
    from dgtui.tui.app import DgtuiApp

    if not 0.1 <= args.speed <= 64:
        return _fail("--speed must be between 0.1 and 64")
    sessions = []
    for path in args.files:
        try:
            sessions.append(ReplaySession(path, speed=args.speed))
        except FileNotFoundError:
            return _fail(f"{path}: no such file. 'dgtui sessions' lists the recordings.")
        except (RecordingError, OSError, UnicodeDecodeError) as exc:
            return _fail(str(exc))
    label = f"replay of {len(sessions)} recording{'s' if len(sessions) != 1 else ''} at {args.speed:g}x"
    groups = LaneGroup.from_headers([session.header for session in sessions])  # lanes recorded together
    app = DgtuiApp(PlayerRunner(sessions), backend_label=label, groups=groups)
    return app.run() or 0


def config_command(args: argparse.Namespace) -> int:
    from dgtui.config.file import ConfigError, config_path, describe, load_config, write_example

    path = config_path()
    if args.action == "path":
        print(path)
        return 0
    if args.action == "init":
        try:
            write_example(path)
        except FileExistsError:
            return _fail(f"{path} exists already; edit it, or move it away first")
        except OSError as exc:
            return _fail(f"cannot write {path}: {exc.strerror or exc}")
        print(f"dgtui: wrote {path} (a commented example; 'dgtui config check' validates it)")
        return 0
    try:
        config = load_config(path)
    except ConfigError as exc:
        return _fail(str(exc))
    if args.action == "check":
        state = "is valid" if config.exists else "does not exist: dgtui uses its defaults ('dgtui config init')"
        print(f"dgtui: {path} {state}")
        return 0
    from dgtui.config.backend import BackendError
    from dgtui.config.flags import add_recording_arguments, add_stream_arguments
    from dgtui.config.settings import resolve

    parser = argparse.ArgumentParser(add_help=False)
    add_stream_arguments(parser)
    add_recording_arguments(parser)
    try:
        settings = resolve(parser.parse_args([]), config)
    except BackendError as exc:
        return _fail(str(exc))
    sys.stdout.write(describe(config, settings.origins))
    return 0
