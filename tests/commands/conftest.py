"""Fixtures of the command tests."""

from __future__ import annotations

import pytest

from dgtui.data import clip
from tests.support.audio import clip_pcm, encode


@pytest.fixture(scope="module")
def talk(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lanes")
    path = folder / "council.wav"
    path.write_bytes(encode(clip_pcm("council")[: 32000 * 8], 16000, "wav", "pcm_s16le"))
    (folder / "council.txt").write_text(" ".join(clip("council").reference.split()[:17]))  # the sidecar: 8 s
    return path
