"""The player of timed steps: applied at once up to a time, or played in real time scaled by a speed, with pause,
a jump to the end, and the controls of a live stream."""

from __future__ import annotations

import asyncio

from dgtui.recordings.player import PlayedSession, PlayerRunner, step
from dgtui.state.events import Control, MessageReceived, Note, SessionError, State, StateChanged

FINAL = ('{"type":"Results","is_final":true,"start":%d,"duration":1,"channel_index":[0,1],'
         '"channel":{"alternatives":[{"transcript":"%s","words":[]}]}}')  # fmt: skip


def script() -> list:
    return [step(0.0, StateChanged("", State.STREAMING)),
            step(0.5, MessageReceived("", FINAL % (0, "one"), cursor=None)),
            step(1.5, MessageReceived("", FINAL % (1, "two"), cursor=None)),
            step(2.0, lambda state: Note("", f"{state.transcript.finals} finals by 2 s"))]  # fmt: skip


def test_steps_apply_up_to_a_time_on_the_scripts_own_clock():
    played = PlayedSession("p", script(), clock=lambda: 50.0)
    assert played.advance(1.0, origin=100.0) == 2 and played.state.transcript.text() == "one"
    assert played.state.log.raw[-1].at == 100.5 and played.state.connection.started_at == 100.0
    played.advance(10.0, origin=100.0)
    assert played.done and played.duration == 2.0 and played.state.transcript.text() == "one two"
    assert played.state.log.entries[-1].text == "2 finals by 2 s"  # a step made from where the stream was


def test_playing_fast_pausing_and_jumping_to_the_end():
    async def play() -> PlayedSession:
        played = PlayedSession("p", script(), speed=8.0)
        task = asyncio.create_task(played.run())
        while played.state.transcript.finals < 1:
            await asyncio.sleep(0.01)
        played.pause()
        assert played.state.connection.phase is State.PAUSED
        held = played.script_time()
        await asyncio.sleep(0.1)
        assert played.script_time() == held  # paused: the script's clock stands still
        played.resume()
        played.set_speed(1000.0)  # capped at 64x
        assert played.speed == 64.0
        played.jump_to_end()
        assert await task
        return played

    played = asyncio.run(play())
    assert played.state.transcript.text() == "one two" and played.state.connection.phase is State.CLOSED


def test_the_controls_of_a_live_stream_are_told_on_its_state():
    played = PlayedSession("p", script())
    played.advance(1.0, origin=0.0)
    played.request_finalize()
    played.configure({"keyterms": ["x"]})
    played.reconnect()
    played.note("from the runner")
    played.warn("a damaged packet")
    actions = [e.text for e in played.state.log.entries]
    assert "Finalize sent" in actions and "Configure sent" in actions and "from the runner" in actions
    assert played.finalize_requests == 1 and played.configures == [{"keyterms": ["x"]}]
    assert played.state.connection.reconnects == 1 and played.state.connection.errors == 1
    assert played.state.connection.error is None  # a warning: it goes on
    played.state.apply(SessionError("p", "boom"))
    assert not asyncio.run(played.run())  # ends with the error


async def test_a_player_runner_runs_and_forgets_its_sessions():
    played = PlayedSession("p", script(), speed=64.0)
    runner = PlayerRunner([played])
    assert await runner.run(played)
    runner.remove(played)
    await runner.close()
    assert runner.sessions == [] and played.state.connection.phase is State.CLOSED


def test_controls_are_control_events_to_listeners():
    played = PlayedSession("p", script())
    seen: list = []
    played.state.subscribe(seen.append)
    played.request_finalize()
    assert seen == [Control("p", "finalize", 0.0)]
