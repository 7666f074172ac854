"""``dgtui tap``'s streams: the tap listening, each of the app's live transcription connections a stream (a
:class:`TapSession`, which the app shows and the printer prints as it does dgtui's own), recorded as dgtui's own
are, and the rest of its traffic a flow.

The runner is a consumer of what the relay sees: nothing here is on the forwarding path. Streams arrive on their
own (``sessions`` grows; ``on_stream`` is told), end when the app's connection does, and stay until removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from websockets.frames import Frame

from dgtui.recordings.kept_audio import AudioKeeper
from dgtui.recordings.writer import DEFAULT_POLICY, Recorder, RecordingPolicy, record
from dgtui.state.client import Flow, FlowLog
from dgtui.state.controls import Stream
from dgtui.state.events import Note
from dgtui.state.stream import StreamState
from dgtui.tap.analysis import AudioSink, TappedStream
from dgtui.tap.copies import (
    ANSWERED,
    DROPPED,
    ENDED,
    FAILED,
    FAULT,
    FROM_APP,
    FROM_UPSTREAM,
    OPENED,
    READY,
    Record,
    RecordReader,
    split_opened,
)
from dgtui.tap.flows import FlowWatch
from dgtui.tap.http import Head, HeadError, is_listen, parse_head
from dgtui.tap.relay import Analysis, Upstream

TICK_S = 1.0  # how often the diagnoses look at the passing time


class Engine(Protocol):
    """An upstream the tap starts itself (``--local``: the embedded engine), running while the tap does."""

    @property
    def url(self) -> str: ...
    async def __aenter__(self) -> Any: ...
    async def __aexit__(self, *exc: object) -> None: ...


class TapSession:
    """A tapped stream as the app holds it: its state, its recording; it ends when the app's connection does.
    The app owns the connection, so there is nothing to pause, finalize or reconnect, and ``stop`` only lets
    the view stop waiting for it."""

    def __init__(self, number: int, state: StreamState) -> None:
        self.number = number  # the stream id of ``dgtui tap --json``: one per connection, from 1
        self.state = state
        self.recording_path: Path | None = None
        self.ended = asyncio.Event()

    @property
    def name(self) -> str:
        return self.state.name

    async def run(self) -> bool:
        await self.ended.wait()
        return self.state.clean

    def stop(self) -> None:
        self.ended.set()

    def note(self, text: str, level: str = "info") -> None:
        self.state.apply(Note(self.name, text, level))

    def warn(self, text: str) -> None:
        self.note(text, "warning")


class TapConnection:
    """The relay's observer of one connection: a stream when it is ``/v1/listen`` or ``/v2/listen``, else
    flows."""

    def __init__(self, runner: TapRunner, peer: str) -> None:
        self.runner = runner
        self.peer = peer
        self.stream: TappedStream | None = None
        self.flows: FlowWatch | None = None
        self.session: TapSession | None = None

    def opened(self, request: Head, at: float) -> None:
        runner = self.runner
        if is_listen(request):
            self.stream = TappedStream(self.peer, runner.upstream.root, request, at, self._adopt, runner.keeper)
            runner.open_streams.add(self.stream)
        else:
            self.flows = FlowWatch(runner.flows, self.peer, request, at, runner.flow_done)

    def answered(self, response: Head, at: float) -> None:
        if self.stream is not None:
            self.stream.answered(response, at)
        elif self.flows is not None:
            self.flows.data(False, response.raw, at)

    def data(self, from_app: bool, data: bytes, at: float) -> None:
        if self.flows is not None:
            self.flows.data(from_app, data, at)

    def frame(self, from_app: bool, frame: Frame, at: float) -> None:
        if self.stream is not None:
            self.stream.frame(from_app, frame, at)
        elif self.flows is not None:
            self.flows.data(from_app, bytes(frame.data), at)

    def fault(self, text: str, at: float) -> None:
        if self.stream is not None:
            self.stream.fault(text, at)

    def ended(self, at: float, note: str) -> None:
        if self.stream is not None:
            self.runner.open_streams.discard(self.stream)
            self.stream.ended(at, note)
        if self.flows is not None:
            self.flows.ended(at, note)
        if self.session is not None:
            self.runner.finished(self.session)

    def _adopt(self, state: StreamState) -> None:
        self.session = self.runner.adopt(state)


class TapError(RuntimeError):
    """The tap could not start (its address taken, a certificate unreadable): the message says what to do."""


class TapRunner:
    """The tap and its streams: ``start`` listens (the forwarding process), ``sessions`` grows as the app
    connects, ``close`` stops. Analysis, recordings and whoever shows the streams live here, on this loop."""

    def __init__(
        self,
        upstream: str,
        *,
        ca: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        cert: str | None = None,
        key: str | None = None,
        record_dir: Path | None = None,
        keep_audio: bool = False,
        record_policy: RecordingPolicy = DEFAULT_POLICY,
        on_stream: Callable[[TapSession], None] = lambda session: None,
        on_flow: Callable[[Flow], None] = lambda flow: None,
        engine: Engine | None = None,
        faults: list[str] | None = None,
    ) -> None:
        self.upstream = Upstream.from_url(upstream, ca=ca)  # checked here; the forwarding process connects
        self.faults = list(faults or ())  # specs, checked by the caller (dgtui.protocol.faults), done there too
        self.ca = ca
        self.engine = engine
        self.host, self.port, self.cert, self.key = host, port, cert, key
        self.record_dir = record_dir
        self.keep_audio = keep_audio and record_dir is not None
        self.record_policy = record_policy
        self.on_stream = on_stream
        self.on_adopt: list[Callable[[TapSession], None]] = []  # told of each new stream too (the metrics)
        self.flow_done = on_flow
        self.sessions: list[TapSession] = []
        self.flows = FlowLog()
        self.open_streams: set[TappedStream] = set()
        self.recorders: dict[int, Recorder] = {}
        self.forwarder: asyncio.subprocess.Process | None = None
        self.listening = False
        self.trouble: str | None = None  # the forwarding process ended on its own: why
        self._connections: dict[int, Analysis] = {}
        self._count = 0
        self._ticker: asyncio.Task[None] | None = None
        self._reader: asyncio.Task[None] | None = None
        self._complaints: asyncio.Task[None] | None = None
        self._stderr: deque[str] = deque(maxlen=20)

    @property
    def url(self) -> str:
        """Where the app points its SDK (the root: SDKs add ``/v1/listen``)."""
        scheme = "wss" if self.cert else "ws"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    def greeting(self) -> str:
        """What the person running the tap must do next, in one line."""
        where = "the local engine" if self.engine is not None else self.upstream.root
        return (
            f"Point your app's Deepgram SDK at {self.url} (its base URL) → {where} · each live stream shows here as "
            "it connects · other requests pass through (the Flows tab)"
        )

    async def start(self) -> None:
        """Start the forwarding process and follow its copies; raises :class:`TapError` when it cannot listen."""
        if self.engine is not None:
            await self.engine.__aenter__()
            self.upstream = Upstream.from_url(self.engine.url)
        options = [("--upstream", self.upstream.url), ("--ca", self.ca), ("--host", self.host),
                   ("--port", str(self.port)), ("--cert", self.cert), ("--key", self.key)]  # fmt: skip
        argv = [part for flag, value in options if value for part in (flag, value)]
        argv += [part for spec in self.faults for part in ("--fault", spec)]
        self.forwarder = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "dgtui.tap.forwarder", *argv, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, limit=1 << 20, start_new_session=True,
        )  # fmt: skip  # its own session: the terminal's Ctrl-C reaches this process, which stops it in order
        ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._follow(ready))
        self._complaints = asyncio.create_task(self._listen_to_stderr())
        try:
            self.port = await ready
        except TapError:
            await self.close()
            raise
        self.listening = True
        self._ticker = asyncio.create_task(self._tick())

    async def _follow(self, ready: asyncio.Future[int]) -> None:
        """The forwarding process's records, each to its connection's analysis, until it ends."""
        assert self.forwarder is not None and self.forwarder.stdout is not None
        records = RecordReader()
        while data := await self.forwarder.stdout.read(1 << 16):
            for copy in records.feed(data):
                self._record(copy, ready)
        if not ready.done():
            await asyncio.wait([self._complaints], timeout=2)  # what it said as it went
            said = f": {self._stderr[-1]}" if self._stderr else ""
            ready.set_exception(TapError(f"the forwarding process ended before it listened{said}"))
        for analysis in self._connections.values():  # the traffic went with it: cut, as the app saw
            analysis.finish("the tap's forwarding process ended")
        self._connections.clear()
        if self.listening and self.forwarder.returncode not in (0, None):
            said = f": {self._stderr[-1]}" if self._stderr else ""
            self.trouble = f"the tap's forwarding process ended (exit {self.forwarder.returncode}){said}"

    async def _listen_to_stderr(self) -> None:
        """The forwarding process's standard error, kept (its last lines) rather than written over the app."""
        assert self.forwarder is not None and self.forwarder.stderr is not None
        while line := await self.forwarder.stderr.readline():
            self._stderr.append(line.decode("utf-8", "replace").rstrip())

    def _record(self, record: Record, ready: asyncio.Future[int]) -> None:
        kind, number, at, payload = record
        if kind == READY and not ready.done():
            ready.set_result(int(payload))
        elif kind == FAILED and not ready.done():
            host = f"[{self.host}]" if ":" in self.host else self.host
            ready.set_exception(TapError(f"cannot listen on {host}:{self.port}: {payload.decode()}"))
        elif kind == OPENED:
            peer, head = split_opened(payload)
            with contextlib.suppress(HeadError):
                self._connections[number] = Analysis(TapConnection(self, peer), parse_head(head), at=at)
        elif (analysis := self._connections.get(number)) is None:
            return
        elif kind == ANSWERED:
            with contextlib.suppress(HeadError):
                analysis.offer(False, parse_head(payload), at)
        elif kind in (FROM_APP, FROM_UPSTREAM):
            analysis.offer(kind == FROM_APP, payload, at)
        elif kind == DROPPED:
            analysis.dropped = True
        elif kind == FAULT:
            analysis.fault(payload.decode("utf-8", "replace"), at)
        elif kind == ENDED:
            analysis.finish(payload.decode("utf-8", "replace"), at)
            del self._connections[number]

    def adopt(self, state: StreamState) -> TapSession:
        """A new tapped stream: numbered, recorded, told to whoever shows it."""
        self._count += 1
        session = TapSession(self._count, state)
        if self.record_dir is not None:
            self.recorders[session.number] = record(session, self.record_dir, backend="tap",
                                                    policy=self.record_policy)  # fmt: skip
        self.sessions.append(session)
        for told in (self.on_stream, *self.on_adopt):
            with contextlib.suppress(Exception):
                told(session)
        return session

    def keeper(self, state: StreamState) -> AudioSink | None:
        """With ``--keep-audio``: the app's audio beside the stream's recording (once that has a name)."""
        session = next((s for s in reversed(self.sessions) if s.state is state), None)
        if not self.keep_audio or session is None or session.recording_path is None:
            return None
        options = {key: str(value) for key, value in state.setup.options.items()}
        return AudioKeeper(session.recording_path, options)

    def finished(self, session: TapSession) -> None:
        recorder = self.recorders.pop(session.number, None)
        if recorder is not None:
            recorder.close()
        session.ended.set()

    def remove(self, session: Stream) -> None:
        if session in self.sessions:
            self.sessions.remove(session)  # type: ignore[arg-type]  # it is one of ours, or not there

    async def run(self, session: Stream) -> bool:
        return await session.run()

    async def close(self) -> None:
        """Stop listening and cut what is still open (the app sees its connections drop)."""
        if self._ticker is not None:
            self._ticker.cancel()
        forwarder = self.forwarder
        if forwarder is not None and forwarder.returncode is None:
            assert forwarder.stdin is not None
            forwarder.stdin.close()  # it closes its connections, sends what they said, and ends
            try:
                await asyncio.wait_for(forwarder.wait(), 10)
            except TimeoutError:
                forwarder.kill()
                await forwarder.wait()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 10)
        if self._complaints is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._complaints, 2)
        await asyncio.sleep(0)  # what the connections said as they were cut: analysed before the end
        for session in self.sessions:
            self.finished(session)
        if self.engine is not None:
            await self.engine.__aexit__(None, None, None)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            now = time.monotonic()
            for stream in list(self.open_streams):
                with contextlib.suppress(Exception):
                    stream.tick(now)
