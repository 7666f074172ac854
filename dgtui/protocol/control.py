"""Client -> server control messages. They must go as *text* frames: binary JSON is taken as audio."""

from __future__ import annotations

import json

KEEP_ALIVE = '{"type":"KeepAlive"}'
CLOSE_STREAM = '{"type":"CloseStream"}'
_FINALIZE_ALL = '{"type":"Finalize"}'


def finalize(channel: int | None = None) -> str:
    """Ask the server to flush buffered audio now; ``channel`` (0-based) limits it to one channel."""
    if channel is None:
        return _FINALIZE_ALL
    return json.dumps({"type": "Finalize", "channel": int(channel)}, separators=(",", ":"))


def configure(keyterms: list[str] | None = None, features: dict[str, bool] | None = None) -> str:
    """Mid-stream reconfiguration: ``keyterms`` replaces the list (``[]`` clears), ``features`` toggles."""
    body: dict[str, object] = {"type": "Configure"}
    if keyterms is not None:
        body["keyterms"] = list(keyterms)
    if features:
        body["features"] = dict(features)
    return json.dumps(body, separators=(",", ":"))
