"""Bundled demo audio: short English speech clips with their reference texts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class Clip:
    name: str
    title: str
    voice: str
    path: Path
    reference: str


def clips() -> list[Clip]:
    """Every bundled clip, in manifest order."""
    root = Path(str(resources.files(__package__) / "clips"))
    manifest = json.loads((root / "clips.json").read_text())
    return [
        Clip(
            name=entry["name"],
            title=entry["title"],
            voice=entry["voice"],
            path=root / f"{entry['name']}.ogg",
            reference=(root / f"{entry['name']}.txt").read_text().strip(),
        )
        for entry in manifest
    ]


def clip(name: str) -> Clip:
    for item in clips():
        if item.name == name:
            return item
    raise KeyError(f"no bundled clip named {name!r}; known: {', '.join(c.name for c in clips())}")
