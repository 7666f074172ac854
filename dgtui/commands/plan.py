"""The planning of a run: what the flags, the environment and the config file ask for, checked, turned into
streams (a source, its options, its backend and its audio conditions each), the lane groups to compare, and the
runner that will run them.

Every check happens here, before anything streams: a plan that cannot work is said (``dgtui: ...`` on standard
error) and none is made.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from dgtui.audio.base import AudioSource, SourceError, SourceSettings
from dgtui.audio.conditions import Conditions
from dgtui.audio.fanout import FanOut
from dgtui.audio.open import open_source, open_sources
from dgtui.commands.engine import LocalEndpoints
from dgtui.config.backend import BackendError
from dgtui.config.file import Config, ConfigError, Preset, load_config
from dgtui.config.flags import (
    FlagError,
    conditions_from_args,
    parse_stream_flags,
    source_settings,
)
from dgtui.config.lanes import Reference, find_reference, lane_args, lane_backend_choice, parse_lanes
from dgtui.config.settings import PresetError, Settings, backend_named, resolve, stream_options
from dgtui.judge.compare import LaneGroup
from dgtui.judge.gates import Gate, GateError, parse_gates
from dgtui.live.backend import Backend
from dgtui.live.runner import StreamRunner
from dgtui.protocol.flux import is_flux_model
from dgtui.recordings.kept_audio import audio_beside
from dgtui.recordings.segments import is_recording

if TYPE_CHECKING:
    from dgtui.tui.screens.new_stream import StreamRequest


class PlannedStream(NamedTuple):
    """One stream of a run, before it runs."""

    source: AudioSource
    options: dict[str, Any]
    backend: Backend
    conditions: Conditions


@dataclass
class Plan:
    """What the flags, the environment and the config file ask for, checked."""

    streams: list[PlannedStream]
    settings: Settings
    config: Config  # streams added while running resolve against it too
    groups: list[LaneGroup] = field(default_factory=list)  # lanes to compare
    judged: dict[int, Reference] = field(default_factory=dict)  # a stream's index -> its reference


def say(error: Exception) -> None:
    """A plan that cannot work, said: one line per problem (several sources can fail at once)."""
    for line in str(error).splitlines():
        print(f"dgtui: {line}", file=sys.stderr)


def prepare(args: argparse.Namespace, copies: int = 1) -> Plan | None:
    """Sources, backends and options; a clear message (and None: exit status 2) when they cannot work."""
    try:
        if getattr(args, "sources", None):
            args.sources = [recorded_audio(spec) for spec in args.sources]
        config = load_config()
        settings = resolve(args, config)
        audio = source_settings(args, flux=is_flux_model(settings.options.get("model")))
        streams: list[PlannedStream] = []
        groups: list[LaneGroup] = []
        judged: dict[int, Reference] = {}
        wanted: list[tuple[str, dict[str, Any], Backend]] = []
        if getattr(args, "lane", None):
            streams, groups = _lane_streams(args, settings, config, audio, copies, args.sources, args.lane)
        else:
            wanted = [(spec, settings.options, settings.backend) for spec in args.sources for _ in range(copies)]
        conditions = conditions_from_args(args)
        for preset in settings.presets:
            backend = backend_named(preset.backend, config, settings.backend)
            if preset.lanes:  # a preset of lanes: its source fanned out to them
                more, more_groups = _lane_streams(args, settings, config, audio, copies, [preset.source],
                                                  preset.lanes, preset, backend)  # fmt: skip
                streams, groups = streams + more, groups + more_groups
                continue
            options = stream_options(args, config, preset, url=backend.url)
            wanted += [(preset.source, options, backend) for _ in range(copies)]
        sources = open_sources([spec for spec, _, _ in wanted], audio)  # a bad one fails in its own stream
        references = _references(args, [spec for spec, _, _ in wanted])
        for source, (_, options, backend), reference in zip(sources, wanted, references, strict=True):
            if reference is not None:
                judged[len(streams)] = reference
            streams.append(PlannedStream(source, options, backend, conditions))
        return Plan(streams, settings, config, groups, judged)
    except (SourceError, BackendError, ConfigError, PresetError, FlagError) as exc:
        say(exc)
        return None


def recorded_audio(spec: str) -> str:
    """A recording given as a source stands for the audio kept beside it (``dgtui tap --keep-audio``): a
    production call run again through other settings or backends. Other sources are as given."""
    path = Path(spec).expanduser()
    if not is_recording(path.name) or not path.is_file():
        return spec
    audio = audio_beside(path)
    if audio is None:
        raise FlagError(f"{spec} is a recording without its audio: only dgtui tap --keep-audio keeps an app's "
                        "audio beside its recording. Give the audio file, or tap with --keep-audio.")  # fmt: skip
    return str(audio)


def _references(args: argparse.Namespace, specs: list[str]) -> list[Reference | None]:
    """Each stream's reference, to judge it alone: ``--reference`` (one source only), or the files beside a file
    source. None for a looping source (the demo): a reference covers one pass."""
    given = getattr(args, "reference", None)
    if given and len(set(specs)) > 1:
        raise FlagError("--reference with several sources: give one source, or put a reference beside each "
                        "(NAME.txt, .srt, .vtt or .json)")  # fmt: skip
    if getattr(args, "loop", False):
        return [None] * len(specs)
    read = {spec: find_reference(spec, given) for spec in dict.fromkeys(specs)}  # copies read it once
    return [None if read[spec].text is None else read[spec] for spec in specs]


def _lane_streams(
    args: argparse.Namespace,
    settings: Settings,
    config: Config,
    audio: SourceSettings,
    copies: int,
    sources: list[str],
    lane_texts: list[str],
    preset: Preset | None = None,
    backend: Backend | None = None,
) -> tuple[list[PlannedStream], list[LaneGroup]]:
    """Each source read once and fanned out to every lane (``--lane``, or a preset's ``lanes``): a stream per
    source and lane, and a group per source to compare."""
    lanes = parse_lanes(lane_texts)
    plans = []
    for lane in lanes:
        name, url = lane_backend_choice(lane)
        merged = lane_args(args, lane)
        lane_backend = backend_named(name, config, backend or settings.backend, url=url, token=merged.token,
                                     allow_insecure_key=merged.allow_insecure_key)  # fmt: skip
        options = stream_options(merged, config, preset, url=lane_backend.url)
        plans.append((options, lane_backend, conditions_from_args(merged)))
    streams: list[PlannedStream] = []
    groups: list[LaneGroup] = []
    specs = [spec for spec in sources for _ in range(copies)]
    copy_of: Counter[str] = Counter()
    references: dict[str, Reference] = {}
    for spec, source in zip(specs, open_sources(specs, audio), strict=True):
        fanout = FanOut(source, [lane.name for lane in lanes])
        names = []
        copy_of[source.name] += 1  # copies (dgtui bench --streams N) named apart now: their groups name them
        prefix = source.name if copy_of[source.name] == 1 else f"{source.name}#{copy_of[source.name]}"
        for lane, (options, lane_backend, conditions), lane_source in zip(lanes, plans, fanout.lanes, strict=True):
            lane_source.name = f"{prefix}/{lane.name}"
            names.append(lane_source.name)
            streams.append(PlannedStream(lane_source, options, lane_backend, conditions))
        if spec not in references:  # copies (dgtui bench --streams N) read it once
            references[spec] = find_reference(spec, getattr(args, "reference", None))
        groups.append(LaneGroup(source.name, tuple(names), *references[spec]))
    return streams, groups


def runner_for(plan: Plan, duration: float | None, record: bool = True) -> StreamRunner:
    """The runner of a plan's streams (the embedded engine started when a local stream first needs it)."""
    settings = plan.settings
    record_dir = settings.record_dir if record else None
    runner = StreamRunner(settings.backend, settings.options, duration=duration, record_dir=record_dir,
                          reconnect=settings.reconnect, endpoints=LocalEndpoints(),
                          prices=plan.config.prices, record_policy=plan.config.recording)  # fmt: skip
    group_of = {name: group for group in plan.groups for name in group.streams}
    for index, stream in enumerate(plan.streams):
        group = group_of.get(stream.source.name)
        if index in plan.judged:  # a stream judged alone: a group of one, under the name it will have
            group = LaneGroup(stream.source.name, (runner.unique_name(stream.source.name),), *plan.judged[index])
            plan.groups.append(group)
        runner.add(stream.source, stream.options, stream.backend, group=group, conditions=stream.conditions)
    return runner


def gates_of(args: argparse.Namespace) -> list[Gate] | None:
    """The assertions, read before anything streams (None: they cannot be read, and were said)."""
    try:
        return parse_gates(args.gates)
    except GateError as exc:
        say(exc)
        return None


def open_stream_request(request: StreamRequest, plan: Plan) -> PlannedStream:
    """A stream added while running (the New-stream dialog), resolved as on the command line (the config file's
    key, ``key_env``, token and ``[defaults]`` included); raises with a message saying what to fix.

    ``request.backend`` is "default" (the run's, unless the flags say --url or --local), "local", "deepgram" or
    "url" (``request.url``). With no flags, the stream takes the run's options.
    """
    settings, config = plan.settings, plan.config
    args = parse_stream_flags(request.flags)
    if not request.source.strip():
        raise FlagError("give a source: a file, an http(s) URL, '-' or mic")
    name, url = request.backend, request.url or None
    if name == "default" and (args.url or args.local):  # the flags choose
        name, url = ("local", None) if args.local else ("url", args.url)
    backend = backend_named(name, config, settings.backend, url=url, token=args.token,
                            allow_insecure_key=args.allow_insecure_key)  # fmt: skip
    options = stream_options(args, config, url=backend.url) if request.flags.strip() else settings.options
    conditions = conditions_from_args(args)
    source = open_source(request.source.strip(), source_settings(args, flux=is_flux_model(options.get("model"))))
    return PlannedStream(source, options, backend, conditions)
