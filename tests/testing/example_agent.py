"""An application's tests against a local Deepgram, with dgtui's pytest plugin: no network, no key."""

import inspect
import threading
import time

import pytest
from deepgram import DeepgramClient
from deepgram.environment import DeepgramClientEnvironment

from dgtui.testing.plugin import speech  # English speech as 16 kHz linear16, for tests without audio of their own


def transcribe(url: str, key: str, pcm: bytes, attempts: int = 3) -> str:
    """The application under test: streams PCM to Deepgram, retries a refused or dropped stream with a backoff,
    and returns the finals."""
    http = url.replace("ws://", "http://")
    urls = {"base": http, "production": url, "agent": url, "agent_rest": http, "preview": url}
    accepted = inspect.signature(DeepgramClientEnvironment.__init__).parameters
    environment = DeepgramClientEnvironment(**{name: value for name, value in urls.items() if name in accepted})
    client = DeepgramClient(api_key=key, environment=environment)
    for attempt in range(attempts):
        finals: list[str] = []
        failed: list[Exception] = []
        try:
            with client.listen.v1.connect(model="nova-3", encoding="linear16", sample_rate="16000") as socket:
                reader = threading.Thread(target=read_finals, args=(socket, finals, failed))
                reader.start()
                for offset in range(0, len(pcm), 6400):
                    socket.send_media(pcm[offset : offset + 6400])
                    time.sleep(0.05)
                socket.send_close_stream()
                reader.join(30)
            if not failed:
                return " ".join(text for text in finals if text)
        except Exception:  # refused at the handshake (a 429, ...)
            pass
        time.sleep(0.2 * 2**attempt)
    raise RuntimeError(f"no transcript after {attempts} attempts")


def read_finals(socket, finals: list[str], failed: list[Exception]) -> None:
    try:
        for message in socket:
            if type(message).__name__ == "ListenV1Results" and message.is_final:
                finals.append(message.channel.alternatives[0].transcript)
    except Exception as exc:  # a dropped connection
        failed.append(exc)


def test_it_sends_closestream_before_hanging_up(deepgram_server):
    assert transcribe(deepgram_server.url, deepgram_server.key, speech(3))
    (seen,) = deepgram_server.seen()
    assert seen.controls["CloseStream"] == 1 and seen.close_code == 1000 and "tail-lost" not in seen.diagnoses
    assert seen.audio_seconds == 3.0


@pytest.mark.deepgram(faults=["refuse:status=429,conn=1"])
def test_it_backs_off_on_429(deepgram_server):
    assert transcribe(deepgram_server.url, deepgram_server.key, speech(2))
    refused, served = deepgram_server.seen(2)
    assert refused.faults == ["refuse:status=429,conn=1: handshake refused with HTTP 429"]
    assert served.close_code == 1000 and served.audio_seconds == 2.0


@pytest.mark.deepgram(faults=["drop:at=1.5s,conn=1"])
def test_it_survives_a_dropped_connection_mid_sentence_and_loses_no_words(deepgram_server):
    words = transcribe(deepgram_server.url, deepgram_server.key, speech(4))
    dropped, again = deepgram_server.seen(2)
    assert dropped.close_code is None and "connection cut" in dropped.faults[0]  # no close frame: a 1006
    assert again.audio_seconds == 4.0 and words == again.transcript  # the whole call, heard again
