"""Choosing the backend, and never leaking the key."""

from __future__ import annotations

import pytest

from dgtui.config.backend import DEEPGRAM_URL, BackendError, choose_backend


def test_key_means_deepgram_and_no_key_means_local():
    deepgram = choose_backend(None, False, {"DEEPGRAM_API_KEY": "k-123456"})
    assert (deepgram.kind, deepgram.url, deepgram.api_key) == ("deepgram", DEEPGRAM_URL, "k-123456")
    assert "key from DEEPGRAM_API_KEY" in deepgram.describe()
    assert choose_backend(None, False, {}).kind == "local"
    assert choose_backend(None, True, {"DEEPGRAM_API_KEY": "k-123456"}).kind == "local"
    token = choose_backend(None, False, {"DEEPGRAM_API_KEY": "jwt-abcdef"}, token=True)
    assert token.session_config("s", DEEPGRAM_URL, {}).auth_scheme == "Bearer"


def test_custom_urls_are_normalised():
    assert choose_backend("http://127.0.0.1:8080", False, {}).url == "ws://127.0.0.1:8080/v1/listen"
    assert choose_backend("https://dg.example.com/", False, {}).url == "wss://dg.example.com/v1/listen"
    assert choose_backend("ws://127.0.0.1:1/v1/listen", False, {}).url == "ws://127.0.0.1:1/v1/listen"
    with pytest.raises(BackendError, match="not a ws:// or wss:// URL"):
        choose_backend("ftp://x", False, {})
    with pytest.raises(BackendError, match="contradict"):
        choose_backend("ws://127.0.0.1/v1/listen", True, {})


def test_key_is_not_sent_in_clear_to_other_hosts():
    env = {"DEEPGRAM_API_KEY": "k-123456"}
    with pytest.raises(BackendError, match="unencrypted"):
        choose_backend("ws://10.1.2.3/v1/listen", False, env)
    assert choose_backend("ws://10.1.2.3/v1/listen", False, env, allow_insecure_key=True).api_key == "k-123456"
    assert choose_backend("ws://localhost:8080/v1/listen", False, env).api_key == "k-123456"
    assert choose_backend("wss://dg.example.com/v1/listen", False, env).api_key == "k-123456"
