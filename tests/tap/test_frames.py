"""Frames read from a copy of the bytes, in any cut: masked from the app, plain from the upstream."""

from __future__ import annotations

import contextlib

import websockets
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


async def test_compressed_frames_are_read_inflated_both_ways():
    """permessage-deflate agreed at the handshake (websockets' default on both ends): the frames pass compressed,
    and analysis reads the messages and the audio as the peers meant them."""
    from tests.support.tap import running_tap, until_closed

    result = '{"type":"Results","channel_index":[0,1],"duration":1.0,"start":0.0,"is_final":true,' \
             '"speech_final":true,"channel":{"alternatives":[{"transcript":"compressed words","confidence":0.9,' \
             '"words":[]}]}}'  # fmt: skip

    async def listen(ws) -> None:  # type: ignore[no-untyped-def]
        await ws.recv()
        await ws.send(result)
        await ws.recv()  # CloseStream
        await ws.close()

    async with (
        websockets.serve(listen, "127.0.0.1", 0) as upstream,
        running_tap(f"ws://127.0.0.1:{upstream.sockets[0].getsockname()[1]}") as tap,
    ):
        async with websockets.connect(f"{tap.url}/v1/listen?encoding=linear16&sample_rate=16000") as ws:
            assert "permessage-deflate" in ws.response.headers["Sec-WebSocket-Extensions"]
            await ws.send(b"\1\0" * 8000)  # half a second, compressible
            assert await ws.recv() == result
            await ws.send('{"type":"CloseStream"}')
            with contextlib.suppress(websockets.ConnectionClosed):
                await ws.recv()
        await until_closed(tap.sessions)
        state = tap.sessions[0].state
    assert state.transcript.text() == "compressed words" and state.audio.cursor == 0.5
    assert state.sending.controls["CloseStream"] == 1 and state.clean
