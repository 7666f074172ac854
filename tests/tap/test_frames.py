"""Frames read from a copy of the bytes, in any cut: masked from the app, plain from the upstream."""

from __future__ import annotations

from websockets.frames import Frame, Opcode

from dgtui.tap.frames import FrameReader

OP_BINARY, OP_CLOSE, OP_TEXT = Opcode.BINARY, Opcode.CLOSE, Opcode.TEXT


def wire(frame: Frame, mask: bool) -> bytes:
    return frame.serialize(mask=mask)


def test_frames_come_out_whole_whatever_the_cut():
    sent = [Frame(OP_BINARY, b"\x01\x02" * 3000), Frame(OP_TEXT, b'{"type":"KeepAlive"}'), Frame(OP_CLOSE, b"\x03\xe8")]
    data = b"".join(wire(frame, mask=True) for frame in sent)
    reader = FrameReader(mask=True)
    got = []
    for offset in range(0, len(data), 7):  # cut anywhere
        got += reader.feed(data[offset : offset + 7])
    assert [(f.opcode, f.data) for f in got] == [(f.opcode, f.data) for f in sent] and reader.error is None


def test_bytes_that_are_not_frames_stop_the_analysis_and_say_why():
    reader = FrameReader(mask=False)
    assert reader.feed(wire(Frame(OP_TEXT, b"hi"), mask=True)) == []  # a masked frame from a server: wrong
    assert reader.error is not None
    assert reader.feed(wire(Frame(OP_TEXT, b"hi"), mask=False)) == []
