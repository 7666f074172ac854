"""The bundled demo clips: listed in their manifest's order, each with its audio, reference and word times."""

from __future__ import annotations

import json

import av
import pytest

from dgtui.data import clip, clips


def test_every_clip_is_there_with_its_reference_and_its_length():
    names = [c.name for c in clips()]
    assert names == ["weather", "council", "support", "science"]
    manifest = {e["name"]: e["seconds"] for e in json.loads((clips()[0].path.parent / "clips.json").read_text())}
    for item in clips():
        with av.open(str(item.path)) as container:
            seconds = container.duration / 1_000_000
        assert seconds == pytest.approx(manifest[item.name], abs=0.1)
        words = json.loads(item.path.with_suffix(".json").read_text())["words"]
        assert item.reference.split()[0].lower().strip(".,") == words[0]["word"].lower().strip(".,")


def test_a_clip_is_found_by_name_and_an_unknown_one_says_which_exist():
    assert clip("council").title == "City council news"
    with pytest.raises(KeyError, match="known: weather, council, support, science"):
        clip("opera")
