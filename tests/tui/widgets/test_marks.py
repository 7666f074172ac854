"""Reference marks on live transcripts: recomputed only when a stream has a new final or ends."""

from __future__ import annotations

from dgtui.state.events import State, StateChanged
from dgtui.tui.widgets.marks import ReferenceMarks, finals_moved, finished
from dgtui.tui.widgets.transcript_view import TranscriptView
from tests.support.scenes import WEATHER, lane_scene


def test_marks_follow_new_finals_and_the_end_of_a_stream():
    sessions, _, _group = lane_scene(30.0)
    states = [s.state for s in sessions]
    before = finals_moved(states)
    assert not finished(states[0])
    states[0].apply(StateChanged(states[0].name, State.CLOSED))
    assert finished(states[0]) and finals_moved(states) != before


def test_the_views_are_marked_once_per_change_and_the_base_lane_stays_plain():
    sessions, _, group = lane_scene(30.0)
    states = [s.state for s in sessions]
    views = [TranscriptView(), TranscriptView()]
    for view, state in zip(views, states, strict=True):
        view.sync(state.transcript)
    calls: list[int] = []
    for index, view in enumerate(views):
        view.set_marks = lambda marks, index=index: calls.append(index)  # type: ignore[method-assign]
    ReferenceMarks(" ".join(WEATHER)).update(views, states)
    assert calls == [0, 1]
    marks = ReferenceMarks(None, first_is_base=True)  # no reference: the first lane is the base
    calls.clear()
    marks.update(views, states)
    marks.update(views, states)  # nothing moved: nothing recomputed
    assert calls == [1] and group.reference
