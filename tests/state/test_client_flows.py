"""The flow log: bounded, numbered, and a version that moves on every change."""

from __future__ import annotations

from dgtui.state.client import FlowLog


def test_flows_are_numbered_bounded_and_versioned():
    log = FlowLog(keep=2)
    first = log.start("app", "GET", "/v1/projects", 10.0)
    log.start("app", "POST", "/v1/listen", 11.0)
    third = log.start("app", "GET", "/v1/speak", 12.0)
    assert [f.number for f in log.flows] == [2, 3] and first not in log.flows and log.count == 3
    version = log.version
    third.status = 101
    log.changed()
    assert log.version == version + 1 and third.websocket and third.duration(15.0) == 3.0
    third.ended = 14.0
    assert third.duration(99.0) == 2.0
