"""Deepgram's official Python SDK, unmodified, against the local server (pointed at it by its environment)."""

from __future__ import annotations

import inspect
import threading

import pytest
from deepgram import DeepgramClient
from deepgram.environment import DeepgramClientEnvironment

from tests.conftest import TEST_KEY
from tests.support.audio import clip_pcm


def _environment(http_url: str, ws_url: str):
    urls = {
        "base": http_url,
        "production": ws_url,
        "agent": ws_url,
        "agent_rest": http_url,
        "preview": ws_url,
    }
    accepted = inspect.signature(DeepgramClientEnvironment.__init__).parameters
    return DeepgramClientEnvironment(**{k: v for k, v in urls.items() if k in accepted})


def test_official_sdk_streams_and_receives_typed_results(keyed_server):
    ws_root = keyed_server.url.removesuffix("/v1/listen")
    client = DeepgramClient(api_key=TEST_KEY, environment=_environment(ws_root.replace("ws://", "http://"), ws_root))
    pcm = clip_pcm("council")[: 32000 * 8]
    received = []
    with client.listen.v1.connect(
        model="nova-3",
        encoding="linear16",
        sample_rate="16000",
        interim_results="true",
        endpointing="300",
        utterance_end_ms="1000",
        vad_events="true",
        punctuate="true",
    ) as connection:
        reader = threading.Thread(target=lambda: received.extend(connection), daemon=True)
        reader.start()
        for offset in range(0, len(pcm), 3200):
            connection.send_media(pcm[offset : offset + 3200])
        connection.send_keep_alive()
        connection.send_finalize()
        connection.send_close_stream()
        reader.join(60)
    kinds = {type(message).__name__ for message in received}
    assert {"ListenV1Results", "ListenV1Metadata", "ListenV1SpeechStarted"} <= kinds, kinds
    finals = [m for m in received if type(m).__name__ == "ListenV1Results" and m.is_final]
    text = " ".join(m.channel.alternatives[0].transcript for m in finals)
    assert "train line" in text.lower()
    assert type(received[-1]).__name__ == "ListenV1Metadata"


def test_official_sdk_reports_bad_key(keyed_server):
    ws_root = keyed_server.url.removesuffix("/v1/listen")
    client = DeepgramClient(api_key="wrong", environment=_environment(ws_root.replace("ws://", "http://"), ws_root))
    with (
        pytest.raises(Exception) as caught,
        client.listen.v1.connect(model="nova-3", encoding="linear16", sample_rate="16000"),
    ):
        pass
    assert "401" in str(caught.value) or "credentials" in str(caught.value).lower()
