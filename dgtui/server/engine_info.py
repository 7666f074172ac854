"""How the local engine names itself in results: honestly, as pocketsphinx (or as the placeholder engine of load
tests), not as a Deepgram model."""

from __future__ import annotations

import uuid
from functools import cache
from importlib.metadata import version

from dgtui import __version__

ENGINES = ("pocketsphinx", "synthetic")


@cache
def model_info(engine: str = "pocketsphinx") -> dict[str, str]:
    if engine == "synthetic":
        return {"name": "synthetic-placeholder", "version": __version__, "arch": "synthetic"}
    if engine.startswith("script:"):
        return {"name": "scripted", "version": __version__, "arch": "script"}
    return {"name": "pocketsphinx-en-us", "version": version("pocketsphinx"), "arch": "pocketsphinx"}


@cache
def model_uuid(engine: str = "pocketsphinx") -> str:
    info = model_info(engine)
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"dgtui:{info['name']}:{info['version']}"))
