"""A stream's connection decisions, without I/O: what comes in (a refused handshake, results, a close, a source
that ended) and what to do about it (the messages to send, retry after N seconds, give up with this error).

As websockets' sans-I/O ``Protocol`` beside its asyncio connection: :class:`~dgtui.live.session.LiveSession`
does the sockets, the sleeps and the source, and asks a :class:`Lifecycle` at each turn; the rules are tested
with message sequences alone (``tests/live/test_lifecycle.py``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from dgtui.protocol import CLOSE_STREAM, KEEP_ALIVE, finalize
from dgtui.protocol.errors import CloseCode, explain_close
from dgtui.protocol.flux import FORCE_END_TURN, TurnInfo
from dgtui.protocol.messages import Results
from dgtui.state.events import State

MAX_MESSAGE = 2**24  # the largest server message accepted (the handshake's max_size)

# Closes after which the same stream may work again: network loss, server errors, restarts, overload.
RETRIABLE_CLOSES = {None, CloseCode.GOING_AWAY, CloseCode.ABNORMAL, CloseCode.INTERNAL, 1012, 1013, 1014}


class Next(StrEnum):
    """What comes after a connection."""

    DONE = "done"  # the stream is over
    AGAIN = "again"  # a reconnect was asked for, and CloseStream flushed every result: go on from the audio
    DROPPED = "dropped"  # the connection was lost: back off, then reconnect and send the unfinalized audio again


@dataclass(frozen=True)
class Ending:
    """How a connection ended, decided: what comes next, the error to report (None: none) with its detail, and
    the phase the stream is in now (None: a reconnect sets its own)."""

    next: Next
    error: str | None = None
    detail: str = ""
    phase: State | None = None


@dataclass(frozen=True)
class Retry:
    """Try again after ``after`` seconds: attempt ``attempt`` of ``of``, because of ``reason``."""

    attempt: int
    of: int
    after: float
    reason: str


@dataclass(frozen=True)
class GiveUp:
    """Stop trying: ``error`` says what happened and what to do."""

    error: str


class Lifecycle:
    """The decisions of one stream's connections: its reconnect attempts, its source's reopening, what it sends
    to hold, finalize and close a connection, and what a handshake's refusal or a close means."""

    def __init__(
        self,
        *,
        flux: bool,
        attempts: int = 5,
        backoff: float = 0.5,
        backoff_max: float = 8.0,
        jitter: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self.flux = flux
        self.limit = attempts  # consecutive failed attempts after a drop before giving up (0: never reconnect)
        self.backoff_first = backoff  # the first wait; it doubles, with jitter, up to backoff_max
        self.backoff_max = backoff_max
        self.jitter = jitter
        self.attempts = 0  # consecutive failed reconnect attempts
        self.drop_reason = ""  # why the last connection was lost
        self.close_stream_sent = False  # on this connection
        self.source_attempts = 0  # consecutive failed attempts to open a live source again
        self.source_worked = False  # the source gave audio at least once (a source that never did is not reopened)

    # -- what to send ----------------------------------------------------------------------------------------

    def keep_alive(self) -> str | None:
        """What holds an idle connection: KeepAlive on Nova; on Flux, WebSocket pings do it (a KeepAlive ends a
        v2 stream), so nothing."""
        return None if self.flux else KEEP_ALIVE

    def finalize(self, channel: int | None = None) -> tuple[str, str]:
        """The message a Finalize request sends, and the control it is told as: Finalize on Nova, ForceEndTurn
        (its Finalize) on Flux."""
        return (FORCE_END_TURN, "force_end_turn") if self.flux else (finalize(channel), "finalize")

    def closing(self) -> tuple[str, ...]:
        """What ends a connection's audio, in order. On Flux, CloseStream alone would leave the last turn without
        EndOfTurn: ForceEndTurn goes first, even when no turn is known to be open (sent fast, the audio may hold
        one the server has not reported yet)."""
        return (FORCE_END_TURN, CLOSE_STREAM) if self.flux else (CLOSE_STREAM,)

    # -- what comes in -------------------------------------------------------------------------------------

    def opening(self) -> None:
        """A new connection is being opened."""
        self.close_stream_sent = False

    def sent(self, message: str) -> None:
        if message == CLOSE_STREAM:
            self.close_stream_sent = True

    def received(self, message: object) -> None:
        """Results again: the server works, so a later drop starts a new count of attempts."""
        if self.attempts and isinstance(message, Results | TurnInfo):
            self.attempts = 0

    def refused(self, status: int | None, error: str, *, reconnected: bool) -> Ending:
        """The handshake failed (``status``: its HTTP status; None: no HTTP answer). A server that worked before
        is tried again for a while when the refusal may pass (no answer, 429, 5xx); otherwise the stream ends."""
        retriable = status is None or status == 429 or status >= 500
        if reconnected and retriable:
            self.drop_reason = error
            return Ending(Next.DROPPED)
        return Ending(Next.DONE, error, phase=State.ERROR)

    def closed(
        self, code: int | None, reason: str, *, failed: bool, refused_too_big: bool, again: bool, stopping: bool
    ) -> Ending:
        """A connection closed with ``code`` and ``reason``. ``failed``: the stream already has an error;
        ``refused_too_big``: dgtui closed it because a frame was over :data:`MAX_MESSAGE`; ``again``: a reconnect
        was asked for; ``stopping``: the stream is being stopped."""
        explanation = explain_close(code, reason)
        error, detail = None, ""
        if refused_too_big and not failed:
            error = (f"the server sent a message larger than dgtui accepts ({MAX_MESSAGE // 2**20} MiB); "
                     "this is not a Deepgram reply. Check the server URL.")  # fmt: skip
        failed = failed or error is not None
        normal = code == CloseCode.NORMAL or (self.flux and code == CloseCode.NO_STATUS)  # Flux: 1005
        if again and normal and not failed:
            return Ending(Next.AGAIN)
        dropped = code in RETRIABLE_CLOSES or (normal and not self.close_stream_sent)
        if dropped and not failed and not stopping and self.limit > 0:
            self.drop_reason = explanation if not normal else "the server closed the stream early"
            return Ending(Next.DROPPED)
        if not normal and not failed:
            error, detail = explanation, reason
        elif normal and not self.close_stream_sent and not failed:
            error, detail = "the server closed the stream before dgtui finished sending", explanation
        return Ending(Next.DONE, error, detail, State.ERROR if failed or error else State.CLOSED)

    def reconnect(self, *, stopping: bool, nothing_to_send: bool) -> Retry | GiveUp:
        """After a drop: the next attempt and its wait, or why not (the limit reached, the stream being stopped,
        or nothing left to send: the results of what was sent died with the connection)."""
        self.attempts += 1
        if self.attempts > self.limit:
            tries = f"{self.limit} reconnect attempt{'s' if self.limit != 1 else ''}"
            return GiveUp(f"gave up after {tries}: {self.drop_reason}. Check the network and the server, then start "
                          "the stream again.")  # fmt: skip
        if stopping or nothing_to_send:
            return GiveUp(f"the connection was lost ({self.drop_reason}) before the last results came")
        return Retry(self.attempts, self.limit, self.backoff(self.attempts), self.drop_reason)

    def source_read(self) -> None:
        """The source gave audio: it works, and a later failure starts a new count."""
        self.source_worked, self.source_attempts = True, 0

    def reopen_source(self, reason: str) -> Retry | GiveUp:
        """A live source ended or failed (``reason``): open it again after a wait, up to the same limit."""
        self.source_attempts += 1
        if self.source_attempts > self.limit:
            return GiveUp(f"{reason}; gave up after {self.limit} attempts to open it again")
        return Retry(self.source_attempts, self.limit, self.backoff(self.source_attempts), reason)

    def backoff(self, attempt: int) -> float:
        """The wait before ``attempt`` (1, 2, ...): doubling up to the maximum, with jitter so that many streams
        do not come back in step."""
        base = min(self.backoff_max, self.backoff_first * 2 ** (attempt - 1))
        return base * self.jitter(0.5, 1.0)
