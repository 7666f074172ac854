"""Deepgram's official Python SDK pointed at a local root URL, and a stream through it (the shape every SDK test
repeats): the messages it received, and what it raised, if anything."""

from __future__ import annotations

import inspect
import threading
from typing import Any

from deepgram import DeepgramClient
from deepgram.environment import DeepgramClientEnvironment


def sdk_client(root: str, key: str = "any") -> DeepgramClient:
    """A client whose every endpoint is ``root`` (``ws://HOST:PORT``), whatever this SDK version calls them."""
    http = root.replace("ws://", "http://")
    urls = {"base": http, "production": root, "agent": root, "agent_rest": http, "preview": root}
    accepted = inspect.signature(DeepgramClientEnvironment.__init__).parameters
    environment = DeepgramClientEnvironment(**{k: v for k, v in urls.items() if k in accepted})
    return DeepgramClient(api_key=key, environment=environment)


def sdk_stream(root: str, pcm: bytes, *, api: str = "v1", key: str = "any", chunk: int = 3200,
               **options: str) -> tuple[list[Any], str | None]:  # fmt: skip
    """Stream ``pcm`` (16 kHz linear16) and CloseStream; the messages received and the failure, if one came."""
    received: list[Any] = []
    failure: list[str] = []
    listen = sdk_client(root, key).listen.v1 if api == "v1" else sdk_client(root, key).listen.v2
    with listen.connect(encoding="linear16", sample_rate="16000", **options) as connection:

        def read() -> None:
            try:
                received.extend(connection)
            except Exception as exc:  # a dropped or closed connection, as the SDK says it
                failure.append(f"{type(exc).__name__}: {exc}")

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            for offset in range(0, len(pcm), chunk):
                connection.send_media(pcm[offset : offset + chunk])
            connection.send_close_stream()
        except Exception as exc:
            failure.append(f"{type(exc).__name__}: {exc}")
        reader.join(30)
    return received, (failure or [None])[0]


def finals(received: list[Any]) -> list[str]:
    """The transcripts of a Nova stream's finals, in order."""
    return [m.channel.alternatives[0].transcript for m in received
            if type(m).__name__ == "ListenV1Results" and m.is_final]  # fmt: skip
