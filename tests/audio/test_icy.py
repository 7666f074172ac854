"""ICY metadata: stripped from the audio, titles read."""

from __future__ import annotations

from dgtui.audio.icy import IcyReader


def test_icy_metadata_is_stripped_and_titles_read():
    audio = bytes(range(256)) * 4  # 1024 bytes
    meta = b"StreamTitle='Morning News';StreamUrl='';"
    block = bytes([(len(meta) + 15) // 16]) + meta.ljust(((len(meta) + 15) // 16) * 16, b"\0")
    stream = audio[:100] + block + audio[100:200] + b"\0" + audio[200:300]
    reader = IcyReader(metaint=100)
    out, titles = bytearray(), []
    for i in range(0, len(stream), 7):  # arbitrary network fragmentation
        data, found = reader.feed(stream[i : i + 7])
        out += data
        titles += found
    assert bytes(out) == audio[:300]
    assert titles == ["Morning News"]
    assert IcyReader(0).feed(b"abc") == (b"abc", [])
