"""Deepgram's official Python SDK pointed at the tap in front of the local server: the same transcript as without
the tap, and the same failure for a wrong key."""

from __future__ import annotations

import threading

import pytest
from deepgram import DeepgramClient

from tests.conftest import TEST_KEY
from tests.server.test_app_official_sdk import _environment
from tests.support.audio import clip_pcm
from tests.support.tap import TapThread


def finals_via(root: str, key: str = TEST_KEY) -> list[str]:
    client = DeepgramClient(api_key=key, environment=_environment(root.replace("ws://", "http://"), root))
    pcm = clip_pcm("council")[: 32000 * 6]
    received: list = []
    with client.listen.v1.connect(model="nova-3", encoding="linear16", sample_rate="16000",
                                  interim_results="true", punctuate="true") as connection:  # fmt: skip
        reader = threading.Thread(target=lambda: received.extend(connection), daemon=True)
        reader.start()
        for offset in range(0, len(pcm), 3200):
            connection.send_media(pcm[offset : offset + 3200])
        connection.send_close_stream()
        reader.join(60)
    assert type(received[-1]).__name__ == "ListenV1Metadata"
    return [m.channel.alternatives[0].transcript for m in received
            if type(m).__name__ == "ListenV1Results" and m.is_final]  # fmt: skip


def test_the_sdk_through_the_tap_gets_what_it_gets_without_it(keyed_server):
    root = keyed_server.url.removesuffix("/v1/listen")
    direct = finals_via(root)
    with TapThread(root) as tap:
        through = finals_via(tap.root)
    assert through == direct and any(direct)


def test_a_wrong_key_fails_the_sdk_the_same_way_through_the_tap(keyed_server):
    root = keyed_server.url.removesuffix("/v1/listen")

    def failure(where: str) -> str:
        client = DeepgramClient(api_key="wrong", environment=_environment(where.replace("ws://", "http://"), where))
        with (
            pytest.raises(Exception) as caught,
            client.listen.v1.connect(model="nova-3", encoding="linear16", sample_rate="16000"),
        ):
            pass
        return f"{type(caught.value).__name__}: {caught.value}"

    direct = failure(root)
    with TapThread(root) as tap:
        through = failure(tap.root)
    assert "401" in direct and through.replace(tap.root.split("//")[1], "HOST") == direct.replace(
        root.split("//")[1], "HOST"
    )
