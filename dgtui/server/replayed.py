"""Recorded sessions served back (``dgtui serve --replay RECORDING...``): a client's stream answered with the server
messages of a recording (one of dgtui's, or a real Deepgram stream recorded through ``dgtui tap``), each released
when the client's audio reaches the point where the server had sent it, so an application's tests run on real
Deepgram transcripts offline and deterministically.

A message keeps its raw text but for the request id (a fresh one, unless asked to keep it) and, after a reconnect in
the recording, its audio times (shifted onto the one new connection's timeline). What does not match is reported,
not hidden: a client that sends less audio than was recorded (the messages past its audio are withheld), other
options than the recording's, a different API.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from dgtui.audio.chunks import declared_rate
from dgtui.protocol.errors import CloseCode
from dgtui.recordings.format import RecordingError
from dgtui.recordings.reader import read_session

TOLERANCE_S = 0.05  # a message recorded this little past the client's audio still goes


@dataclass(frozen=True)
class Recorded:
    """What a recording gives its replay."""

    path: Path
    api: str
    options: dict[str, Any]
    request_id: str | None
    messages: tuple[tuple[float, str, bool], ...]  # (audio cursor when sent, raw text on one timeline, Metadata?)
    audio_s: float  # the audio the recorded client sent
    close_code: int | None


def load_recorded(path: Path) -> Recorded:
    """A recording, read for replay; raises ValueError naming the file and what is wrong."""
    try:
        session = read_session(path)
        lines = session.lines()
    except (OSError, RecordingError) as exc:
        raise ValueError(f"--replay {path}: {getattr(exc, 'strerror', None) or exc}") from None
    header = session.header
    messages: list[tuple[float, str, bool]] = []
    offset, audio, close_code, request_id = 0.0, 0.0, None, header.get("request_id")
    for line in lines:
        kind = line.get("type")
        if kind == "dgtui.Connected":
            request_id = request_id or line.get("request_id")
            offset = audio  # a reconnect: this connection's times count from the audio sent before it
        elif kind == "dgtui.Audio":
            audio = max(audio, float(line.get("cursor_s", 0.0)))
        elif kind == "message" and isinstance(line.get("raw"), str):
            cursor = float(line.get("cursor", 0.0))
            raw = _shifted(line["raw"], offset) if offset else line["raw"]
            messages.append((cursor, raw, _type_of(raw) == "Metadata"))  # read once, here
        elif kind == "dgtui.Closed":
            close_code = line.get("code")
    if not messages:
        raise ValueError(f"--replay {path}: the recording holds no server message to serve back")
    api = str(header["api"]) if header.get("api") in ("v1", "v2") else "v1"
    return Recorded(path, api, dict(header.get("options", {})), request_id, tuple(messages), audio, close_code)


def _shifted(raw: str, offset: float) -> str:
    """A message's audio times moved by ``offset`` seconds (a recording's later connection onto one timeline)."""
    try:
        message = json.loads(raw)
    except ValueError:
        return raw
    if not isinstance(message, dict):
        return raw
    for key in ("start", "timestamp", "last_word_end", "audio_window_start", "audio_window_end"):
        if isinstance(message.get(key), int | float):
            message[key] = round(message[key] + offset, 6)
    alternatives = (
        message.get("channel", {}).get("alternatives", []) if isinstance(message.get("channel"), dict) else []
    )
    for word in [w for a in alternatives for w in a.get("words", [])] + list(message.get("words", [])):
        for key in ("start", "end"):
            if isinstance(word.get(key), int | float):
                word[key] = round(word[key] + offset, 6)
    return json.dumps(message)


class ReplayBook:
    """Which recording each connection gets: the next one of its API, in turn."""

    def __init__(self, recorded: list[Recorded], keep_request_id: bool = False) -> None:
        self.recorded = recorded
        self.keep_request_id = keep_request_id
        self._turn = {"v1": 0, "v2": 0}

    def next(self, flux: bool) -> Recorded | None:
        api = "v2" if flux else "v1"
        mine = [r for r in self.recorded if r.api == api]
        if not mine:
            return None
        chosen = mine[self._turn[api] % len(mine)]
        self._turn[api] += 1
        return chosen


def differences(recorded: Recorded, options: dict[str, Any]) -> list[str]:
    """Where the client's options differ from the recording's (what it gets was made with the recording's)."""
    asked = {k: str(v).lower() for k, v in options.items() if k not in ("token", "tag")}
    had = {k: str(v).lower() for k, v in recorded.options.items() if k not in ("token", "tag")}
    return [f"{k}={asked.get(k, '-')} (recorded: {had.get(k, '-')})" for k in sorted(set(asked) | set(had))
            if asked.get(k) != had.get(k)]  # fmt: skip


class ReplayedSession:
    """One client's stream answered from a recording."""

    def __init__(self, connection: ServerConnection, recorded: Recorded, request_id: str, query: str,
                 keep_request_id: bool = False) -> None:  # fmt: skip
        self.connection = connection
        self.recorded = recorded
        self.request_id = recorded.request_id if keep_request_id and recorded.request_id else request_id
        self.bytes_per_second = declared_rate(dict(parse_qsl(query))) or 32000.0  # a container: as 16 kHz linear16
        self.audio_bytes = 0
        self.next = 0
        self.held: list[str] = []  # a recorded Metadata, sent at the close
        self.report: list[str] = []

    @property
    def cursor(self) -> float:
        return self.audio_bytes / self.bytes_per_second

    async def run(self) -> None:
        closing = False
        with contextlib.suppress(ConnectionClosed):
            async for frame in self.connection:
                if isinstance(frame, bytes):
                    if not frame:
                        closing = True
                        break
                    self.audio_bytes += len(frame)
                    await self._release(self.cursor)
                elif _type_of(frame) == "CloseStream":
                    closing = True
                    break
        if not closing:
            return
        await self._release(self.cursor)
        rest = self.recorded.messages[self.next :]
        withheld = [raw for _, raw, metadata in rest if not metadata]
        farewell = self.held + [raw for _, raw, metadata in rest if metadata]
        if withheld:
            self.report.append(f"the client sent {self.cursor:.1f} s of the {self.recorded.audio_s:.1f} s recorded: "
                               f"{len(withheld)} message(s) past its audio withheld")  # fmt: skip
        for raw in farewell:
            await self._send(raw)
        with contextlib.suppress(ConnectionClosed):
            code = self.recorded.close_code
            if code in (None, CloseCode.NO_STATUS) and self.recorded.api == "v2":  # Flux ends without a status
                async with self.connection.send_context():
                    self.connection.protocol.send_close()
                await self.connection.wait_closed()
            else:
                await self.connection.close(code if code and code != CloseCode.NO_STATUS else CloseCode.NORMAL)

    async def _release(self, cursor: float) -> None:
        messages = self.recorded.messages
        while self.next < len(messages) and messages[self.next][0] <= cursor + TOLERANCE_S:
            _, raw, metadata = messages[self.next]
            self.next += 1
            if metadata:  # the closing Metadata waits for the client's CloseStream
                self.held.append(raw)
            else:
                await self._send(raw)
            await asyncio.sleep(0)

    async def _send(self, raw: str) -> None:
        if self.recorded.request_id and self.request_id != self.recorded.request_id:
            raw = raw.replace(self.recorded.request_id, self.request_id)
        with contextlib.suppress(ConnectionClosed):
            await self.connection.send(raw)


def _type_of(text: str | bytes) -> str:
    try:
        message = json.loads(text)
    except ValueError:
        return ""
    return str(message.get("type", "")) if isinstance(message, dict) else ""
