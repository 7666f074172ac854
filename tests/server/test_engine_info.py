"""The local engine names itself honestly in results: pocketsphinx (or the placeholder engine), never Deepgram."""

from __future__ import annotations

import uuid
from importlib.metadata import version

from dgtui.server.engine_info import ENGINES, model_info, model_uuid


def test_each_engine_names_itself_with_a_stable_uuid():
    assert model_info() == {"name": "pocketsphinx-en-us", "version": version("pocketsphinx"), "arch": "pocketsphinx"}
    assert model_info("synthetic")["name"] == "synthetic-placeholder" and set(ENGINES) == {"pocketsphinx", "synthetic"}
    assert uuid.UUID(model_uuid()).version == 5 and model_uuid() == model_uuid("pocketsphinx")
    assert model_uuid("synthetic") != model_uuid()
