"""Where a stream connects: the backend as data, its session settings, said without its key."""

from __future__ import annotations

import pytest

from dgtui.live.backend import Backend, BackendKind, RunningEndpoints


def test_a_backend_makes_a_session_config_with_its_key_and_scheme():
    token = Backend("url", "wss://dg.example/v1/listen", "k-123456", token=True)
    config = token.session_config("s", "wss://dg.example/v1/listen", {"model": "nova-3"}, duration=5.0)
    assert token.kind is BackendKind.URL and config.auth_scheme == "Bearer" and config.api_key == "k-123456"
    assert config.duration == 5.0 and config.options == {"model": "nova-3"}
    assert (
        Backend("deepgram", "wss://api.deepgram.com/v1/listen", "k").session_config("s", "u", {}).auth_scheme == "Token"
    )


def test_a_backend_is_described_without_its_key():
    deepgram = Backend(
        BackendKind.DEEPGRAM, "wss://api.deepgram.com/v1/listen", "k-123456", key_source="DEEPGRAM_API_KEY"
    )
    assert deepgram.describe() == "Deepgram (wss://api.deepgram.com/v1/listen), key from DEEPGRAM_API_KEY"
    assert Backend(BackendKind.LOCAL, None).describe() == "local engine (pocketsphinx, offline)"
    url = Backend(BackendKind.URL, "ws://10.0.0.2/v1/listen?token=secret", "k-123456")
    assert url.describe() == "ws://10.0.0.2/v1/listen?token=*** with a key"
    named = Backend(BackendKind.URL, "ws://10.0.0.2/v1/listen", "k-123456", key_source="MY_KEY")
    assert named.describe() == "ws://10.0.0.2/v1/listen with the key from MY_KEY"
    assert Backend(BackendKind.URL, "ws://10.0.0.2/v1/listen").describe() == "ws://10.0.0.2/v1/listen"


async def test_running_backends_are_their_own_url_and_the_local_engine_needs_a_provider():
    endpoints = RunningEndpoints()
    assert await endpoints.url_for(Backend("url", "ws://h/v1/listen"), 1) == "ws://h/v1/listen"
    with pytest.raises(RuntimeError, match="starts the local engine"):
        await endpoints.url_for(Backend("local", None), 1)
    await endpoints.close()
