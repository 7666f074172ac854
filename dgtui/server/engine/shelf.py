"""The decoders a worker keeps loaded: a stream takes one (no model load when one is ready) and gives it back.

A pocketsphinx decoder carries one piece of state from stream to stream: its features' running statistics and
cepstral mean, which it adapts as it listens. A decoder given back has them reset to what a freshly loaded one
starts from, so a stream's words do
not depend on which streams the decoder heard before (``tests/server/engine/test_shelf.py`` checks this).
Decoders with no such state to reset (the synthetic engine's) are cheap to make and are never reused.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any


class DecoderShelf:
    """Up to ``keep`` loaded decoders, ``spares`` of them made ahead of need."""

    def __init__(self, factory: Callable[[], Any], spares: int = 1, keep: int = 4) -> None:
        self._factory = factory
        self.spares = spares
        self.keep = max(keep, spares)
        self._ready: list[Any] = []
        self._lock = threading.Lock()  # decoders come back from container-decoding threads too
        self._fresh_cmn: str | None = None

    def make(self) -> Any:
        decoder = self._factory()
        if self._fresh_cmn is None and hasattr(decoder, "get_cmn"):
            self._fresh_cmn = decoder.get_cmn()
        return decoder

    @property
    def ready(self) -> int:
        return len(self._ready)

    def wants_spare(self) -> bool:
        return len(self._ready) < self.spares

    def add_spare(self) -> None:
        """Load one decoder ahead of need (the worker does this when no stream is waiting)."""
        decoder = self.make()
        with self._lock:
            self._ready.append(decoder)

    def take(self) -> Any:
        with self._lock:
            if self._ready:
                return self._ready.pop()
        return self.make()

    def give(self, decoder: Any) -> None:
        """A decoder a stream is done with: reset and kept, unless the shelf is full or it cannot be reset."""
        if not hasattr(decoder, "set_cmn") or self._fresh_cmn is None:
            return
        with contextlib.suppress(Exception):  # not in an utterance (the stream flushed it): nothing to end
            decoder.end_utt()
        decoder.reinit_feat()  # the feature pipeline (its running sums) as a freshly loaded decoder has it
        decoder.set_cmn(self._fresh_cmn)
        with self._lock:
            if len(self._ready) < self.keep:
                self._ready.append(decoder)
