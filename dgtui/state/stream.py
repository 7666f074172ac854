"""What a stream looks like right now: everything a view, a printer or a recorder reads, in bounded memory.

``SessionState`` is fed decoded server messages and dgtui's own events. A live session feeds it from its
connection; a scripted one (tests, benchmarks, screenshots) or a replay feeds it from a list. Views never
parse protocol: they read these attributes and compare ``version`` to know whether anything changed.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from dgtui.audio.conditions import time_scale_of
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
from dgtui.state.events import (
    AudioProgress,
    Closed,
    Connected,
    Control,
    Event,
    HandshakeTimings,
    Manifest,
    MessageReceived,
    Reconnected,
    Reconnecting,
    SessionError,
    SourceOpened,
    SourceReopening,
    SourceTitle,
    State,
    StateChanged,
)
from dgtui.state.health import DAY, heard
from dgtui.state.metrics import SessionMetrics
from dgtui.state.reach import ReachLog, RisingLog, SpeechEnds
from dgtui.state.transcript import Transcript
from dgtui.state.turns import Turns
from dgtui.state.usage import DEFAULT_PRICES, Prices

Listener = Callable[[Event], None]
Clock = Callable[[], float]

FLAGS = ("is_final", "speech_final", "from_finalize", "SpeechStarted", "UtteranceEnd")


@dataclass(frozen=True, slots=True)
class LogEntry:
    seq: int
    at: float  # clock time
    level: str  # "info", "warning" or "error"
    text: str


@dataclass(frozen=True, slots=True)
class RawMessage:
    """A server message exactly as received, for the inspector."""

    seq: int
    at: float
    cursor: float
    kind: str
    raw: str
    message: ServerMessage | None = None  # None: the frame was not JSON

    @property
    def summary(self) -> str:
        """One line: flags and text (made when the inspector shows it, not on the per-message path)."""
        return describe(self.message) if self.message is not None else ""


def describe(message: ServerMessage) -> str:
    """One line saying what a message carries, for lists of messages."""
    if isinstance(message, Results):
        flags = [f for f in ("is_final", "speech_final", "from_finalize") if getattr(message, f)]
        text = message.transcript
        return " ".join([*flags, f"[{message.start:.2f}+{message.duration:.2f}]", repr(text) if text else "(empty)"])
    if isinstance(message, UtteranceEnd):
        return f"last_word_end {message.last_word_end:.2f}"
    if isinstance(message, SpeechStarted):
        return f"timestamp {message.timestamp:.2f}"
    if isinstance(message, Metadata):
        return f"duration {message.duration:.2f} s"
    if isinstance(message, Error):
        return f"{message.variant} {message.description or message.message}".strip()
    return ""


def message_kind(message: ServerMessage) -> str:
    return (message.type or "?") if isinstance(message, UnknownMessage) else type(message).__name__


@dataclass(frozen=True, slots=True)
class Refusal:
    """A handshake the server refused: its HTTP status (None: no HTTP answer), ``dg-error`` and request id."""

    status: int | None
    dg_error: str
    request_id: str | None


class SessionState:
    """A stream's state, updated by messages and events; listeners get every event."""

    def __init__(
        self,
        name: str,
        *,
        source: str = "",
        url: str = "",
        options: dict[str, Any] | None = None,
        listeners: list[Listener] | None = None,
        clock: Clock = time.monotonic,
        keep_raw: int = 500,
        keep_log: int = 500,
        transcript: Transcript | None = None,
        api: str = "v1",
    ) -> None:
        self.name = name
        self.api = api  # "v1": Nova on /v1/listen; "v2": Flux on /v2/listen (turns)
        self.local_engine = False  # served by dgtui's embedded engine (its owner says so): not Deepgram's model
        self.source_label = source
        self.url = url  # shown, so without secrets
        self.options = dict(options or {})
        self.listeners: list[Listener] = list(listeners or [])
        self.clock = clock
        self.transcript = transcript or Transcript()
        self.metrics = SessionMetrics()
        self.sent_log = RisingLog(6000)  # (audio cursor, clock time sent)
        self.speech_ends = SpeechEnds(2000)  # the end-of-speech signals, in arrival order
        self.text_seen = ReachLog()  # how far the words shown reached, and when (interim or final)
        self.final_seen = ReachLog()  # the same for final words (Nova's finals, Flux's EndOfTurn)
        self.audio_digest = hashlib.sha256()  # of the audio sent, each byte once (the manifest's audio_sha256)
        self.manifest: Manifest | None = None
        self.turns = Turns(self.transcript, self.sent_at)  # Flux's turns and their metrics (unused on v1)
        self.sequence_id: int | None = None  # Flux: the last sequence_id seen (a gap is reported)
        self.thresholds: dict[str, Any] = {}  # Flux: the turn thresholds the server last confirmed
        self.phase = State.CONNECTING
        self.request_id: str | None = None
        self.request_ids: list[str] = []
        self.timings: HandshakeTimings | None = None
        self.refusal: Refusal | None = None  # the last handshake refused, if one was
        self.metadata: Metadata | None = None
        self.model_info: dict[str, str] = {}
        self.model_uuid = ""
        self.channels = 1
        self.cursor = 0.0
        self.level_db = math.nan
        self.error: str | None = None
        self.errors = 0
        self.close_code: int | None = None
        self.close_reason = ""
        self.reconnects = 0
        self.offset = 0.0  # audio seconds before the current connection: its timestamps are shifted by this
        self.final_end: dict[int, float] = {}  # per channel, where its last final ended: audio with a transcript
        self.duplicates = 0  # finals for audio already committed (sent again after a drop), kept off the transcript
        self.started_at: float | None = None
        self.ended_at: float | None = None
        self.flag_at: dict[str, float] = {}  # when each indicator last lit
        self.flag_counts: Counter[str] = Counter()
        self.arrivals: deque[float] = deque(maxlen=256)
        self.raw: deque[RawMessage] = deque(maxlen=keep_raw)
        self.raw_seq = 0
        self.log: deque[LogEntry] = deque(maxlen=keep_log)
        self.log_seq = 0
        self.recording_path: Path | None = None  # the session's recording, once there is one
        self.gaps: list[float] = []  # seconds without a connection, one per reconnect
        self.audio_lost = 0.0  # seconds of audio left without a transcript by outages (a full buffer)
        self.audio_resent = 0.0  # seconds of audio sent again after drops (their results died with the connection)
        self.conditions: list[str] = []  # the audio conditions applied before sending (--condition)
        self.prices: Prices = DEFAULT_PRICES  # what its usage costs (the config file's [prices], given by the runner)
        self.server_reach = 0.0  # the furthest audio this connection's results reported on (on the stream's timeline)
        self.heard_at: float | None = None  # when a chunk last carried a signal (health.silence)
        self.words_at: float | None = None  # when words were last transcribed
        self.outages: deque[list[float | None]] = deque()  # [lost, back] per connection lost in the last day
        self.reconnected_at: deque[float] = deque()  # when each reconnect in the last day connected
        self.connection_seconds = 0.0  # time with a connection open, over every connection (closed ones)
        self._opened_at: float | None = None
        self.source_kind = ""  # what the source was taken for: "file", "live", "hls" ("" until known)
        self.source_reason = ""  # why, in words
        self._reported = (0.0, 0.0)  # audio re-sent and lost already told in a Reconnected event
        self._closed_at: float | None = None
        self.version = 0  # bumped on every change a view may show
        self._progress_at = 0.0

    # -- queries -----------------------------------------------------------------------------------------

    @property
    def flux(self) -> bool:
        return self.api == "v2"

    @property
    def time_scale(self) -> float:
        """Seconds of sent audio per second of the source (``speed:1.1`` sends 1/1.1), from its conditions."""
        return time_scale_of(self.conditions)

    @property
    def flags(self) -> tuple[str, ...]:
        """The indicators this stream's protocol lights."""
        return TURN_EVENTS if self.flux else FLAGS

    @property
    def clean(self) -> bool:
        # Flux closes without a status code after CloseStream (1005), as Deepgram documents.
        return self.error is None and (self.close_code == CloseCode.NORMAL or (self.flux and self.close_code == 1005))

    def uptime(self, now: float | None = None) -> float:
        if self.started_at is None:
            return 0.0
        end = self.ended_at if self.ended_at is not None else (self.clock() if now is None else now)
        return max(0.0, end - self.started_at)

    def messages_per_second(self, now: float | None = None, window: float = 5.0) -> float:
        now = self.clock() if now is None else now
        recent = sum(1 for t in self.arrivals if now - t <= window)
        return recent / window

    @property
    def reconnecting(self) -> bool:
        """Between a dropped connection and the next one (the state reads "connecting" again)."""
        return self.phase is State.CONNECTING and self.reconnects > 0

    def _reach(self, message: ServerMessage | FluxMessage) -> None:
        """How far the server has reported on: a fast sender keeps within reach of it."""
        if isinstance(message, Results):
            self.server_reach = max(self.server_reach, message.end)
        elif isinstance(message, TurnInfo):
            self.server_reach = max(self.server_reach, message.audio_window_end)

    def committed_until(self) -> float:
        """Audio (seconds) up to which every channel has its finals (on Flux: the last EndOfTurn): after a drop,
        the rest is sent again."""
        if self.flux:
            return self.turns.committed
        return min(self.final_end.values(), default=0.0)

    def sent_at(self, audio: float) -> float | None:
        """When the audio at ``audio`` seconds went out (the first chunk reaching it), while it is still logged.
        The log's cursors never go back, so it is searched by halves."""
        return self.sent_log.first_at_or_past(audio)

    def lit(self, flag: str, now: float | None = None, hold: float = 1.0) -> bool:
        """Whether an indicator lit within the last ``hold`` seconds."""
        at = self.flag_at.get(flag)
        return at is not None and (self.clock() if now is None else now) - at <= hold

    # -- input -------------------------------------------------------------------------------------------

    def receive(self, raw: str, received_at: float | None = None, cursor: float | None = None) -> ServerMessage:
        """Decode and apply one server text frame (raises ``msgspec.DecodeError`` when it is not JSON)."""
        message = decode_flux(raw) if self.flux else decode_message(raw)
        self.apply(raw, message, self.clock() if received_at is None else received_at, cursor)
        return message

    def receive_invalid(self, raw: str, received_at: float) -> None:
        """A frame that is not JSON: reported (not fatal) and kept for the inspector."""
        self.raw_seq += 1
        self.raw.append(RawMessage(self.raw_seq, received_at, self.cursor, "(not JSON)", raw[:4000]))
        self.fail("the server sent a message that is not JSON (ignored)", raw[:200], fatal=False)

    def apply(
        self, raw: str, message: ServerMessage | FluxMessage, received_at: float, cursor: float | None = None
    ) -> None:
        cursor = self.cursor if cursor is None else cursor
        if self.offset:
            message = shifted_turn(message, self.offset) if self.flux else shifted(message, self.offset)  # type: ignore[arg-type]
        self.metrics.on_message(message, received_at, cursor)
        self._reach(message)
        self.transcript.on_message(self._committing(message), received_at)
        self.arrivals.append(received_at)
        kind = message_kind(message)
        self.raw_seq += 1
        self.raw.append(RawMessage(self.raw_seq, received_at, cursor, kind, raw, message))
        if isinstance(message, Results):
            self._on_results(message, received_at)
            if message.transcript:
                self.words_at = received_at
                words = message.alternative.words
                reach = words[-1].end if words else message.end
                self.text_seen.add(reach, received_at)
                if message.is_final:
                    self.final_seen.add(reach, received_at)
            if message.speech_final:
                self.speech_ends.append(message.end, received_at, "speech_final")
        elif isinstance(message, UtteranceEnd):
            self.speech_ends.append(message.last_word_end, received_at, "UtteranceEnd")
            self._light("UtteranceEnd", received_at)
        elif isinstance(message, SpeechStarted):
            self._light("SpeechStarted", received_at)
        elif isinstance(message, Metadata):
            self.metadata = message
            self.note(f"Metadata: {message.duration:.2f} s of audio, {message.channels} channel(s)", at=received_at)
        elif isinstance(message, Error):
            self.note(f"server error {message.variant or ''}: {message.description or message.message}", "error")
        elif isinstance(message, ConfigureSuccess):
            self.note("ConfigureSuccess")
        elif isinstance(message, ConfigureFailure):
            self.note(f"ConfigureFailure {message.code}: {message.description}", "warning")
        elif isinstance(message, UnknownMessage):
            self.note(f"unknown message type {message.type!r} (ignored; see the inspector)", "warning")
        if self.flux:
            self._on_flux(message, received_at, cursor)
        self.version += 1
        self._emit(MessageReceived(self.name, raw, message, received_at, cursor))

    def _on_flux(self, message: ServerMessage | FluxMessage, received_at: float, cursor: float) -> None:
        """A Flux message: turns, their lights, the sequence check, replies and warnings."""
        sequence = sequence_of(message)  # type: ignore[arg-type]
        if sequence is not None:
            expected = 0 if self.sequence_id is None else self.sequence_id + 1
            if sequence != expected and not isinstance(message, FluxConnected):
                self.note(f"sequence_id gap: expected {expected}, got {sequence} (messages lost)", "warning")
            self.sequence_id = sequence
        if isinstance(message, TurnInfo):
            self.turns.on_turn(message, received_at, cursor)
            if message.transcript:
                self.words_at = received_at
                reach = message.last_word_end or message.audio_window_end
                self.text_seen.add(reach, received_at)
                if message.event == END_OF_TURN:
                    self.final_seen.add(reach, received_at)
            if message.event in (EAGER_END_OF_TURN, END_OF_TURN):
                self.speech_ends.append(message.audio_window_end, received_at, message.event)
            if message.event in TURN_EVENTS:
                self._light(message.event, received_at)
        elif isinstance(message, FluxWarning):
            if message.code == "FORCE_END_TURN_NO_ACTIVE_TURN" and self.turns.end_forced:
                self.note("no turn was open at the end (the ForceEndTurn before CloseStream had nothing to end)")
            else:
                self.note(f"server warning {message.code}: {message.description}", "warning")
        elif isinstance(message, FatalError):
            self.fail(f"server error {message.code}: {message.description}")
        elif isinstance(message, FluxConfigureSuccess):
            self.thresholds = msgspec.structs.asdict(message.thresholds)
            shown = ", ".join(f"{k} {v}" for k, v in self.thresholds.items() if v is not None)
            self.note(f"ConfigureSuccess: {shown or 'thresholds unchanged'}; keyterms {message.keyterms or []}")
        elif isinstance(message, FluxConfigureFailure):
            self.note(f"ConfigureFailure {message.code}: {message.description} (earlier settings stay)", "warning")

    def _committing(self, message: ServerMessage) -> ServerMessage:
        """The message as the transcript takes it: a final for audio already committed carries no words.

        After a drop, the audio since the earliest channel's last final is sent again, so another channel can
        receive a second final for audio it already has; its flags (speech_final) still count.
        """
        if not isinstance(message, Results) or not message.is_final:
            return message
        channel = message.channel_index[0] if message.channel_index else 0
        committed = self.final_end.get(channel)
        self.final_end[channel] = message.end if committed is None else max(committed, message.end)
        if committed is None or message.end > committed + 0.001 or not message.transcript:
            return message
        self.duplicates += 1
        replace = msgspec.structs.replace
        alternatives = [replace(a, transcript="", words=[]) for a in message.channel.alternatives]
        return replace(message, channel=replace(message.channel, alternatives=alternatives))

    def _on_results(self, result: Results, received_at: float) -> None:
        if not self.model_info and result.metadata.model_info:
            self.model_info = msgspec.structs.asdict(result.metadata.model_info)
            self.model_uuid = result.metadata.model_uuid
        if result.channel_index and len(result.channel_index) > 1:
            self.channels = max(self.channels, result.channel_index[1])
        if result.is_final:
            self._light("is_final", received_at)
        if result.speech_final:
            self._light("speech_final", received_at)
        if result.from_finalize:
            self._light("from_finalize", received_at)

    def _light(self, flag: str, at: float) -> None:
        self.flag_at[flag] = at
        self.flag_counts[flag] += 1

    def on_audio(self, size: int, cursor: float, level_db: float, now: float, data: bytes = b"") -> None:
        """Audio sent up to ``cursor``; ``data``: the bytes of it never sent before, for the audio's digest."""
        first = self.metrics.first_audio_at is None
        if data:
            self.audio_digest.update(data)
        self.cursor = max(self.cursor, cursor)  # audio sent again after a drop does not move it back
        self.level_db = level_db
        if heard(level_db):
            self.heard_at = now
        self.sent_log.append(self.cursor, now)
        self.metrics.on_audio(size, self.cursor, now)
        if first or cursor - self._progress_at >= 1.0:
            self.audio_progress(now)

    def audio_progress(self, now: float | None = None) -> None:
        """Tell listeners how much audio is sent (the recorder keeps it: replays compute metrics from it)."""
        self._progress_at = self.cursor
        now = self.clock() if now is None else now
        self._emit(AudioProgress(self.name, self.cursor, self.level_db, now, self.metrics.bytes_sent))

    def control(self, action: str, offset: float = 0.0) -> None:
        """Record something dgtui did to the stream (a Finalize sent, a pause, a resume, a reconnect begun)."""
        if action == "reconnect":
            self.reconnects += 1
            self.offset = offset
            self.note(f"reconnecting (#{self.reconnects}) at {offset:.1f} s of audio")
        elif action in ("pause", "resume"):
            holds = " (KeepAlive holds the connection)" if action == "pause" else ""
            self.note(f"{action}d at {offset:.1f} s of audio{holds}")
        else:
            names = {"force_end_turn": "ForceEndTurn", "configure": "Configure", "finalize": "Finalize"}
            self.note(f"{names.get(action, action)} sent")
        self._emit(Control(self.name, action, offset))

    def will_reconnect(self, attempt: int, max_attempts: int, backoff: float, reason: str) -> None:
        self.note(
            f"connection lost ({reason}); reconnecting in {backoff:.1f} s (attempt {attempt} of {max_attempts}), "
            "buffering the audio meanwhile",
            "warning",
        )
        self._emit(Reconnecting(self.name, attempt, max_attempts, backoff, redact(reason)))

    def source_opened(self, kind: str, reason: str) -> None:
        """The source said what it is (a remote one once its server answered)."""
        self.source_kind, self.source_reason = str(kind), redact(reason)
        self.note(f"source: {self.source_kind}: {self.source_reason}")
        self._emit(SourceOpened(self.name, self.source_kind, self.source_reason))

    def source_reopening(self, attempt: int, max_attempts: int, backoff: float, reason: str) -> None:
        self.note(
            f"source: {reason}; opening it again in {backoff:.1f} s (attempt {attempt} of {max_attempts}); "
            "KeepAlive holds the connection",
            "warning",
        )
        self._emit(SourceReopening(self.name, attempt, max_attempts, backoff, redact(reason)))

    # -- events ------------------------------------------------------------------------------------------

    def note(self, text: str, level: str = "info", at: float | None = None) -> None:
        """Add a line to the stream's event log."""
        self.log_seq += 1
        self.log.append(LogEntry(self.log_seq, self.clock() if at is None else at, level, redact(text)))
        self.version += 1

    def connected(self, url: str, request_id: str | None, timings: HandshakeTimings) -> None:
        self.server_reach = 0.0  # this connection has reported on nothing yet
        if self.started_at is None:
            self.started_at = self.clock()
        self._opened_at = self.clock()
        if self.outages and self.outages[-1][1] is None:  # back after an outage
            self.outages[-1][1] = self._opened_at
            self.reconnected_at.append(self._opened_at)
        self.url, self.request_id, self.timings = url, request_id, timings
        self.sequence_id = None  # a new connection counts its messages from 0
        self.turns.connection_opened()
        if request_id:
            self.request_ids.append(request_id)
        reconnected = None
        if self.reconnects and self._closed_at is not None:
            gap = max(0.0, self.clock() - self._closed_at)
            self.gaps.append(gap)
            self.transcript.mark(
                "reconnect", self.offset, f"reconnected after {gap:.1f} s · request id {request_id or '-'}"
            )
            resent, lost = self.audio_resent - self._reported[0], self.audio_lost - self._reported[1]
            self._reported = (self.audio_resent, self.audio_lost)
            reconnected = Reconnected(self.name, request_id, self.offset, gap, resent, lost)
        self.note(
            f"connected to {url}; request id {request_id or '-'}; handshake {timings.total * 1000:.0f} ms "
            f"(dns {timings.dns * 1000:.0f}, tcp {timings.tcp * 1000:.0f}, tls {timings.tls * 1000:.0f}, "
            f"upgrade {timings.upgrade * 1000:.0f})"
        )
        self._emit(Connected(self.name, url, request_id, timings))
        if reconnected is not None:
            self._emit(reconnected)

    def set_phase(self, state: State) -> None:
        self.phase = state
        if state in (State.CLOSED, State.ERROR) and self.ended_at is None:
            self.ended_at = self.clock()
        self.note(f"state: {state.value}", "error" if state is State.ERROR else "info")
        self._emit(StateChanged(self.name, state))

    def fail(self, message: str, detail: str = "", fatal: bool = True) -> None:
        """Report an error; a fatal one is the stream's outcome (``error``), others are only counted and shown."""
        message, detail = redact(message), redact(detail)
        if fatal:
            self.error = message
        self.errors += 1
        self.note(message + (f" ({detail})" if detail else ""), "error")
        self._emit(SessionError(self.name, message, detail, fatal))

    def title(self, title: str) -> None:
        self.note(f"now playing: {title}")
        self._emit(SourceTitle(self.name, title))

    def connection_time(self, now: float | None = None) -> float:
        """Seconds with a connection open so far (the one open now included)."""
        if self._opened_at is None:
            return self.connection_seconds
        return self.connection_seconds + max(0.0, (self.clock() if now is None else now) - self._opened_at)

    def reconnected_audio(self, resent: float, lost: float) -> None:
        """A recording's Reconnected event, replayed: the audio that reconnect sent again and lost."""
        self.audio_resent += resent
        self.audio_lost += lost
        self._reported = (self.audio_resent, self.audio_lost)

    def finish(self, manifest: Manifest) -> None:
        """The stream is over: what its run must share with another to compare (recorded, and in --json)."""
        self.manifest = manifest
        if manifest.conditions and not self.conditions:  # a replay learns them here
            self.conditions = list(manifest.conditions)
        self._emit(manifest)

    def closed(self, code: int | None, reason: str, explanation: str) -> None:
        self.close_code, self.close_reason = code, reason
        self._closed_at = self.clock()
        if self._opened_at is not None:
            self.connection_seconds += max(0.0, self._closed_at - self._opened_at)
            self._opened_at = None
        if self.ended_at is None:  # an outage, until the next connection (or the end of the stream)
            self.outages.append([self._closed_at, None])
        self._forget_before(self._closed_at - DAY)
        self.note(f"closed: {explanation}", "info" if code == CloseCode.NORMAL else "warning")
        self._emit(Closed(self.name, code, reason, explanation, self.clean))

    def _forget_before(self, when: float) -> None:
        """Let go of the outages and reconnects older than the health figures' longest window (a day)."""
        while self.outages and (back := self.outages[0][1]) is not None and back < when:
            self.outages.popleft()
        while self.reconnected_at and self.reconnected_at[0] < when:
            self.reconnected_at.popleft()

    def _emit(self, event: Event) -> None:
        for listener in self.listeners:
            listener(event)
