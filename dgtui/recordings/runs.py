"""A run read back for ``dgtui diff``: a recording replayed to its end, or a report by the run it keeps."""

from __future__ import annotations

from pathlib import Path

from dgtui.judge.compare import LaneGroup, lane_row
from dgtui.judge.gates import figures
from dgtui.judge.rundiff import Run, RunError, Subject, manifest_of, run_of_report
from dgtui.recordings.format import RecordingError
from dgtui.recordings.replay import ReplaySession
from dgtui.recordings.segments import is_recording, session_files


def read_run(path: Path) -> Run:
    """A recording (``.jsonl``, any segment of it, compressed or not) replayed to its end, or a report (``.md``) by
    the run it keeps."""
    if is_recording(path.name):
        if not session_files(path):
            raise RunError(f"{path}: no such file. 'dgtui sessions' lists the recordings.")
        return _recording_run(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RunError(f"{path}: no such file. 'dgtui sessions' lists the recordings.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RunError(f"{path}: cannot read it ({exc})") from None
    run = run_of_report(text, str(path))
    if run is not None:
        return run
    if path.suffix == ".md":
        raise RunError(f"{path}: a report without its run (written before dgtui kept one). Write it again with "
                       "--report, or compare the recordings.")  # fmt: skip
    return _recording_run(path)


def _recording_run(path: Path) -> Run:
    try:
        session = ReplaySession(path)
    except (RecordingError, OSError, UnicodeDecodeError, EOFError) as exc:
        raise RunError(f"{path}: not a dgtui recording or report ({exc})") from None
    session.advance(session.duration, origin=0.0)
    state = session.state
    groups = LaneGroup.from_headers([session.header])
    group = groups[0] if groups else None
    reference, truth = (group.reference, group.truth) if group else (None, None)
    row = lane_row(state.name, [state], reference, lambda s: s.clean, truth)
    name = group.lane_name(state.name) if group and len(group.streams) > 1 else state.name
    return Run(str(path), [Subject(name, figures(row), state.transcript.text(), manifest_of(state, reference))])
