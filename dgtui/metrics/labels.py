"""The labels a stream's series carry, and the rules that keep their values few (Prometheus's cost grows with
every distinct label set, and a tap may see a new call every second for weeks).

* ``stream``: the stream's name, without a copy's mark (``talk#2`` is ``talk``: ``dgtui bench --streams N`` and
  copies pool under one label set); the part before ``/`` for a lane. A tapped stream (an application's) is
  named by its ``tag`` option, or ``tapped``: never by a request id or an address.
* ``lane``: the lane's name (``fast`` of ``talk/fast``), else empty.
* ``api``: ``v1`` (Nova) or ``v2`` (Flux); ``model``: the model asked for (``default`` when none is).
* ``backend``: ``deepgram`` (Deepgram's cloud), ``local`` (the embedded engine) or the server's host:port.

Past :data:`MAX_LABEL_SETS` label sets at once, a new one is pooled as ``stream="_other"``.
"""

from __future__ import annotations

import re
from dataclasses import astuple, dataclass
from typing import Any
from urllib.parse import urlsplit

from dgtui.process.secrets import redact
from dgtui.state.setup import Setup

MAX_LABEL_SETS = 500
LABEL_NAMES = ("stream", "lane", "api", "model", "backend")
OTHER = "_other"
TAPPED = "tapped"
_COPY = re.compile(r"#\d+$")
_LONGEST = 64  # characters kept of a name or a tag


@dataclass(frozen=True, slots=True)
class StreamLabels:
    stream: str
    lane: str
    api: str
    model: str
    backend: str

    def values(self) -> tuple[str, ...]:
        return astuple(self)

    def pooled(self) -> StreamLabels:
        """The label set a stream gets past the limit."""
        return StreamLabels(OTHER, "", self.api, self.model, self.backend)


def backend_label(kind: str, url: str | None) -> str:
    """``deepgram``, ``local``, or the host:port of another server (no path, no query, so no secret)."""
    if kind in ("deepgram", "local"):
        return kind
    split = urlsplit(url or "")
    if split.hostname and split.hostname.endswith("deepgram.com"):
        return "deepgram"
    return (split.netloc.rpartition("@")[2] or "unknown")[:_LONGEST]


def labels_of(setup: Setup, backend: str) -> StreamLabels:
    """A stream's labels, from what it is (fixed when it is made: they never change while it runs)."""
    if setup.tapped:
        stream, lane = _tag(setup.options) or TAPPED, ""
    else:
        stream, _, lane = _COPY.sub("", setup.name).partition("/")
        lane = _COPY.sub("", lane)
    model = setup.options.get("model")
    stream, lane, model = (redact(str(value))[:_LONGEST] for value in (stream, lane, model or "default"))
    return StreamLabels(stream, lane, setup.api, model, backend)  # a key never, even where a name holds one


def _tag(options: dict[str, Any]) -> str:
    tag = options.get("tag")
    if isinstance(tag, list):
        tag = tag[0] if tag else None
    return str(tag) if tag else ""
