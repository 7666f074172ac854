"""How the local engine names itself in results: honestly, as pocketsphinx, not as a Deepgram model."""

from __future__ import annotations

import uuid
from functools import cache
from importlib.metadata import version


@cache
def model_info() -> dict[str, str]:
    return {"name": "pocketsphinx-en-us", "version": version("pocketsphinx"), "arch": "pocketsphinx"}


@cache
def model_uuid() -> str:
    info = model_info()
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"dgtui:{info['name']}:{info['version']}"))
