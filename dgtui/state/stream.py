"""What a stream looks like right now: everything a view, a printer or a recorder reads, in bounded memory.

A :class:`StreamState` changes in one place: :meth:`StreamState.apply`, which takes an event (a server message,
audio sent, a connection opened or closed, ...), applies it to the state's parts and hands it to every
listener. A live session applies what happens on its connection; a replay applies a recording's events; a
scripted stream (tests, benchmarks, screenshots) applies a list of them. Views never parse protocol and never
write: they read the parts and compare ``version`` to know whether anything changed.

The parts: ``setup`` (fixed: name, API, source, options, prices), ``connection`` (phase, request ids, closes,
reconnects), ``audio`` (what was sent), ``transcript`` and ``turns`` (Flux), ``metrics`` and ``lights``,
``reach`` (what latency anchored on true word times reads), ``health`` (silence, outages) and ``log`` (the
event log and the raw messages); ``usage()`` is computed from them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import msgspec

from dgtui.process.secrets import redact
from dgtui.protocol.errors import CloseCode
from dgtui.protocol.flux import (
    EAGER_END_OF_TURN,
    END_OF_TURN,
    TURN_EVENTS,
    FatalError,
    FluxConfigureFailure,
    FluxConfigureSuccess,
    FluxMessage,
    FluxWarning,
    TurnInfo,
    decode_flux,
    sequence_of,
    shifted_turn,
)
from dgtui.protocol.flux import Connected as FluxConnected
from dgtui.protocol.messages import (
    ConfigureFailure,
    ConfigureSuccess,
    Error,
    Metadata,
    Results,
    ServerMessage,
    SpeechStarted,
    UnknownMessage,
    UtteranceEnd,
    decode_message,
    shifted,
)
from dgtui.state.audio import Audio
from dgtui.state.client import Finding, Sending
from dgtui.state.connection import Connection, Refusal, clean_close, error_code
from dgtui.state.events import (
    AudioAccounted,
    AudioProgress,
    AudioSent,
    Closed,
    Connected,
    Control,
    Diagnosis,
    Endpoint,
    Event,
    FaultFired,
    Handshake,
    InvalidFrame,
    Manifest,
    MessageReceived,
    Note,
    Reconnected,
    Reconnecting,
    Refused,
    Sent,
    SessionError,
    SourceOpened,
    SourceReopening,
    SourceTitle,
    Started,
    State,
    StateChanged,
)
from dgtui.state.health import DAY, Health, heard
from dgtui.state.log import EventLog, message_kind
from dgtui.state.metrics import Lights, SessionMetrics
from dgtui.state.reach import Reach
from dgtui.state.setup import Setup
from dgtui.state.transcript import Transcript
from dgtui.state.turns import Turns
from dgtui.state.usage import Usage, usage_of

Listener = Callable[[Event], None]
Clock = Callable[[], float]

CONTROL_NAMES = {"force_end_turn": "ForceEndTurn", "configure": "Configure", "finalize": "Finalize"}


class StreamState:
    """A stream's state: its parts, changed only by :meth:`apply`; listeners get every event applied (but the
    live owner's own, :data:`~dgtui.state.events.LocalEvent`)."""

    def __init__(
        self,
        setup: Setup,
        *,
        conditions: list[str] | None = None,
        url: str = "",
        listeners: list[Listener] | None = None,
        clock: Clock = time.monotonic,
        keep_raw: int = 500,
        keep_log: int = 500,
        transcript: Transcript | None = None,
    ) -> None:
        self.setup = setup
        self.clock = clock
        self.connection = Connection(url=url)
        self.audio = Audio(conditions=list(conditions or ()))
        self.transcript = transcript or Transcript()
        self.turns = Turns(self.transcript, self.audio.sent_at)  # Flux's turns and their metrics (unused on v1)
        self.metrics = SessionMetrics()
        self.lights = Lights()
        self.reach = Reach()
        self.health = Health()
        self.sending = Sending()
        self.log = EventLog(keep_log, keep_raw)
        self.manifest: Manifest | None = None
        self.version = 0  # bumped on every change a view may show
        self._listeners: list[Listener] = list(listeners or [])
        self._apply: dict[type[Event], Callable[[Any, float], Event | None]] = {
            MessageReceived: self._message,
            AudioSent: self._audio_sent,
            AudioProgress: self._audio_progress,
            AudioAccounted: self._audio_accounted,
            Connected: self._connected,
            Reconnected: self._reconnected,
            StateChanged: self._state_changed,
            SessionError: self._error,
            Control: self._control,
            Diagnosis: self._diagnosis,
            FaultFired: self._fault,
            Handshake: self._handshake,
            Sent: self._sent_summary,
            Reconnecting: self._reconnecting,
            SourceOpened: self._source_opened,
            SourceReopening: self._source_reopening,
            SourceTitle: self._title,
            Closed: self._closed,
            Manifest: self._manifest,
            Note: self._note,
            Endpoint: self._endpoint,
            InvalidFrame: self._invalid,
            Refused: self._refused,
            Started: self._started,
        }

    # -- what views read -----------------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.setup.name

    @property
    def flux(self) -> bool:
        return self.setup.flux

    @property
    def clean(self) -> bool:
        return clean_close(self.connection.error, self.connection.close_code, self.flux)

    def committed_until(self) -> float:
        """Audio (seconds) up to which every channel has its finals (on Flux: the last EndOfTurn): after a drop,
        the rest is sent again."""
        return self.turns.committed if self.flux else self.transcript.committed_until()

    def usage(self, now: float | None = None) -> Usage:
        """What the stream used of its backend so far (the audio billed, the time connected, the add-ons)."""
        now = self.clock() if now is None else now
        return usage_of(self.setup.options, self.connection.url, self.setup.local_engine, self.metrics.bytes_sent,
                        self.audio, self.connection.connection_time(now))  # fmt: skip

    def subscribe(self, listener: Listener) -> None:
        """``listener`` gets every event applied from now on (a recorder, a printer)."""
        self._listeners.append(listener)

    # -- the one place the state changes -------------------------------------------------------------------

    def apply(self, event: Event, at: float | None = None) -> None:
        """Apply ``event``, which happened at clock time ``at`` (now unless given), and hand it to the
        listeners (as applied: a message decoded and on this stream's timeline); the live owner's own events
        are applied only."""
        at = self.clock() if at is None else at
        applied = self._apply[type(event)](event, at)
        if not isinstance(event, AudioSent | AudioProgress):  # audio: a view shows it at its next tick anyway
            self.version += 1
        if applied is None:
            return
        if applied.name != self.setup.name:  # a scripted event names no stream: it is this one's
            applied = msgspec.structs.replace(applied, name=self.setup.name)
        for listener in self._listeners:
            listener(applied)

    def _note(self, event: Note, at: float) -> None:
        self.log.add(at, event.text, event.level)

    def _say(self, at: float, text: str, level: str = "info") -> None:
        self.log.add(at, text, level)

    # -- server messages -----------------------------------------------------------------------------------

    def _message(self, event: MessageReceived, at: float) -> Event | None:
        raw = event.raw
        message = event.message
        if message is None:  # a recorded or scripted message: decoded here, by the real decoder
            try:
                message = decode_flux(raw) if self.flux else decode_message(raw)
            except msgspec.DecodeError:
                self.apply(SessionError(self.name, "the recorded server message is not JSON (ignored)", raw[:200],
                                        fatal=False), at)  # fmt: skip
                return None
        cursor = self.audio.cursor if event.cursor is None else event.cursor
        offset = self.connection.offset
        if offset:
            message = shifted_turn(message, offset) if self.flux else shifted(message, offset)  # type: ignore[arg-type]
        self.metrics.on_message(message, at, cursor)
        self._server_reach(message)
        self.transcript.on_message(self.transcript.committing(message), at)
        self.log.add_raw(at, cursor, message_kind(message), raw, message)
        if isinstance(message, Results):
            self._results(message, at)
        elif isinstance(message, UtteranceEnd):
            self.reach.speech_ends.append(message.last_word_end, at, "UtteranceEnd")
            self.lights.light("UtteranceEnd", at)
        elif isinstance(message, SpeechStarted):
            self.lights.light("SpeechStarted", at)
        elif isinstance(message, Metadata):
            self.connection.metadata = message
            self._say(at, f"Metadata: {message.duration:.2f} s of audio, {message.channels} channel(s)")
        elif isinstance(message, Error):
            self.connection.error_codes[error_code("server", message.code or message.variant or "Error")] += 1
            self._say(at, f"server error {message.variant or ''}: {message.description or message.message}", "error")
        elif isinstance(message, ConfigureSuccess):
            self._say(at, "ConfigureSuccess")
        elif isinstance(message, ConfigureFailure):
            self._say(at, f"ConfigureFailure {message.code}: {message.description}", "warning")
        elif isinstance(message, UnknownMessage):
            self._say(at, f"unknown message type {message.type!r} (ignored; see the inspector)", "warning")
        if self.flux:
            self._flux(message, at, cursor)
        return MessageReceived(self.name, raw, message, at, cursor)

    def _server_reach(self, message: ServerMessage | FluxMessage) -> None:
        """How far the server has reported on: a fast sender keeps within reach of it."""
        if isinstance(message, Results):
            self.audio.server_reach = max(self.audio.server_reach, message.end)
        elif isinstance(message, TurnInfo):
            self.audio.server_reach = max(self.audio.server_reach, message.audio_window_end)

    def _results(self, result: Results, at: float) -> None:
        connection = self.connection
        if not connection.model_info and result.metadata.model_info:
            connection.model_info = msgspec.structs.asdict(result.metadata.model_info)
            connection.model_uuid = result.metadata.model_uuid
        if result.channel_index and len(result.channel_index) > 1:
            connection.channels = max(connection.channels, result.channel_index[1])
        for flag in ("is_final", "speech_final", "from_finalize"):
            if getattr(result, flag):
                self.lights.light(flag, at)
        if result.transcript:
            self.health.words_at = at
            words = result.alternative.words
            reach = words[-1].end if words else result.end
            self.reach.text_seen.add(reach, at)
            if result.is_final:
                self.reach.final_seen.add(reach, at)
        if result.speech_final:
            self.reach.speech_ends.append(result.end, at, "speech_final")

    def _flux(self, message: ServerMessage | FluxMessage, at: float, cursor: float) -> None:
        """A Flux message: turns, their lights, the sequence check, replies and warnings."""
        sequence = sequence_of(message)  # type: ignore[arg-type]
        if sequence is not None:
            expected = 0 if self.connection.sequence_id is None else self.connection.sequence_id + 1
            if sequence != expected and not isinstance(message, FluxConnected):
                self._say(at, f"sequence_id gap: expected {expected}, got {sequence} (messages lost)", "warning")
            self.connection.sequence_id = sequence
        if isinstance(message, TurnInfo):
            ended = self.turns.metrics.eot_wall.count, self.turns.metrics.eot_audio.count
            self.turns.on_turn(message, at, cursor)
            self._turn_timeline(ended, cursor)
            if message.transcript:
                self.health.words_at = at
                reach = message.last_word_end or message.audio_window_end
                self.reach.text_seen.add(reach, at)
                if message.event == END_OF_TURN:
                    self.reach.final_seen.add(reach, at)
            if message.event in (EAGER_END_OF_TURN, END_OF_TURN):
                self.reach.speech_ends.append(message.audio_window_end, at, message.event)
            if message.event in TURN_EVENTS:
                self.lights.light(message.event, at)
        elif isinstance(message, FluxWarning):
            if message.code == "FORCE_END_TURN_NO_ACTIVE_TURN" and self.turns.end_forced:
                self._say(at, "no turn was open (the ForceEndTurn had nothing to end)")
            else:
                self._say(at, f"server warning {message.code}: {message.description}", "warning")
        elif isinstance(message, FatalError):  # told as an error too, as any other that ends the stream
            self.connection.error_codes[error_code("server", message.code or "Error")] += 1
            self.apply(SessionError(self.name, f"server error {message.code}: {message.description}"), at)
        elif isinstance(message, FluxConfigureSuccess):
            self.turns.thresholds = msgspec.structs.asdict(message.thresholds)
            shown = ", ".join(f"{k} {v}" for k, v in self.turns.thresholds.items() if v is not None)
            self._say(at, f"ConfigureSuccess: {shown or 'thresholds unchanged'}; keyterms {message.keyterms or []}")
        elif isinstance(message, FluxConfigureFailure):
            self._say(at, f"ConfigureFailure {message.code}: {message.description} (earlier settings stay)", "warning")

    def _turn_timeline(self, before: tuple[int, int], cursor: float) -> None:
        """A Flux turn that ended goes on the latency timeline: its end of turn, and its audio lag as a final's."""
        metrics, timeline = self.turns.metrics, self.metrics.timeline
        if metrics.eot_wall.count > before[0]:
            timeline.add("end_of_turn", cursor, metrics.eot_wall.last)
        if metrics.eot_audio.count > before[1]:
            timeline.add("final", cursor, metrics.eot_audio.last)

    def _invalid(self, event: InvalidFrame, at: float) -> None:
        """A frame that is not JSON: reported (not fatal) and kept for the inspector."""
        self.log.add_raw(at, self.audio.cursor, "(not JSON)", event.raw[:4000])
        self.connection.error_codes[error_code("invalid_frame", None)] += 1
        self.apply(SessionError(self.name, "the server sent a message that is not JSON (ignored)", event.raw[:200],
                                fatal=False), at)  # fmt: skip

    # -- audio -----------------------------------------------------------------------------------------------

    def _audio_sent(self, event: AudioSent, at: float) -> None:
        if event.fresh:
            self.audio.digest.update(event.fresh)
        self._sent(event.size, event.cursor, event.level_db, at, log=True)

    def _audio_progress(self, event: AudioProgress, at: float) -> Event:
        """Audio sent so far: a live stream knows it already (chunk by chunk); a replay learns it here."""
        level = math.nan if event.level_db is None else event.level_db
        moved = event.cursor > self.audio.cursor
        self._sent(max(0, event.bytes_sent - self.metrics.bytes_sent), event.cursor, level, at, log=moved)
        return event if event.at == at else msgspec.structs.replace(event, at=at)  # a replay's, on this clock

    def _sent(self, size: int, cursor: float, level_db: float, at: float, *, log: bool) -> None:
        audio = self.audio
        audio.cursor = max(audio.cursor, cursor)  # audio sent again after a drop does not move it back
        audio.level_db = level_db
        if heard(level_db):
            self.health.heard_at = at
        if log:
            audio.sent_log.append(audio.cursor, at)
            self.sending.sent(audio.cursor, at)
        self.metrics.on_audio(size, audio.cursor, at)

    def _audio_accounted(self, event: AudioAccounted, at: float) -> None:
        self.audio.resent += event.resent
        self.audio.lost += event.lost

    # -- the connection ----------------------------------------------------------------------------------

    def _started(self, event: Started, at: float) -> None:
        if self.connection.started_at is None:
            self.connection.started_at = at

    def _endpoint(self, event: Endpoint, at: float) -> None:
        self.connection.url = event.url

    def _refused(self, event: Refused, at: float) -> None:
        self.connection.request_id = event.request_id
        self.connection.refusal = Refusal(event.status, event.dg_error, event.request_id)
        self.connection.error_codes[error_code("http", event.status)] += 1

    def _connected(self, event: Connected, at: float) -> Event:
        connection, timings = self.connection, event.timings
        self.audio.server_reach = 0.0  # this connection has reported on nothing yet
        if connection.started_at is None:
            connection.started_at = at
        connection.opened_at = at
        if self.health.outages and self.health.outages[-1][1] is None:  # back after an outage
            self.health.outages[-1][1] = at
            self.health.reconnected_at.append(at)
        connection.url, connection.request_id, connection.timings = event.url, event.request_id, timings
        connection.sequence_id = None  # a new connection counts its messages from 0
        self.turns.connection_opened()
        if event.request_id:
            connection.request_ids.append(event.request_id)
        self._say(at, f"connected to {event.url}; request id {event.request_id or '-'}; handshake "
                      f"{timings.total * 1000:.0f} ms (dns {timings.dns * 1000:.0f}, tcp {timings.tcp * 1000:.0f}, "
                      f"tls {timings.tls * 1000:.0f}, upgrade {timings.upgrade * 1000:.0f})")  # fmt: skip
        return event

    def _reconnected(self, event: Reconnected, at: float) -> Event:
        """After a reconnect: the gap, a mark in the transcript, and the audio it cost (a live stream counted it
        as it happened; a replay learns it here)."""
        self.connection.gaps.append(event.gap)
        self.transcript.mark("reconnect", event.offset,
                             f"reconnected after {event.gap:.1f} s · request id {event.request_id or '-'}")  # fmt: skip
        audio = self.audio
        told = (audio.told[0] + event.audio_resent, audio.told[1] + event.audio_lost)
        audio.resent, audio.lost = max(audio.resent, told[0]), max(audio.lost, told[1])
        audio.told = told
        return event

    def _state_changed(self, event: StateChanged, at: float) -> Event:
        self.connection.phase = event.state
        if event.state in (State.CLOSED, State.ERROR) and self.connection.ended_at is None:
            self.connection.ended_at = at
        self._say(at, f"state: {event.state.value}", "error" if event.state is State.ERROR else "info")
        return event

    def _error(self, event: SessionError, at: float) -> Event:
        """An error; a fatal one is the stream's outcome (``error``), others are only counted and shown."""
        message, detail = redact(event.message), redact(event.detail)
        if event.fatal:
            self.connection.error = message
        self.connection.errors += 1
        self._say(at, message + (f" ({detail})" if detail else ""), "error")
        return SessionError(self.name, message, detail, event.fatal)

    def _control(self, event: Control, at: float) -> Event:
        """Something dgtui did to the stream (a Finalize sent, a pause, a resume, a reconnect begun)."""
        action, offset = event.action, event.offset
        if action == "reconnect":
            self.connection.reconnects += 1
            self.connection.offset = offset
            self.metrics.timeline.mark_reconnect(self.audio.cursor)
            self._say(at, f"reconnecting (#{self.connection.reconnects}) at {offset:.1f} s of audio")
        elif action in ("pause", "resume"):
            holds = " (KeepAlive holds the connection)" if action == "pause" else ""
            self._say(at, f"{action}d at {offset:.1f} s of audio{holds}")
        else:
            if action == "force_end_turn":
                self.turns.end_forced = True  # a "no active turn" Warning may follow: it is expected
            name = CONTROL_NAMES.get(action, action)
            self.sending.controls[name] += 1
            if name != "KeepAlive" or self.sending.controls[name] == 1:  # every few seconds: said once
                self._say(at, f"{name} sent" + (" (every one is counted on the Metadata panel)"
                                                if name == "KeepAlive" else ""))  # fmt: skip
        return event

    def _diagnosis(self, event: Diagnosis, at: float) -> Event:
        """A mistake in how the client streams (seen by a tap): on the card, and said with what to do."""
        event = msgspec.structs.replace(event, message=redact(event.message))
        self.sending.findings.append(Finding(event.code, event.summary, event.message, at))
        self._say(at, event.message, "warning")
        return event

    def _handshake(self, event: Handshake, at: float) -> Event:
        """How a watched client opened its stream: said once in the log."""
        self._say(at, f"the client opened {event.path} ({event.auth} auth): {redact(event.query) or 'no options'}")
        return event

    def _sent_summary(self, event: Sent, at: float) -> Event:
        """A watched client's sending, summed up as its stream ends."""
        self.sending.closed_by = event.closed_by
        pace = "-" if event.pace is None else f"{event.pace:.2f}x real time"
        self._say(at, f"the client sent {event.audio_s:.1f} s of audio at {pace}, {event.gaps} gap(s) (longest "
                      f"{event.longest_gap_s:.1f} s); closed first by: {event.closed_by or '-'}")  # fmt: skip
        return event

    def _fault(self, event: FaultFired, at: float) -> Event:
        """A fault injected on purpose: counted on the connection, said in the log."""
        self.connection.faults.append(event.fault)
        self._say(at, f"fault: {event.fault}", "warning")
        return event

    def _reconnecting(self, event: Reconnecting, at: float) -> Event:
        event = msgspec.structs.replace(event, reason=redact(event.reason))
        attempt = f"attempt {event.attempt} of {event.max_attempts}"
        self._say(at, f"connection lost ({event.reason}); reconnecting in {event.backoff:.1f} s ({attempt}), "
                      "buffering the audio meanwhile", "warning")  # fmt: skip
        return event

    def _source_opened(self, event: SourceOpened, at: float) -> Event:
        """The source said what it is (a remote one once its server answered)."""
        self.audio.source_kind, self.audio.source_reason = str(event.kind), redact(event.reason)
        self._say(at, f"source: {self.audio.source_kind}: {self.audio.source_reason}")
        return SourceOpened(self.name, self.audio.source_kind, self.audio.source_reason)

    def _source_reopening(self, event: SourceReopening, at: float) -> Event:
        event = msgspec.structs.replace(event, reason=redact(event.reason))
        self._say(at, f"source: {event.reason}; opening it again in {event.backoff:.1f} s (attempt {event.attempt} "
                      f"of {event.max_attempts}); KeepAlive holds the connection", "warning")  # fmt: skip
        return event

    def _title(self, event: SourceTitle, at: float) -> Event:
        self._say(at, f"now playing: {event.title}")
        return event

    def _closed(self, event: Closed, at: float) -> Event:
        connection = self.connection
        connection.close_code, connection.close_reason = event.code, event.reason
        connection.closed_at = at
        if not event.clean:
            connection.error_codes[error_code("close", event.code)] += 1
        if connection.opened_at is not None:
            connection.closed_seconds += max(0.0, at - connection.opened_at)
            connection.opened_at = None
        if connection.ended_at is None:  # an outage, until the next connection (or the end of the stream)
            self.health.outages.append([at, None])
        self.health.forget_before(at - DAY)
        self.transcript.finish()  # what is still open at the end of a connection becomes an utterance
        self._say(at, f"closed: {event.explanation}", "info" if event.code == CloseCode.NORMAL else "warning")
        return event

    def _manifest(self, event: Manifest, at: float) -> Event:
        """The stream is over: what its run must share with another to compare (recorded, and in --json)."""
        self.manifest = event
        if event.conditions and not self.audio.conditions:  # a replay learns them here
            self.audio.conditions = list(event.conditions)
        return event
