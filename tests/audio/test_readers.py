"""The readers every finite source shares: damaged packets skipped and told, a file unreadable part way, a truncated
one."""

from __future__ import annotations

import pytest

from dgtui.audio import readers
from dgtui.audio.base import SourceError, SourceHooks
from dgtui.audio.local import FileSource
from tests.support.audio import SAMPLE_FILES as FILES
from tests.support.audio import SAMPLE_SECONDS as SECONDS
from tests.support.audio import collect, damaged


async def test_truncated_file_still_gives_its_audio(tmp_path):
    data = FILES["mp3"]()
    path = tmp_path / "cut.mp3"
    path.write_bytes(data[: len(data) // 2])
    chunks = await collect(FileSource(path, realtime=False))
    assert 1.0 < chunks[-1].end < SECONDS


async def test_a_file_unreadable_part_way_ends_with_what_it_had(tmp_path):
    data = FILES["ogg"]()
    path = tmp_path / "half-noise.ogg"
    path.write_bytes(data[: len(data) // 2] + bytes(range(256)) * 400)  # the rest is not audio at all
    source = FileSource(path, realtime=False)
    chunks = []
    with pytest.raises(SourceError, match=r"unreadable after 1\.\d+ s \(.*\): the file is damaged from there on"):
        async for chunk in source.chunks():
            chunks.append(chunk)
    assert chunks[-1].end > 1.0  # what came before the damage was given out


async def test_damaged_packets_are_skipped_and_reported_until_too_many_come_in_a_row(tmp_path, monkeypatch):
    path = tmp_path / "damaged.mp3"
    path.write_bytes(damaged(FILES["mp3"]()))
    warnings: list[str] = []
    chunks = await collect(FileSource(path, realtime=False, hooks=SourceHooks(warning=warnings.append)))
    assert chunks[-1].end > 3.0 and len(warnings) == 1  # skipped, said once, and the rest of the file was sent
    assert warnings[0].startswith(f"{path}: skipped 1 damaged packet at 1.")
    monkeypatch.setattr(readers, "DAMAGED_PACKETS_LIMIT", 1)  # the bound that ends a file of garbage
    with pytest.raises(SourceError, match=r"1 damaged packets in a row after 1\.\d+ s .* The audio before it was sent"):
        await collect(FileSource(path, realtime=False))
