"""The dgtui app: an Overview tab and one tab per stream, driven from the keyboard.

Sessions run as workers and only update their own state; one timer (10 Hz) renders what is visible and
changed: the Overview's wall of cards when it is shown, otherwise the shown stream's tab. Nothing here parses protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.content import Content
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Footer, Header, Static, TabbedContent, TabPane

from dgtui.judge.compare import LaneGroup
from dgtui.protocol.flux import DEFAULT_EOT_TIMEOUT_MS
from dgtui.recordings.export import export_recording, render, utterances_of, write_atomic
from dgtui.recordings.format import RecordingError
from dgtui.recordings.replay import ReplaySession
from dgtui.state.controls import Arrivals, Replayable, Runner, Stream, StreamControls
from dgtui.state.events import State
from dgtui.state.health import DEFAULT_SILENCE_AFTER
from dgtui.tui import keys
from dgtui.tui.format import STATE_STYLES
from dgtui.tui.heap import QuietCollector
from dgtui.tui.screens.configure import ConfigureScreen
from dgtui.tui.screens.export import ExportScreen
from dgtui.tui.screens.help import HelpScreen
from dgtui.tui.screens.new_stream import NewStreamScreen, StreamRequest
from dgtui.tui.screens.sessions import SessionsScreen
from dgtui.tui.widgets.compare_view import CompareView
from dgtui.tui.widgets.flows import FlowsView
from dgtui.tui.widgets.panels import RunCostLine, thresholds_of
from dgtui.tui.widgets.stream_view import StreamView
from dgtui.tui.widgets.wall import StreamWall

TAP_HELP = "arrows select · Enter opens a stream · 1-9 jump to one · x dismisses one · ] the Flows tab · ? every key"
Opener = Callable[[StreamRequest], Stream]  # raises with a message when the request cannot work


class DgtuiApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "dgtui"
    BINDINGS = keys.bindings()
    # Classes on the screen by its size: app.tcss lets the side panels and the event log give way when small.
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (110, "-wide")]
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-short"), (32, "-tall")]

    def __init__(
        self,
        runner: Runner,
        *,
        backend_label: str = "",
        notice: str | None = None,
        opener: Opener | None = None,
        clock: Callable[[], float] = time.monotonic,
        refresh_hz: float = 10.0,
        run_streams: bool = True,
        quit_timeout: float = 12.0,
        export_dir: Path | None = None,
        record_dir: Path | None = None,
        key_name: str = "DEEPGRAM_API_KEY",
        groups: Sequence[LaneGroup] = (),
        silence_after: float = DEFAULT_SILENCE_AFTER,
        metrics_url: str | None = None,
    ) -> None:
        super().__init__()
        self.metrics_url = metrics_url  # where Prometheus scrapes this run (--metrics): the header and help say
        self.silence_after = silence_after  # a streaming feed this long without signal or words is flagged
        self.groups = [group for group in groups if len(group.streams) > 1]  # lanes to compare: a tab each
        self.judged = {group.streams[0]: group for group in groups if len(group.streams) == 1}  # a stream alone
        self.compares: dict[str, CompareView] = {}  # tab pane id -> its comparison view
        self.key_name = key_name  # the variable Deepgram's key comes from, as the New-stream dialog names it
        self.runner = runner
        self.backend_label = backend_label
        self.notice = notice
        self.opener = opener
        self.clock = clock
        self.refresh_hz = refresh_hz
        self.run_streams = run_streams
        self.quit_timeout = quit_timeout
        self.export_dir = export_dir or Path.cwd()
        self.record_dir = record_dir  # where recordings go (and where the sessions screen looks)
        self.show_interim = True
        self.panes: dict[str, Stream] = {}  # tab pane id -> session
        self.closing: list[Stream] = []
        self._pane_count = 0
        self._labels: dict[str, tuple[int, State]] = {}  # what each tab's label shows
        self._quitting = False
        self._arrived = len(runner.sessions)  # the runner's streams last adopted (a tap's grow on their own)
        self._ticks = 0
        self.collector = QuietCollector()  # fewer stalls of the loop for garbage collection (see tui.heap)
        self.slow_every = max(1, round(refresh_hz / 2))

    # -- layout ------------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(icon="◉")
        if self.notice or isinstance(self.runner, Arrivals):  # a tap's says where the app must point its SDK
            yield Static(self.notice or "", id="notice")
        with TabbedContent(id="tabs"):
            with TabPane("0 Overview", id="overview"):
                yield StreamWall(id="wall")
                yield RunCostLine(id="run-cost")
                yield Static(
                    "arrows select · Enter opens a stream · 1-9 jump to one · a adds one · ? every key",
                    id="overview-help",
                )
            if isinstance(self.runner, Arrivals):  # a tap: the app's other traffic
                yield TabPane("⇅ Flows", FlowsView(self.runner.flows, id="flows"), id="flows-tab")
            for index, group in enumerate(self.groups, start=1):
                yield self._compare_pane(group, index)
            for session in self.runner.sessions:
                yield self._pane(session)
        yield Footer()

    def _compare_pane(self, group: LaneGroup, index: int) -> TabPane:
        by_name = {session.name: session.state for session in self.runner.sessions}
        view = CompareView(group, [by_name[name] for name in group.streams if name in by_name])
        pane_id = f"compare-{index}"
        self.compares[pane_id] = view
        return TabPane(Content.assemble("⇄ ", group.source), view, id=pane_id)

    def _pane(self, session: Stream, lazy: bool = False) -> TabPane:
        """A stream's tab; ``lazy``: its view is made when the tab is first shown (a tap's streams arrive by the
        hundred, and most are only seen on the wall)."""
        self._pane_count += 1
        pane_id = f"stream-{self._pane_count}"
        self.panes[pane_id] = session
        if lazy:
            return TabPane(self._label(session), id=pane_id)
        view = StreamView(session.state, self.judged.get(session.name))
        return TabPane(self._label(session), view, id=pane_id)

    def _ensure_view(self, pane_id: str) -> None:
        """A lazy tab's view, made the first time it is shown."""
        session = self.panes.get(pane_id)
        if session is None:
            return
        with contextlib.suppress(NoMatches):
            pane = self.tabs.get_pane(pane_id)
            if not pane.query(StreamView):
                pane.mount(StreamView(session.state, self.judged.get(session.name)))

    def _label(self, session: Stream, index: int | None = None) -> Content:
        index = index or list(self.panes.values()).index(session) + 1
        glyph, style = STATE_STYLES[session.state.connection.phase]
        return Content.assemble(f"{index} ", (glyph, style), f" {session.name}")

    def on_mount(self) -> None:
        where = (self.metrics_url or "").removeprefix("http://").removesuffix("/metrics")  # the header is short
        self.sub_title = self.backend_label + (f" · metrics on {where}" if where else "")
        self.overview = self.query_one(StreamWall)
        self.overview.silence_after = self.silence_after
        self.run_cost = self.query_one(RunCostLine)
        self.tabs = self.query_one(TabbedContent)
        self.set_interval(1 / self.refresh_hz, lambda: self.render_now(force=False), name="render")
        if isinstance(self.runner, Arrivals):  # a tap: say where the app connects, and what shows here
            self.overview.empty = "Waiting for the application's first live stream…"
            with contextlib.suppress(NoMatches):
                self.query_one("#notice", Static).update(self.runner.greeting())
                self.query_one("#overview-help", Static).update(TAP_HELP)
        if self.run_streams:
            for session in self.runner.sessions:
                self._start(session)
            if isinstance(self.runner, Arrivals):
                self.run_worker(self._arrivals(self.runner), group="arrivals", exit_on_error=False)
        self.render_now()
        if self.compares:  # lanes were asked for: their comparison is what the user came to see
            self.tabs.active = next(iter(self.compares))
        else:
            self.overview.focus()
        self.call_after_refresh(self.collector.start)

    def on_unmount(self) -> None:
        self.collector.stop()

    async def _arrivals(self, runner: Arrivals) -> None:
        """Start a runner whose streams arrive on their own (a tap); its streams are adopted at each render."""
        try:
            await runner.start()
        except Exception as exc:  # said, with what to do; the app stays up to say it
            self.notify(f"{exc}. Quit (q) and pick another --listen.", severity="error", timeout=60)
            return
        with contextlib.suppress(NoMatches):  # the address, now that it listens (port 0: the one it got)
            self.query_one("#notice", Static).update(runner.greeting())

    def _adopt_arrivals(self) -> None:
        """Streams the runner added on its own since the last look: a tab and a card each."""
        known = set(map(id, self.panes.values())) | set(map(id, self.closing))
        for session in list(self.runner.sessions):
            if id(session) not in known:
                self.tabs.add_pane(self._pane(session, lazy=True))
                if self.run_streams:
                    self._start(session)
        self._arrived = len(self.runner.sessions)

    def _start(self, session: Stream) -> None:
        self.run_worker(self.runner.run(session), group="streams", name=session.name, exit_on_error=False)

    # -- rendering ---------------------------------------------------------------------------------------

    def render_now(self, force: bool = True) -> None:
        """The one render pass: only what is visible, and widgets repaint only what changed.

        The timer renders the shown stream's text, lights and header (or the Overview's cards) at every tick, and
        the latency and metadata panels at every fifth: 2 Hz is plenty for percentiles.
        """
        now = self.clock()
        if len(self.runner.sessions) != self._arrived:
            self._adopt_arrivals()
        for index, (pane_id, session) in enumerate(self.panes.items(), start=1):
            shown = (index, session.state.connection.phase)
            if self._labels.get(pane_id) != shown:  # a label is built only when its number or state moved
                self._labels[pane_id] = shown
                with contextlib.suppress(NoMatches):
                    self.tabs.get_tab(pane_id).label = self._label(session, index)
        active = self.tabs.active
        self._ticks += 1
        slow = force or self._ticks % self.slow_every == 0
        if active == "flows-tab":
            if slow:
                self.query_one(FlowsView).show(now)
        elif active in self.compares:
            self.compares[active].render_state(now, slow)
        elif active == "overview" or active not in self.panes:
            states = [s.state for s in self.panes.values()]
            self.overview.show(states, now)  # cards repaint only what moved: interims in place
            if slow:
                self.run_cost.show_run(states, now)
        elif view := self._view(active):
            view.render_state(now, slow)

    def _view(self, pane_id: str) -> StreamView | None:
        """The pane's view, once mounted (a pane just added has none for a moment)."""
        try:  # a pane just added (or, at exit, already removed) has no view
            views = self.tabs.get_pane(pane_id).query(StreamView)
        except NoMatches:
            return None
        return views.first() if views and views.first().ready else None

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self._ensure_view(self.tabs.active)
        self.render_now()  # catch up at once: hidden tabs are not rendered
        if self.tabs.active == "overview":
            self.overview.focus()
        elif view := self.current_view():
            view.transcript.focus()

    @on(StreamWall.Opened)
    def _row_selected(self, event: StreamWall.Opened) -> None:
        for pane_id, session in self.panes.items():
            if session.name == event.name:
                self.tabs.active = pane_id

    # -- which stream an action is for ---------------------------------------------------------------------

    def current(self) -> Stream | None:
        """The shown stream, or on the Overview the stream of the highlighted row."""
        active = self.tabs.active
        if active in self.panes:
            return self.panes[active]
        sessions = list(self.panes.values())
        row = self.overview.selected
        return sessions[row] if sessions and 0 <= row < len(sessions) else None

    def current_view(self) -> StreamView | None:
        active = self.tabs.active
        return self._view(active) if active in self.panes else None

    def _no_stream(self) -> None:
        self.notify("No stream selected: open a stream's tab (1-9) or select its card.", severity="warning")

    def _controls(self, session: Stream | None) -> StreamControls | None:
        """The stream's controls, or None (after saying why) when there is no stream or it has none."""
        if session is None:
            self._no_stream()
            return None
        if not isinstance(session, StreamControls):
            why = " (an application's stream: dgtui only watches it)" if session.state.setup.tapped else ""
            self.notify(f"{session.name} has no controls{why}.", timeout=3)
            return None
        return session

    # -- actions: streams --------------------------------------------------------------------------------

    def action_show_overview(self) -> None:
        self.tabs.active = "overview"

    def action_show_stream(self, number: int) -> None:
        pane_ids = list(self.panes)
        if 1 <= number <= len(pane_ids):
            self.tabs.active = pane_ids[number - 1]
        else:
            self.notify(f"There is no stream {number}.", severity="warning", timeout=2)

    def _cycle(self, step: int) -> None:
        order = ["overview", *(["flows-tab"] if isinstance(self.runner, Arrivals) else []), *self.compares, *self.panes]
        index = order.index(self.tabs.active) if self.tabs.active in order else 0
        self.tabs.active = order[(index + step) % len(order)]

    def action_next_stream(self) -> None:
        self._cycle(1)

    def action_previous_stream(self) -> None:
        self._cycle(-1)

    def action_new_stream(self) -> None:
        if self.opener is None:
            why = ("the tap shows the app's own streams: they appear as the app connects"
                   if isinstance(self.runner, Arrivals) else "this view is a replay")  # fmt: skip
            self.notify(f"Adding streams needs a live backend ({why}).", severity="warning")
            return
        self.push_screen(NewStreamScreen(self._open, self.key_name))

    def _open(self, request: StreamRequest) -> str | None:
        assert self.opener is not None
        try:
            session = self.opener(request)
        except Exception as exc:  # the dialog shows it and stays open
            return str(exc) or type(exc).__name__
        pane = self._pane(session)
        self.tabs.add_pane(pane)
        self.tabs.active = pane.id or ""
        if self.run_streams:
            self._start(session)
        self.notify(f"Started {session.name}.", timeout=3)
        return None

    async def action_close_stream(self) -> None:
        session = self.current()
        if session is None:
            self.notify("No stream to close.", severity="warning")
            return
        pane_id = next(p for p, s in self.panes.items() if s is session)
        session.stop()  # CloseStream; the worker ends once the last results are in
        self.closing.append(session)
        del self.panes[pane_id]
        self._labels.pop(pane_id, None)
        self.runner.remove(session)
        await self.tabs.remove_pane(pane_id)
        self.overview.show([s.state for s in self.panes.values()], self.clock())
        if isinstance(session, StreamControls | Replayable):
            self.notify(f"Closed {session.name}: CloseStream sent.", timeout=3)
        else:  # a tapped stream is the app's: only dismissed from view
            self.notify(f"Dismissed {session.name}.", timeout=3)

    def action_pause(self) -> None:
        session = self.current()
        if session is None:
            self._no_stream()
        elif session.state.connection.phase in (State.PAUSED, State.STREAMING) and (
            controls := self._controls(session)
        ):
            controls.resume() if session.state.connection.phase is State.PAUSED else controls.pause()
            self.render_now()
        else:
            self.notify(
                f"{session.name} is {session.state.connection.phase.value}: only a streaming stream pauses.", timeout=3
            )

    def _replayed(self, session: Stream | None, what: str) -> bool:
        if isinstance(session, Replayable):
            self.notify(f"{session.name} is a replay: there is no connection to {what}.", timeout=3)
            return True
        return False

    def action_finalize(self) -> None:
        if self._replayed(self.current(), "finalize"):
            return
        session = self.current()
        if controls := self._controls(session):
            controls.request_finalize()
            self.render_now()
            if session is not None and session.state.flux:
                self.notify("ForceEndTurn sent: the server ends the turn now.", timeout=2)
            else:
                self.notify("Finalize sent: the server flushes what it has heard.", timeout=2)

    def action_reconnect(self) -> None:
        session = self.current()
        if self._replayed(session, "reconnect"):
            return
        if session is not None and session.state.connection.phase not in (State.STREAMING, State.PAUSED):
            self.notify(f"{session.name} is {session.state.connection.phase.value}: nothing to reconnect.", timeout=3)
            return
        if controls := self._controls(session):
            controls.reconnect()
            self.render_now()
            self.notify("Reconnecting: CloseStream, then a new connection from the same audio.", timeout=3)

    def action_configure(self) -> None:
        """Flux: change the turn thresholds and keyterms mid-stream (a Configure message)."""
        session = self.current()
        if self._replayed(session, "configure"):
            return
        if session is not None and not session.state.flux:
            self.notify(f"{session.name} is a Nova stream: turn thresholds are Flux's (--model flux-general-en).",
                        timeout=4)  # fmt: skip
            return
        if (controls := self._controls(session)) and session is not None:
            timeout = session.state.setup.options.get("eot_timeout_ms", DEFAULT_EOT_TIMEOUT_MS)
            current = {**thresholds_of(session.state), "eot_timeout_ms": timeout}
            current.update({k: v for k, v in session.state.turns.thresholds.items() if v is not None})
            self.push_screen(ConfigureScreen(session.name, current, controls.configure))

    def action_export(self) -> None:
        session = self.current()
        if session is None:
            self._no_stream()
            return
        name = session.name.replace("/", "_").replace("#", "-")
        stem = self.export_dir / f"{name}-{(session.state.connection.request_id or 'no-request')[:8]}"
        recording = session.recording_path
        source = (
            f"From the recording {recording} (the whole session)."
            if recording is not None
            else "From memory (the latest 500 utterances): this stream is not recorded."
        )
        self.push_screen(ExportScreen(stem, source, lambda fmt, path: self._export(session, fmt, path)))

    async def _export(self, session: Stream, fmt: str, path: Path) -> str | None:
        """Write the export, the file work on a thread; the error to show, or None."""
        recording = session.recording_path
        try:
            text = None
            if recording is not None:  # any of its files stands for the session (the first may be compressed)
                with contextlib.suppress(FileNotFoundError):
                    text = await asyncio.to_thread(export_recording, recording, fmt)
            if text is None:  # the utterances are taken here, on the loop that updates them; rendering is quick
                text = render(fmt, utterances_of(session.state.transcript), session.state.connection.channels)
            await asyncio.to_thread(write_atomic, path, text)
        except (OSError, RecordingError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            return f"Could not export to {path}: {reason}. Check the directory."
        self.notify(f"Transcript written to {path}", timeout=5)
        return None

    def action_sessions(self) -> None:
        def chosen(path: Path | None) -> None:
            if path is not None:
                self.open_replay(path)

        self.push_screen(SessionsScreen(self.record_dir), chosen)

    @work(group="replays")
    async def open_replay(self, path: Path) -> Stream | None:
        """Read the recording on a thread (a long one takes a while), then play it in a new tab."""
        try:
            session = await asyncio.to_thread(ReplaySession, path)
        except (OSError, RecordingError, UnicodeDecodeError) as exc:
            self.notify(f"Cannot replay {path}: {exc}", severity="error")
            return None
        pane = self._pane(session)
        self.tabs.add_pane(pane)
        self.tabs.active = pane.id or ""
        self.run_worker(session.run(), group="streams", name=session.name, exit_on_error=False)
        return session

    def action_replay_speed(self, factor: float) -> None:
        session = self.current()
        if not isinstance(session, Replayable):
            self.notify("Speed applies to replays (dgtui replay FILE, or s to pick a recording).", timeout=3)
            return
        session.set_speed(session.speed * factor)
        self.notify(f"Replay at {session.speed:g}x", timeout=2)

    def action_replay_jump(self) -> None:
        session = self.current()
        if not isinstance(session, Replayable):
            self.notify("Jumping to the end applies to replays.", timeout=3)
            return
        session.jump_to_end()
        self.render_now()

    # -- actions: view -----------------------------------------------------------------------------------

    def action_toggle_interim(self) -> None:
        self.show_interim = not self.show_interim
        for view in self.query(StreamView):
            if view.ready:
                view.transcript.set_show_interim(self.show_interim)
        self.render_now()
        self.notify(f"Interim results {'shown' if self.show_interim else 'hidden'}.", timeout=2)

    def action_toggle_plots(self) -> None:
        view = self.compares.get(self.tabs.active) or self.current_view()
        if view is None:
            self.notify("Open a stream's tab (latency over time) or a comparison tab (its lanes) for plots.",
                        severity="warning", timeout=3)  # fmt: skip
            return
        shown = view.toggle_plots()
        self.notify("plots shown (g hides them)" if shown else "plots hidden", timeout=2)

    def action_toggle_aligned(self) -> None:
        view = self.compares.get(self.tabs.active)
        if view is None:
            self.notify("Open a comparison tab (lanes: --lane ... --lane ...) to line up its finals.",
                        severity="warning", timeout=3)  # fmt: skip
            return
        view.toggle_aligned()

    def _with_view(self, what: str) -> StreamView | None:
        view = self.current_view()
        if view is None:
            self.notify(f"Open a stream's tab to {what}.", severity="warning", timeout=3)
        return view

    def action_toggle_inspector(self) -> None:
        if view := self._with_view("inspect its messages"):
            if not self._panels_shown():  # a small terminal hides the inspector's place: bring it back
                self.action_toggle_panels()
            view.toggle_inspector()
            view.render_state(self.clock())

    def _panels_shown(self) -> bool:
        classes = self.screen.classes
        if "-panels" in classes or "-no-panels" in classes:
            return "-panels" in classes
        return not ({"-narrow", "-short"} & classes)  # what the size gives by itself

    def action_toggle_panels(self) -> None:
        """The side panels and the event log: shown on a small terminal, hidden on a large one (and back)."""
        screen = self.screen
        shown = not self._panels_shown()
        screen.remove_class("-panels", "-no-panels")
        if shown != self._panels_shown():
            screen.add_class("-panels" if shown else "-no-panels")
        self.render_now()

    def action_search(self) -> None:
        if view := self._with_view("search its transcript"):
            view.start_search()

    def action_next_match(self) -> None:
        if view := self._with_view("search its transcript"):
            view.transcript.next_match(1)

    def action_previous_match(self) -> None:
        if view := self._with_view("search its transcript"):
            view.transcript.next_match(-1)

    def action_follow(self) -> None:
        if view := self._with_view("follow its transcript"):
            view.transcript.jump_to_end()
            view.render_state(self.clock())

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.metrics_url))

    # -- quitting ----------------------------------------------------------------------------------------

    async def action_quit(self) -> None:
        if self._quitting:
            self.exit(0)
            return
        self._quitting = True
        self.notify("Closing every stream: CloseStream sent, waiting for the last results (q again: quit now).")
        for session in self.panes.values():
            session.stop()
        self.run_worker(self._finish(), group="quit", exit_on_error=False)

    async def _finish(self) -> None:
        streams = [w for w in self.workers if w.group == "streams" and not w.is_finished]
        if streams:
            await asyncio.wait([asyncio.ensure_future(w.wait()) for w in streams], timeout=self.quit_timeout)
        await self.runner.close()
        self.exit(0)

    # -- command palette ---------------------------------------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for key in keys.KEYS:
            if key.id == "stream":
                for number, session in enumerate(self.panes.values(), start=1):
                    yield SystemCommand(
                        f"Go to stream {number}: {session.name}",
                        f"key {number}",
                        lambda n=number: self.action_show_stream(n),  # type: ignore[misc]
                    )
                continue
            if key.id == "quit":
                continue  # Textual's own "Quit the application" runs our action_quit
            for name in (key.description, *key.aliases):
                yield SystemCommand(name, f"key {keys.display_keys(key)}", self._palette_action(key.action))

    def _palette_action(self, action: str) -> Callable[[], object]:
        async def run() -> None:
            await self.run_action(action)

        return run
