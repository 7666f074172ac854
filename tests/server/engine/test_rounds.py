"""Turns inside a worker: each stream's frames in order, a bounded share of audio per turn, round robin."""

from __future__ import annotations

from dgtui.server.engine import ipc
from dgtui.server.engine.rounds import Rounds


def audio(stream: int, size: int) -> ipc.Frame:
    return ipc.Frame(ipc.AUDIO, stream, b"\0" * size)


def test_a_backlog_does_not_hold_up_a_stream_sent_in_real_time():
    rounds = Rounds(quantum=1000)
    rounds.put(ipc.Frame(ipc.OPEN, 1, b"{}"))
    for _ in range(10):  # a file sent as fast as it goes: 5,000 bytes waiting
        rounds.put(audio(1, 500))
    rounds.put(ipc.Frame(ipc.OPEN, 2, b"{}"))
    rounds.put(audio(2, 500))
    turns = []
    while rounds:
        turn = rounds.next_turn()
        turns.append((turn[0].stream, sum(len(f.payload) for f in turn if f.kind == ipc.AUDIO)))
    assert turns[:3] == [(1, 1000), (2, 500), (1, 1000)]  # stream 2 waited one turn, not the whole backlog
    assert sum(size for stream, size in turns if stream == 1) == 5000


def test_frames_keep_their_order_and_a_turn_ends_at_the_close():
    rounds = Rounds(quantum=1000)
    frames = [ipc.Frame(ipc.OPEN, 7, b""), audio(7, 400), ipc.Frame(ipc.FINALIZE, 7, b"{}"), audio(7, 400),
              ipc.Frame(ipc.CLOSE, 7, b""), ipc.Frame(ipc.OPEN, 7, b"again")]  # fmt: skip
    for frame in frames:
        rounds.put(frame)
    first = rounds.next_turn()
    assert first == frames[:5] and rounds.next_turn() == frames[5:] and not rounds
    assert rounds.next_turn() == []


def test_one_big_frame_is_a_turn_of_its_own():
    rounds = Rounds(quantum=1000)
    rounds.put(audio(3, 5000))
    rounds.put(audio(3, 10))
    assert [len(f.payload) for f in rounds.next_turn()] == [5000]
    assert [len(f.payload) for f in rounds.next_turn()] == [10]
