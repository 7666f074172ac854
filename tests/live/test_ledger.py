"""The audio ledger, without sockets: what goes next, what is kept, what is sent again after a drop (cut at the
exact sample), how a reopened source counts, and when a chunk is due."""

from __future__ import annotations

import pytest

from dgtui.audio.chunks import LINEAR16, AudioChunk, AudioFormat
from dgtui.live.ledger import AudioLedger

RATE = 16000


def chunk(end: float, seconds: float = 0.1, fmt: AudioFormat = LINEAR16) -> AudioChunk:
    """``seconds`` of linear16 ending at ``end``; each sample holds its own index, so cuts can be checked."""
    first = round((end - seconds) * RATE)
    samples = range(first, round(end * RATE))
    data = b"".join((i % 32768).to_bytes(2, "little") for i in samples) * fmt.channels
    return AudioChunk(data if fmt.channels == 1 else _interleave(data, fmt.channels), end)


def _interleave(mono: bytes, channels: int) -> bytes:
    return b"".join(mono[i : i + 2] * channels for i in range(0, len(mono), 2))


def sent(ledger: AudioLedger, until: float, committed: float = 0.0) -> None:
    t = round(ledger.position + 0.1, 6)
    while t <= until + 1e-9:
        ledger.on_sent(chunk(t), committed)
        t = round(t + 0.1, 6)


def test_a_drop_sends_again_from_the_exact_sample_where_the_last_final_ended():
    ledger = AudioLedger(LINEAR16)
    sent(ledger, 3.0, committed=0.0)
    rewind = ledger.rewind(committed=1.234)
    assert rewind is not None
    assert rewind.start == pytest.approx(1.234, abs=1 / RATE) and rewind.lost == 0.0
    assert rewind.resent == pytest.approx(3.0 - 1.234, abs=1 / RATE) and rewind.uncommitted == pytest.approx(1.766)
    first = ledger.next_from_backlog()
    assert int.from_bytes(first.data[:2], "little") == round(1.234 * RATE)  # the very sample, not a chunk early
    assert ledger.position == pytest.approx(rewind.start)
    again = [first, *iter(ledger.next_from_backlog, None)]
    assert sum(len(c.data) for c in again) == pytest.approx(rewind.resent * 2 * RATE, abs=2)  # nothing twice
    assert again[-1].end == 3.0


def test_the_cut_keeps_whole_frames_of_every_channel():
    stereo = AudioFormat("linear16", RATE, 2)
    ledger = AudioLedger(stereo)
    for end in (0.1, 0.2, 0.3):
        ledger.on_sent(chunk(end, fmt=stereo), 0.0)
    ledger.rewind(committed=0.15003)
    assert len(ledger.next_from_backlog().data) % 4 == 0


def test_audio_older_than_the_buffer_is_counted_lost_not_sent_again():
    ledger = AudioLedger(LINEAR16, buffer_seconds=1.0)
    sent(ledger, 5.0, committed=0.0)  # only the last second is kept
    rewind = ledger.rewind(committed=2.0)
    assert rewind.start == pytest.approx(4.0) and rewind.lost == pytest.approx(2.0)


def test_nothing_is_sent_again_when_finals_cover_it_resend_is_off_or_the_audio_is_a_container():
    covered = AudioLedger(LINEAR16)
    sent(covered, 2.0, committed=2.0)
    assert covered.rewind(committed=2.0) is None and not covered.backlog
    off = AudioLedger(LINEAR16, resend=False)
    sent(off, 2.0)
    assert off.rewind(committed=0.5) is None and off.position == pytest.approx(2.0)
    container = AudioLedger(AudioFormat(None, None, 1))  # passthrough bytes cannot be cut and resumed
    container.on_sent(AudioChunk(b"OggS....", 1.0), 0.0)
    assert container.rewind(committed=0.2) is None


def test_a_full_backlog_drops_the_oldest_audio_and_says_how_much():
    ledger = AudioLedger(LINEAR16, buffer_seconds=1.0)
    lost = sum(ledger.buffer(chunk(round(0.1 * i, 1))) for i in range(1, 16))  # 1.5 s read while disconnected
    assert lost == pytest.approx(0.5) and ledger.position == pytest.approx(0.5)
    assert ledger.backlog[0].end == pytest.approx(0.6) and len(ledger.backlog) == 10


def test_a_chunk_the_connection_did_not_take_goes_first_next_time():
    ledger = AudioLedger(LINEAR16)
    ledger.buffer(chunk(0.2))
    ledger.unsent(chunk(0.1))
    assert [c.end for c in iter(ledger.next_from_backlog, None)] == [0.1, 0.2]


def test_a_reopened_source_counts_from_where_the_stream_was_and_pacing_restarts():
    ledger = AudioLedger(LINEAR16)
    ledger.start_clock(now=100.0)
    sent(ledger, 2.0)
    assert ledger.due_in(2.0, now=101.0) == pytest.approx(1.0)
    ledger.reopened(cursor=2.0, now=110.0)  # the station was gone for 8 s: no catching up
    assert ledger.from_source(chunk(0.1)).end == pytest.approx(2.1)
    assert ledger.due_in(2.1, now=110.0) == pytest.approx(0.1)


def test_pacing_leaves_paused_time_out():
    ledger = AudioLedger(LINEAR16)
    assert ledger.due_in(5.0, now=0.0) == 0.0  # no clock yet: nothing to wait for
    ledger.start_clock(now=10.0)
    ledger.paused(3.0)
    assert ledger.due_in(1.0, now=10.0) == pytest.approx(4.0) and ledger.due_in(1.0, now=20.0) == 0.0


def test_a_flush_forgets_what_was_sent():
    ledger = AudioLedger(LINEAR16)
    sent(ledger, 1.0)
    ledger.flushed()
    assert ledger.rewind(committed=0.0) is None


def test_burst_holds_audio_until_its_burst_is_whole_and_jitter_makes_chunks_late_in_order():
    burst = AudioLedger(LINEAR16, burst=2.0)
    burst.start_clock(100.0)
    assert burst.send_delay(0.0, 0.1, now=100.0, paced=True) == pytest.approx(2.0)  # held to the burst's end
    assert burst.send_delay(1.9, 2.0, now=102.0, paced=True) == 0.0  # the burst goes at once
    assert burst.send_delay(2.0, 2.1, now=102.0, paced=True) == pytest.approx(2.0)  # the next one waits
    assert burst.send_delay(0.0, 0.1, now=100.0, paced=False) == pytest.approx(2.0)  # a live source too
    jitter = AudioLedger(LINEAR16, jitter=0.05, jitter_seed=1)
    jitter.start_clock(0.0)
    delays = [jitter.send_delay(t / 10, t / 10 + 0.1, now=t / 10, paced=True) for t in range(200)]
    assert all(0.0 <= d <= 0.05 for d in delays) and len(set(delays)) > 150  # random, bounded
    again = AudioLedger(LINEAR16, jitter=0.05, jitter_seed=1)
    again.start_clock(0.0)
    assert [again.send_delay(t / 10, t / 10 + 0.1, now=t / 10, paced=True) for t in range(200)] == delays  # seeded
    plain = AudioLedger(LINEAR16)
    plain.start_clock(0.0)
    assert plain.send_delay(5.0, 5.1, now=4.0, paced=False) == 0.0  # no condition: a live chunk goes as it comes
    assert plain.send_delay(5.0, 5.1, now=4.0, paced=True) == pytest.approx(1.0)  # a file: in real time
