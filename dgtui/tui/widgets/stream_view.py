"""One stream's tab: header, indicators, transcript, latency and metadata panels, event log or raw inspector."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import ContentSwitcher, Input, Label

from dgtui.judge.compare import LaneGroup
from dgtui.state.stream import StreamState
from dgtui.tui.widgets.event_log import EventLog, RawInspector
from dgtui.tui.widgets.marks import ReferenceMarks
from dgtui.tui.widgets.panels import (
    AccuracyPanel,
    Indicators,
    LatencyPanel,
    LatencySparkline,
    MetadataPanel,
    StreamHeader,
)
from dgtui.tui.widgets.plots import LatencyPlot, toggle_plots
from dgtui.tui.widgets.transcript_view import TranscriptView


class StreamView(Vertical):
    """Renders one StreamState; the app calls ``render_state`` on its timer while this tab is shown."""

    def __init__(self, session: StreamState, judged: LaneGroup | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.session = session
        self.judged = judged  # its reference, when it is judged against one
        self.marks = ReferenceMarks(judged.reference) if judged is not None else None
        self.ready = False

    def compose(self) -> ComposeResult:
        yield StreamHeader(classes="stream-header")
        yield Indicators(classes="indicators -turns" if self.session.flux else "indicators")
        with Horizontal(classes="stream-body"):
            with Vertical(classes="transcript-column"):
                yield TranscriptView(classes="transcript")
                yield LatencyPlot(classes="plot")
                yield Label("", classes="new-lines-hint")
                yield Input(placeholder="search the transcript (Enter: find, Esc: close)", classes="search")
            with Vertical(classes="side"):
                yield Label("Latency", classes="panel-title")
                yield LatencyPanel(classes="latency")
                yield LatencySparkline(classes="sparkline")
                if self.judged is not None:  # above the metadata: what a judged stream is run for
                    yield Label(f"Accuracy · {Path(self.judged.reference_path or '').name}", classes="panel-title")
                    yield AccuracyPanel(self.judged, classes="accuracy")
                yield Label("Metadata", classes="panel-title")
                yield MetadataPanel(classes="metadata")
        with ContentSwitcher(initial="events", classes="bottom"):
            yield EventLog(id="events")
            yield RawInspector(id="inspector")

    def on_mount(self) -> None:
        self.header = self.query_one(StreamHeader)
        self.indicators = self.query_one(Indicators)
        self.transcript = self.query_one(TranscriptView)
        self.hint = self.query_one(".new-lines-hint", Label)
        self.search_input = self.query_one(".search", Input)
        self.latency = self.query_one(LatencyPanel)
        self.sparkline = self.query_one(LatencySparkline)
        self.metadata = self.query_one(MetadataPanel)
        self.bottom = self.query_one(ContentSwitcher)
        self.events = self.query_one(EventLog)
        self.inspector = self.query_one(RawInspector)
        self.plot = self.query_one(LatencyPlot)
        self.hint.display = False
        self.search_input.display = False
        self.transcript.set_show_interim(getattr(self.app, "show_interim", True))
        self.ready = True

    def render_state(self, now: float, slow: bool = True) -> None:
        """Header, lights and transcript at every call; latency and metadata panels only when ``slow`` (2 Hz)."""
        if not self.ready:
            return
        session = self.session
        now = session.clock()  # a replay keeps its own time
        self.header.show(session, now)
        self.indicators.show(session, now)
        self.transcript.sync(session.transcript, session.connection.channels)
        pending = self.transcript.new_lines if not self.transcript.follow else 0
        self.hint.display = pending > 0
        if pending:
            self.hint.update(f"▼ {pending} new line{'s' if pending != 1 else ''} · End to follow")
        if slow:
            if self.showing_plots:
                self.plot.show(session)
            self.latency.show(session, now)
            self.sparkline.show(session)
            self.metadata.show(session, now)
            if self.marks is not None:
                self.query_one(AccuracyPanel).show(session, now)
                self.marks.update([self.transcript], [session])
        if self.bottom.current == "inspector":
            self.inspector.show(session)
        else:
            self.events.show(session)

    # -- actions the app forwards ------------------------------------------------------------------------

    @property
    def showing_plots(self) -> bool:
        return self.has_class("-plots")

    def toggle_plots(self) -> bool:
        """The latency plot under the transcript (instead of it, where the terminal is short)."""
        return toggle_plots(self, lambda: self.plot.show(self.session))

    def toggle_inspector(self) -> bool:
        self.bottom.current = "events" if self.bottom.current == "inspector" else "inspector"
        return self.bottom.current == "inspector"

    def start_search(self) -> None:
        self.search_input.display = True
        self.search_input.focus()

    @on(Input.Submitted, ".search")
    def _find(self, event: Input.Submitted) -> None:
        found = self.transcript.find(event.value)
        self.notify(
            f"{found} matching line{'s' if found != 1 else ''} for {event.value!r}"
            if event.value
            else "search cleared",
            timeout=3,
        )
        self.transcript.focus()

    def key_escape(self) -> None:
        if self.search_input.display:
            self.search_input.display = False
            self.transcript.focus()
