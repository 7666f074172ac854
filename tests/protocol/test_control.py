"""Control messages: text JSON frames, as Deepgram documents them."""

from __future__ import annotations

import json

from dgtui.protocol import (
    CLOSE_STREAM,
    KEEP_ALIVE,
    configure,
    finalize,
)


def test_control_messages_are_text_json():
    assert json.loads(KEEP_ALIVE) == {"type": "KeepAlive"}
    assert json.loads(CLOSE_STREAM) == {"type": "CloseStream"}
    assert json.loads(finalize()) == {"type": "Finalize"}
    assert json.loads(finalize(1)) == {"type": "Finalize", "channel": 1}
    assert json.loads(configure(["a"], {"numerals": True})) == {
        "type": "Configure",
        "keyterms": ["a"],
        "features": {"numerals": True},
    }
    assert json.loads(configure([])) == {"type": "Configure", "keyterms": []}
