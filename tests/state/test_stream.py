"""A stream's state: lights, log, raw messages, shifted timelines, bounded memory; and scripted sessions."""

from __future__ import annotations

import asyncio
import json

import pytest

from dgtui.protocol.messages import Results, SpeechStarted, UtteranceEnd, decode_message, shifted
from dgtui.recordings.player import PlayedSession
from dgtui.state.events import (
    Connected,
    Control,
    HandshakeTimings,
    MessageReceived,
    Note,
    SessionError,
    State,
)
from dgtui.state.setup import Setup
from dgtui.state.stream import StreamState
from tests.support.script import conversation, fail, message, results


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def raw(text: str, start: float, end: float, **flags: bool) -> str:
    words = [(w, start + i * 0.2, start + i * 0.2 + 0.2, 0.9) for i, w in enumerate(text.split())]
    return json.dumps(results(words, start=start, end=end, **flags))


def received(text: str, cursor: float | None = None) -> MessageReceived:
    return MessageReceived("s", text, None, 0.0, cursor)


def test_shifted_moves_every_audio_time_and_nothing_else():
    message = decode_message(raw("hello there", 1.0, 2.0, is_final=True))
    moved = shifted(message, 10.0)
    assert isinstance(moved, Results) and moved.start == 11.0 and moved.duration == message.duration
    assert [w.start for w in moved.alternative.words] == [11.0, 11.2]
    assert message.start == 1.0  # the original is untouched
    assert shifted(UtteranceEnd(last_word_end=2.0), 5.0).last_word_end == 7.0
    assert shifted(SpeechStarted(timestamp=1.5), 5.0).timestamp == 6.5


def test_a_reconnected_stream_keeps_one_timeline():
    clock = Clock()
    state = StreamState(Setup("s"), clock=clock)
    state.apply(received(raw("before", 0.0, 1.0, is_final=True), cursor=1.2))
    state.apply(Control("s", "reconnect", 30.0))  # a new connection after 30 s of audio: its times start at zero
    state.apply(received(raw("after", 0.0, 1.0, is_final=True), cursor=31.3))
    finals = [line for line in state.transcript.lines if line.kind == "final"]
    assert [round(line.start, 3) for line in finals] == [0.0, 30.0]
    assert state.metrics.final_latency.last == pytest.approx(0.3)  # 31.3 sent - (30 + 1.0) heard
    assert json.loads(state.log.raw[-1].raw)["start"] == 0.0  # the inspector keeps what was received


def test_audio_sent_again_after_a_drop_is_not_transcribed_twice_on_any_channel():
    state = StreamState(Setup("s"), clock=Clock())

    def final(text: str, start: float, end: float, channel: int, **flags: bool) -> None:
        state.apply(received(raw(text, start, end, is_final=True, **flags).replace('"channel_index": [0, 1]',
                    f'"channel_index": [{channel}, 2]'), cursor=6.0))  # fmt: skip

    final("one two", 0.0, 5.0, channel=0)
    final("left", 0.0, 4.0, channel=1)
    assert state.committed_until() == 4.0  # channel 1 has finals only up to 4 s: the drop re-sends from there
    state.apply(Control("s", "reconnect", 4.0))
    final("two again", 0.0, 1.0, channel=0, speech_final=True)  # 4-5 s: channel 0 has it already
    final("right", 0.0, 1.0, channel=1)
    final("three", 1.0, 2.0, channel=0)
    texts = [(line.channel, line.text) for line in state.transcript.lines if line.kind == "final"]
    assert texts == [(0, "one two"), (1, "left"), (1, "right"), (0, "three")]
    assert state.transcript.duplicates == 1 and state.committed_until() == 5.0
    assert state.transcript.utterance_count == 1  # the duplicate's speech_final still closed the turn
    assert "two again" in state.log.raw[-3].raw  # the inspector shows what came


def test_lights_counts_log_and_listeners():
    clock = Clock()
    seen = []
    state = StreamState(Setup("s"), clock=clock, listeners=[seen.append])
    state.apply(Connected("s", "ws://127.0.0.1:1/v1/listen", "req-1", HandshakeTimings(0.001, 0.002, 0.0, 0.003)))
    state.apply(received(raw("hi", 0.0, 1.0, is_final=True, speech_final=True)))
    lit = state.lights.lit
    assert lit("is_final", clock.now) and lit("speech_final", clock.now) and not lit("from_finalize", clock.now)
    assert state.lights.counts["speech_final"] == 1
    clock.now += 1.5
    assert not state.lights.lit("is_final", clock.now)  # a light holds one second
    state.apply(received('{"type":"Mystery","x":1}'))
    assert state.log.raw[-1].kind == "Mystery"
    assert any("unknown message type 'Mystery'" in e.text for e in state.log.entries)
    assert any(
        e.text.startswith("connected to ws://127.0.0.1:1/v1/listen; request id req-1") for e in state.log.entries
    )
    assert [type(e).__name__ for e in seen] == ["Connected", "MessageReceived", "MessageReceived"]
    assert isinstance(seen[1], MessageReceived) and seen[1].raw.startswith('{"type": "Results"')
    assert state.metrics.messages_per_second(clock.now) == pytest.approx(2 / 5.0)


def test_non_fatal_errors_are_counted_and_fatal_ones_are_the_outcome():
    state = StreamState(Setup("s"), clock=Clock())
    state.apply(SessionError("s", "one bad frame", fatal=False))
    assert state.connection.errors == 1 and state.connection.error is None
    state.apply(SessionError("s", "refused"))
    assert state.connection.errors == 2 and state.connection.error == "refused"


def test_memory_is_bounded_however_many_messages_come():
    state = StreamState(Setup("s"), clock=Clock(), keep_raw=50, keep_log=20)
    for i in range(3000):
        state.apply(received(raw(f"word{i}", i, i + 1.0, is_final=True, speech_final=True), cursor=i + 1.2), 100.0 + i)
        state.apply(Note("s", f"note {i}"))
    assert len(state.log.raw) == 50 and len(state.log.entries) == 20
    assert len(state.transcript.lines) == state.transcript.lines.maxlen
    assert len(state.transcript.closed) == state.transcript.closed.maxlen
    assert len(state.metrics.latency.buckets) <= 1 and state.metrics.final_latency.count == 3000
    newest = state.transcript.lines_after(state.transcript.line_seq - 2)
    assert [line.kind for line in newest] == ["final", "speech_final"]
    assert len(state.transcript.lines_after(0)) == state.transcript.lines.maxlen  # fell behind: all held


def test_scripted_session_applies_steps_at_their_times_and_plays_in_real_time():
    clock = Clock()
    session = PlayedSession("s", list(conversation(["one two three"], start=0.0)), clock=clock)
    session.advance(0.9, origin=100.0)
    assert session.state.transcript.interims() and session.state.transcript.finals == 0
    session.advance(10.0, origin=100.0)
    assert session.done and session.state.transcript.text() == "one two three"
    assert session.state.log.raw[-1].at == pytest.approx(100.0 + session.steps[-1].at)  # stamped with the step's time

    fast = PlayedSession("f", [message(0.05, raw("a", 0, 1, is_final=True)), fail(0.1, "boom")], speed=10)
    assert asyncio.run(fast.run()) is False
    assert fast.state.connection.phase is State.ERROR and fast.state.transcript.finals == 1
