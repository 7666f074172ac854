"""A recording test client: streams audio to a live server and keeps every message with its audio cursor."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

import websockets
from websockets.exceptions import ConnectionClosed


@dataclass
class Received:
    at: float  # monotonic receive time
    cursor: float  # seconds of audio sent when it arrived
    data: dict[str, Any]

    @property
    def type(self) -> str:
        return self.data.get("type", "")


@dataclass
class Run:
    request_id: str | None = None
    messages: list[Received] = field(default_factory=list)
    close_code: int | None = None
    close_reason: str = ""
    audio_seconds: float = 0.0
    sent: bytes = field(default=b"", repr=False)
    closestream_cursor_lag: float | None = None  # audio sent minus latest interim end when CloseStream went

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m.data for m in self.messages if m.type == kind]

    @property
    def results(self) -> list[dict[str, Any]]:
        return self.of_type("Results")

    @property
    def finals(self) -> list[dict[str, Any]]:
        return [r for r in self.results if r["is_final"]]

    @property
    def interims(self) -> list[dict[str, Any]]:
        return [r for r in self.results if not r["is_final"]]

    def transcript(self, channel: int | None = None) -> str:
        finals = [r for r in self.finals if channel is None or r["channel_index"][0] == channel]
        return " ".join(t for r in finals if (t := r["channel"]["alternatives"][0]["transcript"]))

    def latencies(self) -> list[float]:
        """Deepgram's latency: audio cursor minus the end of each interim, at its arrival."""
        return [
            m.cursor - (m.data["start"] + m.data["duration"])
            for m in self.messages
            if m.type == "Results" and not m.data["is_final"]
        ]


async def stream(
    url: str,
    audio: bytes,
    query: str = "",
    *,
    bytes_per_second: float = 32000.0,
    realtime: bool = True,
    chunk_ms: int = 100,
    headers: dict[str, str] | None = None,
    subprotocols: list[str] | None = None,
    close_with: str | bytes = '{"type":"CloseStream"}',
    timeout: float = 120.0,
) -> Run:
    """Send ``audio`` in chunks (paced in real time unless ``realtime=False``), then close; record replies."""
    run = Run(sent=audio, audio_seconds=len(audio) / bytes_per_second)
    chunk = max(1, int(bytes_per_second * chunk_ms / 1000))
    sent = 0
    latest_end = 0.0
    full_url = f"{url}?{query}" if query else url

    async with asyncio.timeout(timeout):
        async with websockets.connect(
            full_url, additional_headers=headers, subprotocols=subprotocols, max_size=None
        ) as ws:
            run.request_id = ws.response.headers.get("dg-request-id")

            async def send() -> None:
                nonlocal sent
                start = time.monotonic()
                for offset in range(0, len(audio), chunk):
                    await ws.send(audio[offset : offset + chunk])
                    sent = min(len(audio), offset + chunk)
                    if realtime:
                        due = start + sent / bytes_per_second
                        await asyncio.sleep(max(0.0, due - time.monotonic()))
                run.closestream_cursor_lag = sent / bytes_per_second - latest_end
                await ws.send(close_with)

            async def send_quietly() -> None:
                # The server may close first (an error, a timeout): what it said is in run.
                with contextlib.suppress(ConnectionClosed):
                    await send()

            sender = asyncio.create_task(send_quietly())
            try:
                async for raw in ws:
                    data = json.loads(raw)
                    run.messages.append(Received(time.monotonic(), sent / bytes_per_second, data))
                    if data.get("type") == "Results":
                        latest_end = data["start"] + data["duration"]
            except ConnectionClosed:
                pass
            await sender
    run.close_code = ws.close_code
    run.close_reason = ws.close_reason or ""
    return run
