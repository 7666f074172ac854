"""The events: recorded ones have a tag on the wire; the live owner's own are never read from a line."""

from __future__ import annotations

import typing

import msgspec

from dgtui.state.encoding import read_event
from dgtui.state.events import DgtuiEvent, HandshakeTimings, LocalEvent


def test_handshake_timings_add_up():
    assert HandshakeTimings(0.001, 0.002, 0.003, 0.004).total == 0.01


def test_every_event_has_its_own_tag_and_the_local_ones_cannot_come_from_a_recording():
    recorded, local = typing.get_args(DgtuiEvent), typing.get_args(LocalEvent)
    tags = [msgspec.inspect.type_info(kind).tag for kind in (*recorded, *local)]  # type: ignore[attr-defined]
    assert len(tags) == len(set(tags)) and all(tag.startswith("dgtui.") for tag in tags)
    for kind in local:
        tag = msgspec.inspect.type_info(kind).tag  # type: ignore[attr-defined]
        assert tag.startswith("dgtui.local.") and read_event({"type": tag, "name": "s"}) is None
