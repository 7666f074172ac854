"""The Flows tab's cells: sizes in bytes, KB and MB, and statuses coloured by class (a WebSocket said as one)."""

from __future__ import annotations

from dgtui.state.client import Flow
from dgtui.tui.widgets.flows import size, status_cell


def test_sizes_and_status_cells():
    assert (size(512), size(2048), size(3 * 1024**2)) == ("512 B", "2.0 KB", "3.0 MB")
    flow = Flow(1, "app", "GET", "/v1/speak", 0.0)
    assert status_cell(flow).plain == "…"  # still waiting
    flow.ended = 1.0
    assert status_cell(flow).plain == "no answer" and status_cell(flow).style == "red"
    flow.status = 101
    assert status_cell(flow).plain == "101 WebSocket"
    flow.status = 429
    assert (status_cell(flow).plain, status_cell(flow).style) == ("429", "yellow")
