"""A stream's connection decisions driven with message sequences alone, as websockets tests its ``Protocol``: no
socket, no clock, no event loop."""

from __future__ import annotations

import json

import pytest

from dgtui.live.lifecycle import MAX_MESSAGE, Ending, GiveUp, Lifecycle, Next, Retry
from dgtui.protocol import CLOSE_STREAM, KEEP_ALIVE
from dgtui.protocol.errors import CloseCode
from dgtui.protocol.flux import FORCE_END_TURN, decode_flux
from dgtui.protocol.messages import decode_message
from dgtui.state.events import State

RESULTS = decode_message(json.dumps({"type": "Results", "channel_index": [0, 1], "start": 0.0, "duration": 1.0,
                                     "channel": {"alternatives": [{"transcript": "hi", "words": []}]}}))  # fmt: skip
METADATA = decode_message(json.dumps({"type": "Metadata", "request_id": "r", "duration": 1.0, "channels": 1}))
TURN = decode_flux(json.dumps({"type": "TurnInfo", "event": "Update", "audio_window_end": 1.0}))


def lifecycle(flux: bool = False, attempts: int = 3) -> Lifecycle:
    return Lifecycle(flux=flux, attempts=attempts, backoff=0.5, backoff_max=2.0, jitter=lambda low, high: high)


def closed_after_close_stream(life: Lifecycle, code: int | None, reason: str = "", **how: bool) -> Ending:
    life.opening()
    for message in life.closing():
        life.sent(message)
    return life.closed(code, reason, **{"failed": False, "refused_too_big": False, "again": False,
                                        "stopping": False, **how})  # fmt: skip


def test_what_nova_and_flux_send_to_hold_finalize_and_end_a_connection():
    nova, flux = lifecycle(), lifecycle(flux=True)
    assert nova.keep_alive() == KEEP_ALIVE and flux.keep_alive() is None  # a KeepAlive ends a v2 stream
    assert nova.finalize() == ('{"type":"Finalize"}', "finalize")
    assert json.loads(nova.finalize(1)[0]) == {"type": "Finalize", "channel": 1}
    assert flux.finalize(1) == (FORCE_END_TURN, "force_end_turn")  # Flux's Finalize
    assert nova.closing() == (CLOSE_STREAM,)
    assert flux.closing() == (FORCE_END_TURN, CLOSE_STREAM)  # the last turn gets its EndOfTurn first


@pytest.mark.parametrize(("flux", "code"), [(False, CloseCode.NORMAL), (True, CloseCode.NORMAL), (True, 1005)])
def test_a_normal_close_after_close_stream_ends_the_stream_cleanly(flux, code):
    assert closed_after_close_stream(lifecycle(flux), code) == Ending(Next.DONE, None, "", State.CLOSED)


def test_a_nova_close_without_a_status_is_not_normal():
    ending = closed_after_close_stream(lifecycle(), 1005)
    assert ending.next is Next.DONE and ending.phase is State.ERROR and ending.error


@pytest.mark.parametrize("code", [None, CloseCode.GOING_AWAY, CloseCode.ABNORMAL, CloseCode.INTERNAL, 1012, 1013, 1014])
def test_a_network_loss_or_a_server_error_is_a_drop_to_reconnect_from(code):
    life = lifecycle()
    life.opening()
    ending = life.closed(code, "", failed=False, refused_too_big=False, again=False, stopping=False)
    assert ending == Ending(Next.DROPPED)  # no error yet, no phase: the reconnect says what it does
    assert life.drop_reason  # what the next attempts and the final error will say


def test_a_normal_close_before_close_stream_is_a_drop_or_an_error_when_reconnects_are_off():
    life = lifecycle()
    life.opening()
    early = life.closed(CloseCode.NORMAL, "", failed=False, refused_too_big=False, again=False, stopping=False)
    assert early.next is Next.DROPPED and life.drop_reason == "the server closed the stream early"
    never = lifecycle(attempts=0)
    never.opening()
    ending = never.closed(CloseCode.NORMAL, "", failed=False, refused_too_big=False, again=False, stopping=False)
    assert ending.phase is State.ERROR and ending.error == "the server closed the stream before dgtui finished sending"


def test_a_refused_frame_or_a_policy_close_ends_the_stream_with_what_happened():
    too_big = closed_after_close_stream(lifecycle(), CloseCode.TOO_BIG, refused_too_big=True)
    assert too_big.next is Next.DONE and too_big.phase is State.ERROR
    assert too_big.error and f"{MAX_MESSAGE // 2**20} MiB" in too_big.error and "Check the server URL" in too_big.error
    policy = closed_after_close_stream(lifecycle(), 1008, "DATA-0000")
    assert policy.next is Next.DONE and policy.phase is State.ERROR and policy.detail == "DATA-0000"
    assert policy.error and policy.error.startswith("DATA-0000: the server could not decode the audio")


def test_a_stream_that_already_failed_or_is_stopping_is_not_reconnected():
    failed = closed_after_close_stream(lifecycle(), CloseCode.ABNORMAL, failed=True)
    assert failed == Ending(Next.DONE, None, "", State.ERROR)  # its error is already told
    stopping = closed_after_close_stream(lifecycle(), CloseCode.ABNORMAL, stopping=True)
    assert stopping.next is Next.DONE and stopping.error  # the connection was lost before the last results


def test_a_reconnect_asked_for_goes_on_after_a_normal_close():
    assert closed_after_close_stream(lifecycle(), CloseCode.NORMAL, again=True) == Ending(Next.AGAIN)
    flux = closed_after_close_stream(lifecycle(flux=True), 1005, again=True)
    assert flux == Ending(Next.AGAIN)


def test_attempts_back_off_doubling_to_the_maximum_then_give_up_and_results_reset_the_count():
    life = lifecycle(attempts=4)
    life.drop_reason = "the connection was lost"
    waits = [life.reconnect(stopping=False, nothing_to_send=False) for _ in range(4)]
    lost = "the connection was lost"
    assert waits == [Retry(1, 4, 0.5, lost), Retry(2, 4, 1.0, lost), Retry(3, 4, 2.0, lost), Retry(4, 4, 2.0, lost)]
    given_up = life.reconnect(stopping=False, nothing_to_send=False)
    assert isinstance(given_up, GiveUp)
    assert given_up.error.startswith("gave up after 4 reconnect attempts: the connection was lost. Check the network")
    again = lifecycle(attempts=2)
    again.reconnect(stopping=False, nothing_to_send=False)
    again.received(METADATA)  # not a result: the server may still be failing
    assert again.attempts == 1
    again.received(RESULTS)  # results: it works, a later drop starts a new count
    assert again.attempts == 0
    again.reconnect(stopping=False, nothing_to_send=False)
    again.received(TURN)  # a Flux turn counts as results too
    assert again.attempts == 0


def test_the_jitter_spreads_many_streams_between_half_and_the_whole_wait():
    spread = Lifecycle(flux=False, backoff=1.0, jitter=lambda low, high: low)
    assert spread.backoff(1) == 0.5 and spread.backoff(3) == 2.0 and spread.backoff(10) == 4.0  # max 8 s, halved


def test_a_drop_while_stopping_or_with_nothing_left_to_send_gives_up_with_the_reason():
    life = lifecycle()
    life.drop_reason = "1011 NET-0001"
    stopping = life.reconnect(stopping=True, nothing_to_send=False)
    assert stopping == GiveUp("the connection was lost (1011 NET-0001) before the last results came")
    done = lifecycle()
    done.drop_reason = "x"
    assert isinstance(done.reconnect(stopping=False, nothing_to_send=True), GiveUp)


@pytest.mark.parametrize(("status", "next_"), [(None, Next.DROPPED), (429, Next.DROPPED), (503, Next.DROPPED),
                                               (401, Next.DONE), (400, Next.DONE)])  # fmt: skip
def test_a_refused_handshake_after_a_drop_is_tried_again_only_when_it_may_pass(status, next_):
    life = lifecycle()
    ending = life.refused(status, "HTTP refused", reconnected=True)
    assert ending.next is next_
    if next_ is Next.DONE:
        assert ending.error == "HTTP refused" and ending.phase is State.ERROR
    else:
        assert life.drop_reason == "HTTP refused"


def test_a_refused_first_handshake_ends_the_stream_whatever_the_status():
    assert lifecycle().refused(503, "busy", reconnected=False) == Ending(Next.DONE, "busy", "", State.ERROR)


def test_a_live_source_is_opened_again_up_to_the_limit_and_audio_resets_the_count():
    life = lifecycle(attempts=2)
    assert life.reopen_source("the stream ended") == Retry(1, 2, 0.5, "the stream ended")
    assert life.reopen_source("the stream ended") == Retry(2, 2, 1.0, "the stream ended")
    assert life.reopen_source("the stream ended") == GiveUp(
        "the stream ended; gave up after 2 attempts to open it again"
    )
    life.source_read()
    assert life.source_worked and life.reopen_source("timed out") == Retry(1, 2, 0.5, "timed out")
