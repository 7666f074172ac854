"""Transcript views kept marked against a reference: the words heard wrong, extra or missing.

Recomputed only when a stream has a new final (or ends); lines whose marks did not change keep their rows."""

from __future__ import annotations

from collections.abc import Sequence

from dgtui.judge.alignment import lane_marks
from dgtui.state.events import State
from dgtui.state.stream import StreamState
from dgtui.tui.widgets.transcript_view import TranscriptView


def finished(state: StreamState) -> bool:
    """A stream that has closed heard its whole source: the whole reference counts against it."""
    return state.connection.phase is State.CLOSED


def finals_moved(states: Sequence[StreamState]) -> tuple[tuple[int, State], ...]:
    """What changes when a stream has a new transcript line or ends: what marks and alignments depend on."""
    return tuple((state.transcript.line_seq, state.connection.phase) for state in states)


class ReferenceMarks:
    def __init__(self, reference: str | None, *, first_is_base: bool = False) -> None:
        self.reference = reference
        self.first_is_base = first_is_base and reference is None  # without a reference, lanes go by the first
        self._seen: object = None

    def update(self, views: Sequence[TranscriptView], states: Sequence[StreamState]) -> None:
        key = finals_moved(states)
        if key == self._seen:
            return
        self._seen = key
        marks = lane_marks(states, self.reference, finished)
        for index, (view, (lines, _)) in enumerate(zip(views, marks, strict=True)):
            if index or not self.first_is_base:
                view.set_marks(lines)
