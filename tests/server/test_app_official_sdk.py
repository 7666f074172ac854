"""Deepgram's official Python SDK, unmodified, against the local server (pointed at it by its environment)."""

from __future__ import annotations

import inspect
import threading

import pytest
from deepgram import DeepgramClient
from deepgram.environment import DeepgramClientEnvironment

from dgtui.data import clip
from tests.conftest import TEST_KEY
from tests.support.audio import clip_pcm
from tests.support.wer import word_error_rate


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


def _flux_client(server):
    ws_root = server.url.removesuffix("/v1/listen")
    return ws_root, _environment(ws_root.replace("ws://", "http://"), ws_root)


def test_official_sdk_streams_flux_turns_configures_and_forces_an_end(keyed_server):
    """``client.listen.v2.connect`` unchanged: every message type and turn event, Configure (taken and refused),
    ForceEndTurn (with a turn open, and with none), CloseStream."""
    _, environment = _flux_client(keyed_server)
    client = DeepgramClient(api_key=TEST_KEY, environment=environment)
    pcm = clip_pcm("weather")[: 32000 * 23]  # four turns, the fourth cut mid-sentence
    received = []
    with client.listen.v2.connect(
        model="flux-general-en", encoding="linear16", sample_rate="16000", eager_eot_threshold="0.3"
    ) as connection:
        reader = threading.Thread(target=lambda: received.extend(connection), daemon=True)
        reader.start()
        for offset in range(0, len(pcm), 2560):
            connection.send_media(pcm[offset : offset + 2560])
        connection.send_configure({"type": "Configure", "thresholds": {"eot_threshold": 0.8}, "keyterms": ["rain"]})
        connection.send_configure({"type": "Configure", "thresholds": {"eot_threshold": 0.2}})  # out of range
        connection.send_force_end_turn()  # ends the open turn
        connection.send_force_end_turn()  # no turn open now: a Warning
        connection.send_close_stream()
        reader.join(60)
    kinds = [type(message).__name__ for message in received]
    assert kinds[0] == "ListenV2Connected", kinds
    assert {"ListenV2ConfigureSuccess", "ListenV2ConfigureFailure", "ListenV2Warning"} <= set(kinds), kinds
    events = {m.event for m in received if type(m).__name__ == "ListenV2TurnInfo"}
    assert events == {"Update", "StartOfTurn", "EagerEndOfTurn", "TurnResumed", "EndOfTurn"}, events
    ends = [m for m in received if type(m).__name__ == "ListenV2TurnInfo" and m.event == "EndOfTurn"]
    assert {m.trigger for m in ends} == {"model", "manual"}
    success = next(m for m in received if type(m).__name__ == "ListenV2ConfigureSuccess")
    assert success.thresholds.eot_threshold == 0.8 and success.keyterms == ["rain"]
    warning = next(m for m in received if type(m).__name__ == "ListenV2Warning")
    assert warning.code == "FORCE_END_TURN_NO_ACTIVE_TURN"
    text = " ".join(m.transcript for m in ends)
    assert word_error_rate(" ".join(clip("weather").reference.split()[:60]), text) <= 0.3, text


async def test_official_async_sdk_streams_flux(keyed_server):
    from deepgram import AsyncDeepgramClient

    _, environment = _flux_client(keyed_server)
    client = AsyncDeepgramClient(api_key=TEST_KEY, environment=environment)
    pcm = clip_pcm("council")[: 32000 * 6]
    received = []
    async with client.listen.v2.connect(model="flux-general-en", encoding="linear16", sample_rate="16000") as socket:
        for offset in range(0, len(pcm), 2560):
            await socket.send_media(pcm[offset : offset + 2560])
        await socket.send_force_end_turn()
        await socket.send_close_stream()
        async for message in socket:
            received.append(message)
    ends = [m for m in received if type(m).__name__ == "ListenV2TurnInfo" and m.event == "EndOfTurn"]
    assert ends and "train line" in " ".join(m.transcript for m in ends).lower()
