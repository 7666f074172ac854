"""What every recording file is: its format number, its header line's type, and the error a file that is not one
raises. Shared by the writer and every reader."""

from __future__ import annotations

FORMAT = 2  # 2: lines are the events' one encoding (dgtui.state.encoding); 1: dgtui 0.1's own names
HEADER = "dgtui.header"
NOTE = "dgtui.RecordingNote"  # the recorder's own lines: a segment resumed, files compressed or deleted


class RecordingError(Exception):
    """A file that is not a readable recording; the message names it and says why."""
