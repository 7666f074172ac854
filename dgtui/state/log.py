"""A stream's event log (connection events, state changes, errors with their explanations) and the raw messages
the inspector shows, both bounded. A part of the stream's state; only
:class:`~dgtui.state.stream.StreamState` writes it."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from dgtui.process.secrets import redact
from dgtui.protocol.flux import FluxMessage
from dgtui.protocol.messages import Error, Metadata, Results, ServerMessage, SpeechStarted, UnknownMessage, UtteranceEnd


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
    message: ServerMessage | FluxMessage | None = None  # None: the frame was not JSON

    @property
    def summary(self) -> str:
        """One line: flags and text (made when the inspector shows it, not on the per-message path)."""
        return describe(self.message) if self.message is not None else ""


def describe(message: ServerMessage | FluxMessage) -> str:
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


def message_kind(message: ServerMessage | FluxMessage) -> str:
    return (message.type or "?") if isinstance(message, UnknownMessage) else type(message).__name__


class EventLog:
    """The log lines (secrets redacted) and the raw messages, each numbered so a view adds only what is new."""

    def __init__(self, keep_log: int = 500, keep_raw: int = 500) -> None:
        self.entries: deque[LogEntry] = deque(maxlen=keep_log)
        self.seq = 0  # the newest line's number
        self.raw: deque[RawMessage] = deque(maxlen=keep_raw)
        self.raw_seq = 0

    def add(self, at: float, text: str, level: str = "info") -> None:
        self.seq += 1
        self.entries.append(LogEntry(self.seq, at, level, redact(text)))

    def add_raw(
        self, at: float, cursor: float, kind: str, raw: str, message: ServerMessage | FluxMessage | None = None
    ) -> None:
        self.raw_seq += 1
        self.raw.append(RawMessage(self.raw_seq, at, cursor, kind, raw, message))
