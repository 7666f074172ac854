"""``--metrics HOST:PORT`` on the long-running commands (and ``[metrics]`` in the config file): the exporter
started before anything streams, told of every stream the command runs; and ``dgtui metrics rules|dashboard``,
which print the alert rules and the Grafana dashboard shipped with the package."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Coroutine, Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any

from dgtui.config.file import Config, metrics_address
from dgtui.judge.compare import LaneGroup
from dgtui.state.events import Event, FaultFired
from dgtui.state.stream import StreamState

if TYPE_CHECKING:  # loaded only when metrics are asked for (prometheus_client, the server)
    from dgtui.live.backend import Backend
    from dgtui.live.runner import StreamRunner
    from dgtui.live.session import LiveSession
    from dgtui.metrics.exporter import MetricsExporter
    from dgtui.metrics.serving import ServerMetrics
    from dgtui.server.app import ListenServer

DEFAULT_PORT = 9464  # the port Prometheus exporters of this kind commonly take (dgtui.metrics.exporter)
LOOPBACK = ("127.0.0.1", "localhost", "::1")
ASSETS = {"rules": "rules.yml", "dashboard": "dashboard.json"}


def add_metrics_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--metrics", metavar="HOST:PORT",
        help=f"serve Prometheus metrics on http://HOST:PORT/metrics (PORT alone: on 127.0.0.1; {DEFAULT_PORT} is "
        "usual; 0 picks a free port). Default from [metrics] in the config file",
    )  # fmt: skip


def start_exporter(flag: str | None, config: Config, command: str) -> MetricsExporter | None:
    """The exporter the flag (else the config file's ``[metrics]``) asks for, listening; None when metrics are
    off. Raises :class:`~dgtui.metrics.exporter.MetricsError` with what to do."""
    from dgtui.metrics.exporter import MetricsError, MetricsExporter

    where = flag or config.metrics.listen_for(command)
    if not where:
        return None
    try:
        host, port = metrics_address(where)
    except ValueError as exc:
        raise MetricsError(f"--metrics: {exc}") from None
    exporter = MetricsExporter(host, port, command=command, grace=config.metrics.grace_seconds)
    exporter.start()
    reach = "" if host in LOOPBACK else " (reachable from other hosts: it holds no key and no transcript)"
    print(f"dgtui: Prometheus metrics on {exporter.url}{reach}", file=sys.stderr, flush=True)
    return exporter


def watch_state(exporter: MetricsExporter, state: StreamState, backend: str, group: LaneGroup | None = None) -> None:
    from dgtui.metrics.labels import labels_of

    reference = group.reference if group is not None else None
    truth = group.truth if group is not None else None
    exporter.streams.watch(state, labels_of(state.setup, backend), reference, truth)


def watch_runner(exporter: MetricsExporter, runner: StreamRunner, groups: Sequence[LaneGroup] = ()) -> None:
    """Every stream of the runner, those there now and those added later (the app's New-stream dialog)."""
    from dgtui.metrics.labels import backend_label

    group_of = {name: group for group in groups for name in group.streams}

    def added(session: LiveSession, backend: Backend, group: LaneGroup | None) -> None:
        watch_state(exporter, session.state, backend_label(backend.kind, backend.url), group)

    for session in runner.sessions:
        backend = runner.backends.get(session.name, runner.backend)
        added(session, backend, group_of.get(session.name))
    runner.on_add.append(added)


def watch_server(exporter: MetricsExporter, server: ListenServer) -> ServerMetrics:
    """``dgtui serve``: the server's own figures."""
    from dgtui.metrics.serving import ServerMetrics

    metrics = ServerMetrics(exporter.registry, lambda: len(server.sessions), lambda: server.admission.limit)
    server.watcher = metrics
    return metrics


def counting_faults(metrics: ServerMetrics) -> Callable[[Event], None]:
    """A stream listener that counts the faults fired on it."""

    def listener(event: Event) -> None:
        if isinstance(event, FaultFired):
            metrics.fired(event.fault)

    return listener


def metrics_command(args: argparse.Namespace) -> int:
    """``dgtui metrics rules|dashboard``: the file, on standard output."""
    text = resources.files("dgtui.metrics").joinpath(ASSETS[args.asset]).read_text(encoding="utf-8")
    sys.stdout.write(text)
    return 0


def add_metrics_command(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "metrics",
        help="print the Prometheus alert rules or the Grafana dashboard for dgtui's metrics",
        description="Print a file shipped with dgtui for its Prometheus metrics (--metrics HOST:PORT): the alert "
        "rules (load them with rule_files in prometheus.yml) or the Grafana dashboard (import its JSON).",
    )  # fmt: skip
    parser.add_argument("asset", choices=sorted(ASSETS), help="rules: the alert rules; dashboard: Grafana's JSON")


async def with_metrics(run: Coroutine[Any, Any, int], exporter: MetricsExporter | None, config: Config) -> int:
    """Run a command to its end, then (if Prometheus has been scraping) wait for one more scrape, so the run's
    last figures are in Prometheus before the process ends (at most ``[metrics] linger_seconds``)."""
    try:
        return await run
    finally:
        if exporter is not None:
            linger = config.metrics.linger_seconds
            if exporter.begun and linger > 0:
                print(f"dgtui: waiting for Prometheus to scrape the last figures (at most {linger:.0f} s; Ctrl-C "
                      "skips)", file=sys.stderr, flush=True)  # fmt: skip
                await exporter.last_scrape(linger)
            exporter.close()
