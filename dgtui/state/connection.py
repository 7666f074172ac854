"""A stream's connections: the phase it is in, where it connected and what the server said about itself (request
ids, model, handshake), how each connection ended, reconnects and the time without one. A part of the stream's
state; only :class:`~dgtui.state.stream.StreamState` writes it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import msgspec

from dgtui.protocol.errors import CloseCode
from dgtui.protocol.messages import Metadata
from dgtui.state.events import HandshakeTimings, State


def clean_close(error: str | None, code: int | None, flux: bool) -> bool:
    """Whether a stream ended cleanly: no error, and a normal close (Flux closes without a status code after
    CloseStream, 1005, as Deepgram documents)."""
    return error is None and (code == CloseCode.NORMAL or (flux and code == CloseCode.NO_STATUS))


def error_code(kind: str, value: object) -> str:
    """An error's code, as the metrics count it: a refusal's HTTP status (``http_429``), a close that was not
    clean (``close_1011``), a server's ``Error`` (its code, ``NET-0001``), or a frame that is not JSON
    (``invalid_frame``). A small set: never a request id or a message's text."""
    text = str(value if value is not None else "none")[:32]
    return text if kind == "server" else f"{kind}_{text}" if kind in ("http", "close") else kind


@dataclass(frozen=True, slots=True)
class Refusal:
    """A handshake the server refused: its HTTP status (None: no HTTP answer), ``dg-error`` and request id."""

    status: int | None
    dg_error: str
    request_id: str | None


@dataclass
class Connection:
    phase: State = State.CONNECTING
    url: str = ""  # shown, so without secrets
    request_id: str | None = None
    request_ids: list[str] = field(default_factory=list)
    timings: HandshakeTimings | None = None
    refusal: Refusal | None = None  # the last handshake refused, if one was
    metadata: Metadata | None = None  # the closing Metadata
    faults: list[str] = field(default_factory=list)  # the injected faults that fired (--fault), said
    model_info: dict[str, str] = field(default_factory=dict)
    model_uuid: str = ""
    channels: int = 1
    sequence_id: int | None = None  # Flux: the last sequence_id seen on this connection (a gap is reported)
    error: str | None = None  # the stream's outcome when it failed
    errors: int = 0  # every error told, fatal or not
    error_codes: Counter[str] = field(default_factory=Counter)  # what went wrong, by code (error_code names them)
    close_code: int | None = None
    close_reason: str = ""
    reconnects: int = 0
    offset: float = 0.0  # audio seconds before the current connection: its timestamps are shifted by this
    gaps: list[float] = field(default_factory=list)  # seconds without a connection, one per reconnect
    started_at: float | None = None
    ended_at: float | None = None
    opened_at: float | None = None  # the connection open now, if one is
    closed_at: float | None = None  # when the last one closed
    closed_seconds: float = 0.0  # time with a connection open, over the connections closed so far

    @property
    def reconnecting(self) -> bool:
        """Between a dropped connection and the next one (the state reads "connecting" again)."""
        return self.phase is State.CONNECTING and self.reconnects > 0

    def uptime(self, now: float) -> float:
        if self.started_at is None:
            return 0.0
        end = self.ended_at if self.ended_at is not None else now
        return max(0.0, end - self.started_at)

    def connection_time(self, now: float) -> float:
        """Seconds with a connection open so far (the one open now included)."""
        if self.opened_at is None:
            return self.closed_seconds
        return self.closed_seconds + max(0.0, now - self.opened_at)

    def model(self) -> dict[str, Any]:
        """The model as the server told it (each model's too, from the Metadata), for the manifest."""
        model: dict[str, Any] = dict(self.model_info or {})
        if self.metadata is not None and self.metadata.model_info:
            model["models"] = {key: msgspec.structs.asdict(info) for key, info in self.metadata.model_info.items()}
        return model
