"""A source from what the user typed: a file, a URL, stdin or a microphone, with the settings each takes."""

from __future__ import annotations

import pytest

from dgtui.audio.base import SourceError, SourceSettings
from dgtui.audio.local import FileSource
from dgtui.audio.open import open_source
from dgtui.audio.remote import HttpSource
from tests.support.audio import SAMPLE_FILES as FILES
from tests.support.audio import clip_pcm, encode


def test_open_source_picks_the_kind(tmp_path):
    path = tmp_path / "a.wav"
    path.write_bytes(FILES["wav"]())
    assert isinstance(open_source(str(path), SourceSettings(fast=True)), FileSource)
    assert open_source("-", SourceSettings(encoding="mulaw", sample_rate=8000)).description == "stdin (mulaw 8000 Hz)"
    assert open_source("http://127.0.0.1:1/x.mp3").name == "x"
    with pytest.raises(SourceError, match="mic"):
        open_source("mic")  # the optional extra is not installed by the test command


def mp3(name: str, seconds: float) -> tuple[bytes, float]:
    pcm = clip_pcm(name)[: int(32000 * seconds)]
    return encode(pcm, 16000, "mp3", "libmp3lame", out_rate=22050), len(pcm) / 32000


@pytest.fixture
def talk(tmp_path):
    data, seconds = mp3("council", 8.0)
    (tmp_path / "talk.mp3").write_bytes(data)
    return tmp_path, seconds


def test_open_source_passes_fast_and_loop_to_urls():
    from dgtui.audio.open import open_source

    source = open_source("http://127.0.0.1:1/talk.mp3", SourceSettings(fast=True, loop=True))
    assert isinstance(source, HttpSource) and source.realtime_files is False and source.loop is True
