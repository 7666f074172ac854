"""Secrets registered once are redacted from every text and URL shown."""

from __future__ import annotations

from dgtui.process.secrets import redact, redact_url, register_secret


def test_redaction():
    register_secret("sekrit-key-42")
    assert redact("Authorization: Token sekrit-key-42") == "Authorization: Token ***"
    shown = redact_url("wss://user:pw@host/v1/listen?token=abc&model=nova-3")
    assert shown == "wss://host/v1/listen?token=***&model=nova-3"
