"""Containers told by their first bytes; an MP3 frame sync, which raw PCM can start with too, is not certain."""

from __future__ import annotations

from dgtui.audio.containers import CONTAINER_HEAD, container_of


def test_containers_by_their_magic():
    assert container_of(b"RIFF\x24\x00\x00\x00WAVE").suffix == ".wav"  # type: ignore[union-attr]
    assert container_of(b"OggS\x00").name == "Ogg"  # type: ignore[union-attr]
    assert container_of(b"\x00\x01\x02\x03") is None and CONTAINER_HEAD == 4
    frame_sync = container_of(b"\xff\xfb\x90\x00")
    assert frame_sync is not None and frame_sync.suffix == ".mp3" and not frame_sync.certain
