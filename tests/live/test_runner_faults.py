"""Faults a user can meet, each beside a working stream: the failing stream says what happened and what to do,
the other goes on, and its recording keeps everything up to the failure.

Real parts where they exist (the local server, a fault proxy on loopback, closed ports, plain TCP where TLS is
expected); scripted servers only for replies the real server never gives (402, 403, 503, exact close codes,
malformed or oversized frames).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import socket
import struct
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dgtui.audio.base import SourceSettings
from dgtui.audio.local import FileSource, StdinSource
from dgtui.audio.open import open_or_broken
from dgtui.audio.remote import HttpSource
from dgtui.live.backend import Backend
from dgtui.live.runner import StreamRunner
from dgtui.protocol.errors import DATA0000_REASON, NET0000_REASON
from dgtui.recordings.reader import read_recording
from dgtui.state.events import State
from tests.support.audio import clip_pcm, damaged, encode
from tests.support.fake import METADATA, scripted_server, until_close_stream
from tests.support.http import http_server
from tests.support.proxy import FaultProxy

OPTIONS = {"interim_results": True, "punctuate": True}


@dataclass
class Fault:
    url: str | None = None  # the faulty stream's backend URL
    source: Any = None  # or its source (the backend then is the real server)
    options: dict[str, Any] | None = None
    settings: dict[str, Any] | None = None  # SessionConfig fields
    realtime: bool = False  # pace the file (a drop then comes with audio still to send)


@contextlib.asynccontextmanager
async def status_server(status: int, error: str) -> AsyncIterator[str]:
    """Answers every upgrade with ``status``, Deepgram's way: dg-error, dg-request-id and a JSON body."""

    async def reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        body = json.dumps({"err_code": "X", "err_msg": error, "request_id": "fa17-0000"}).encode()
        writer.write(
            f"HTTP/1.1 {status} X\r\ndg-error: {error}\r\ndg-request-id: fa17-0000\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()

    async with http_server(reply) as url:
        yield url.replace("http://", "ws://") + "/v1/listen"


@contextlib.asynccontextmanager
async def silent_server() -> AsyncIterator[str]:
    """Accepts TCP connections and never answers."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    async with http_server(hold) as url:
        yield url.replace("http://", "ws://") + "/v1/listen"


def closing_with(code: int, reason: str, before: Callable[[Any], Any] | None = None):
    async def script(connection: Any) -> None:
        if before is not None:
            await before(connection)
        await connection.send(METADATA)
        await connection.close(code, reason)

    return scripted_server(script)


def normal_after(first: str) -> Any:
    async def script(connection: Any) -> None:
        await connection.send(first)
        await until_close_stream(connection)
        await connection.send(METADATA)
        await connection.close(1000)

    return scripted_server(script)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bad_file(case: str, folder: Path) -> Path:
    """Files as users meet them: cut short, damaged, header only, empty, or in a codec FFmpeg does not know."""
    pcm = clip_pcm("weather")[: 16000 * 2 * 4]
    mp3 = encode(pcm, 16000, "mp3", "libmp3lame")
    header_only = b"RIFF" + struct.pack("<I", 36) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, 16000, 32000, 2, 16)
    header_only += b"data" + struct.pack("<I", 0)
    unknown_codec = bytearray(encode(pcm, 16000, "wav", "pcm_s16le"))
    struct.pack_into("<H", unknown_codec, 20, 0x1234)  # the fmt chunk's format tag
    data = {
        "truncated": ("cut.mp3", mp3[: len(mp3) // 2]),
        "corrupt": ("damaged.mp3", damaged(mp3)),
        "no-samples": ("header-only.wav", header_only),
        "zero-length": ("zero.wav", b""),
        "codec": ("odd-codec.wav", bytes(unknown_codec)),
    }[case]
    path = folder / data[0]
    path.write_bytes(data[1])
    return path


@contextlib.asynccontextmanager
async def fault(case: str, server: Any, keyed_server: Any, folder: Path) -> AsyncIterator[Fault]:
    if case in ("truncated", "corrupt", "no-samples", "zero-length", "codec"):
        yield Fault(source=open_or_broken(str(bad_file(case, folder)), SourceSettings(fast=True)))
    elif case == "raw-rate":  # a 16 kHz WAV piped in as raw audio at 8 kHz
        wav = encode(clip_pcm("weather")[: 16000 * 2 * 3], 16000, "wav", "pcm_s16le")
        yield Fault(source=StdinSource(encoding="linear16", sample_rate=8000, stream=io.BytesIO(wav)))
    elif case == "dns":
        yield Fault("ws://dgtui-fault.invalid/v1/listen", settings={"connect_timeout": 5.0})
    elif case == "refused":
        yield Fault(f"ws://127.0.0.1:{free_port()}/v1/listen")
    elif case == "tls":
        yield Fault(server.url.replace("ws://", "wss://"))
    elif case == "400":
        yield Fault(server.url, options={**OPTIONS, "language": "xx-unknown"})
    elif case == "401":
        yield Fault(keyed_server.url)
    elif case in ("402", "403", "429", "503"):
        async with status_server(int(case), f"fault {case}") as url:
            yield Fault(url)
    elif case == "1008":
        async with closing_with(1008, DATA0000_REASON) as (url, _):
            yield Fault(url)
    elif case == "1011":
        async with closing_with(1011, NET0000_REASON) as (url, _):
            yield Fault(url, settings={"reconnect_attempts": 1, "reconnect_backoff": 0.1}, realtime=True)
    elif case == "silent":
        async with silent_server() as url:
            yield Fault(url, settings={"connect_timeout": 1.0})
    elif case == "malformed":
        async with normal_after("this is not JSON {") as (url, _):
            yield Fault(url)
    elif case == "unknown":
        async with normal_after('{"type":"FromTheFuture","novel":[1,2]}') as (url, _):
            yield Fault(url)
    elif case == "oversized":
        async with normal_after('{"type":"Results","pad":"' + "x" * (17 * 2**20) + '"}') as (url, _):
            yield Fault(url, settings={"reconnect_attempts": 0})
    elif case == "slow":
        proxy = FaultProxy(server.url).start()
        proxy.delay(0.3)
        try:
            yield Fault(proxy.url)
        finally:
            proxy.stop()
    elif case in ("http404", "not-audio"):

        async def page(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            head = "404 Not Found" if case == "http404" else "200 OK"
            writer.write(f"HTTP/1.1 {head}\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello".encode())
            await writer.drain()
            writer.close()

        async with http_server(page) as url:
            yield Fault(source=HttpSource(f"{url}/live.mp3"))
    else:
        raise AssertionError(case)


# case, words the failing stream's message must hold (None: no error), and whether the stream still ends cleanly
CASES = [
    ("dns", "cannot resolve dgtui-fault.invalid"),
    ("refused", "connection refused"),
    ("tls", "TLS failure"),
    ("400", "language"),
    ("401", "401"),
    ("402", "402"),
    ("403", "403"),
    ("429", "429"),
    ("503", "503"),
    ("1008", "could not decode the audio"),
    ("1011", "gave up after 1 reconnect attempt"),
    ("silent", "no answer within 1 s"),
    ("malformed", None),
    ("unknown", None),
    ("oversized", "larger than"),
    ("slow", None),
    ("http404", "HTTP 404"),
    ("not-audio", "not an audio stream"),
    ("truncated", "the file looks truncated"),
    ("corrupt", "damaged packet"),
    ("no-samples", "holds no audio samples"),
    ("zero-length", "is empty (0 bytes)"),
    ("codec", "(WAV format tag 0x1234) is one FFmpeg cannot decode"),
    ("raw-rate", "is a WAV file of linear16 at 16000 Hz"),
]
WARNINGS = {"truncated", "corrupt"}  # reported, and the stream goes on to a clean end


@pytest.mark.parametrize(("case", "words"), CASES, ids=[c for c, _ in CASES])
async def test_a_fault_is_explained_and_the_other_stream_goes_on(case, words, server, keyed_server, clip_file,
                                                                  tmp_path: Path):  # fmt: skip
    wav = clip_file(seconds=4.0)
    runner = StreamRunner(Backend("url", server.url), OPTIONS, record_dir=tmp_path)
    good = runner.add(FileSource(wav))
    async with fault(case, server, keyed_server, tmp_path) as f:
        backend = Backend("url", f.url or server.url)
        source = f.source or FileSource(wav, realtime=f.realtime)
        bad = runner.add(source, f.options or OPTIONS, backend)
        for key, value in (f.settings or {}).items():
            setattr(bad.config, key, value)
        async with asyncio.timeout(60):
            await asyncio.gather(runner.run(good), runner.run(bad))
    assert good.state.clean and good.state.transcript.finals, (case, good.state.connection.error)
    if words is None:
        assert bad.state.clean, (case, bad.state.connection.error)
    elif case in WARNINGS:
        assert bad.state.clean and bad.state.connection.errors == 1 and bad.state.transcript.finals, (
            case,
            bad.state.connection.error,
        )
        assert any(words in e.text for e in bad.state.log.entries if e.level == "error"), case
    else:
        assert (
            bad.state.connection.phase is State.ERROR
            and bad.state.connection.error
            and words in bad.state.connection.error
        ), (case, bad.state.connection.error)
    header, lines = read_recording(bad.recording_path)  # the failure is on disk, with all that came before
    assert header["name"] == bad.name
    if words is not None:
        assert any(line["type"] == "dgtui.Error" and words in line["message"] for line in lines), case
    if case in ("malformed", "unknown"):  # reported (malformed) or ignored (unknown), and in the inspector
        assert bad.state.connection.errors == (1 if case == "malformed" else 0) and bad.state.log.raw[0].raw.startswith(
            ("this", '{"type":"From')
        )
        assert bad.state.log.raw[0].kind == ("(not JSON)" if case == "malformed" else "FromTheFuture")
    if case == "slow":
        assert bad.state.metrics.latency.summary().p50 >= 0.25  # the delay shows in the figures
