"""Close codes explained: what happened and what to do."""

from __future__ import annotations

from dgtui.protocol import (
    explain_close,
)
from dgtui.protocol.errors import NET0001_REASON


def test_close_explanations_say_what_to_do():
    assert "KeepAlive" in explain_close(1011, NET0001_REASON)
    assert "decodable" in explain_close(1011, "See https://dpgr.am/net0000")
    assert "encoding" in explain_close(1008, "DATA-0000")
    assert "normally" in explain_close(1000)
    assert "without a close frame" in explain_close(1006)
