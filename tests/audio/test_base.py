"""What every source declares: a source that could not be opened shows why in its own stream."""

from __future__ import annotations

import pytest

from dgtui.audio.base import BrokenSource, SourceError, SourceHooks, SourceKind, SourceSettings


async def test_a_broken_source_is_named_from_its_spec_and_raises_its_error_when_read():
    broken = BrokenSource("/music/talk.wav", "talk.wav: no such file")
    assert broken.name == "talk" and broken.description == "/music/talk.wav" and not broken.realtime
    with pytest.raises(SourceError, match="no such file"):
        async for _ in broken.chunks():
            pass
    assert BrokenSource("-", "gone", name="stdin").name == "stdin"


def test_hooks_and_settings_default_to_nothing_said_and_real_time_files():
    hooks = SourceHooks()
    hooks.title("x"), hooks.warning("y"), hooks.kind(SourceKind.LIVE, "chunked")  # nobody listens: no error
    settings = SourceSettings()
    assert (settings.chunk_ms, settings.channels, settings.fast, settings.loop) == (100, 1, False, False)
    assert SourceKind("hls") is SourceKind.HLS and str(SourceKind.FILE) == "file"
