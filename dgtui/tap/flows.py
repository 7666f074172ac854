"""The app's traffic that is not a live transcription stream, followed beside the relay: HTTP/1.1 requests and
their answers (keep-alive connections carry several) read with h11, a sans-I/O parser, and WebSockets other than
``/v1/listen`` and ``/v2/listen`` (text-to-speech, the voice agent) counted in bytes. Each becomes a
:class:`~dgtui.state.client.Flow`; nothing here writes to the traffic."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import h11

from dgtui.process.secrets import redact_url
from dgtui.state.client import Flow, FlowLog
from dgtui.tap.http import Head


class FlowWatch:
    """One connection's flows: fed its request head, then each chunk of either side in order (the upstream's answer
    head among them), then ``ended`` when the connection is done."""

    def __init__(self, log: FlowLog, peer: str, request: Head, at: float,
                 on_done: Callable[[Flow], None] = lambda flow: None) -> None:  # fmt: skip
        self.log = log
        self.peer = peer
        self.on_done = on_done
        self.open: deque[Flow] = deque()  # requests sent, answers not complete yet (in order)
        self.upgraded: Flow | None = None  # a WebSocket that is not a transcription stream: counted in bytes
        self.app = h11.Connection(h11.SERVER)
        self.upstream = h11.Connection(h11.CLIENT)
        self.data(True, request.raw, at)

    def data(self, from_app: bool, data: bytes, at: float) -> None:
        if self.upgraded is not None:
            if from_app:
                self.upgraded.sent += len(data)
            else:
                self.upgraded.received += len(data)
            return
        try:
            self._parse(from_app, data, at)
        except h11.ProtocolError as exc:  # not HTTP/1.1 as h11 reads it: forwarding goes on, following stops
            for flow in self.open:
                flow.note = flow.note or f"not followed further: {exc}"
            self.upgraded = Flow(0, self.peer, "", "", at)  # a sink for the rest of the bytes

    def ended(self, at: float, note: str) -> None:
        flows = [self.upgraded] if self.upgraded is not None and self.upgraded.number else list(self.open)
        for flow in flows:
            if flow.ended is None:
                flow.ended = at
                flow.note = flow.note or ("" if flow.websocket else f"no complete answer: {note}")
                self._done(flow)

    def _start(self, request: Head, at: float) -> Flow:
        method = request.start.split(" ", 1)[0]
        return self.log.start(self.peer, method, redact_url(request.target), at)

    def _parse(self, from_app: bool, data: bytes, at: float) -> None:
        """Each side's events, mirrored into the other side's parser (its half of the exchange), so both follow
        the same request-answer cycles."""
        reader, mirror = (self.app, self.upstream) if from_app else (self.upstream, self.app)
        reader.receive_data(data)
        while self.upgraded is None and (event := reader.next_event()) not in (h11.NEED_DATA, h11.PAUSED):
            if isinstance(event, h11.ConnectionClosed):
                break
            mirror.send(event)  # type: ignore[arg-type]
            if from_app:
                self._request_event(event, at)
            else:
                self._response_event(event, at)
            for connection in (self.app, self.upstream):
                if connection.our_state is h11.DONE and connection.their_state is h11.DONE:
                    connection.start_next_cycle()

    def _request_event(self, event: object, at: float) -> None:
        if isinstance(event, h11.Request):
            head = Head(f"{event.method.decode()} {event.target.decode('latin-1')} HTTP/1.1", (), b"")
            self.open.append(self._start(head, at))
        elif isinstance(event, h11.Data) and self.open:
            self.open[-1].sent += len(event.data)

    def _response_event(self, event: object, at: float) -> None:
        flow = self.open[0] if self.open else None
        if flow is None:
            return
        if isinstance(event, h11.Response):
            flow.status = event.status_code
            self.log.changed()
        elif isinstance(event, h11.InformationalResponse) and event.status_code == 101:
            flow.status = 101
            self.open.popleft()
            self.upgraded = flow
            self.log.changed()
        elif isinstance(event, h11.Data):
            flow.received += len(event.data)
        elif isinstance(event, h11.EndOfMessage):
            flow.ended = at
            self.open.popleft()
            self._done(flow)

    def _done(self, flow: Flow) -> None:
        self.log.changed()
        self.on_done(flow)
