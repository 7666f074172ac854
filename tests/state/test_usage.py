"""The usage meter and its cost: hand-computed figures, a reconnect that sends audio again (billed again, told
apart), the same figures from the recording, and no figure where a price is missing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dgtui.recordings.replay import load
from dgtui.recordings.writer import record
from dgtui.state.events import AudioAccounted, AudioSent
from dgtui.state.setup import Setup
from dgtui.state.stream import StreamState
from dgtui.state.usage import DEFAULT_PRICES, Cost, NoPrice, Prices, cost_of, format_usd
from tests.support.drops import drop_once

PRICED = Prices(models={"nova-3": 0.0048, "nova-2": 0.0058}, addons={"diarize": 0.002}, origin="test",
                all_backends=True)  # fmt: skip


def state(url: str, options: dict, bytes_sent: int, resent: float = 0.0, cursor: float = 0.0,
          local: bool = False) -> StreamState:  # fmt: skip
    scripted = StreamState(Setup("s", options=options, local_engine=local), url=url, clock=lambda: 0.0)
    scripted.apply(AudioSent("s", bytes_sent, cursor, -20.0))
    scripted.apply(AudioAccounted("s", resent=resent))
    return scripted


DEEPGRAM = "wss://api.deepgram.com/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000"


def test_the_cost_is_the_audio_billed_at_the_model_and_add_on_rates():
    usage = state(DEEPGRAM, {"model": "nova-3", "diarize": True}, bytes_sent=32000 * 90, resent=30.0).usage()
    assert (usage.audio_s, usage.resent_s, usage.billed_s) == (60.0, 30.0, 90.0)
    assert usage.addons == ("diarize",) and usage.billed_by == "deepgram" and usage.model == "nova-3"
    cost = cost_of(usage, PRICED)
    assert isinstance(cost, Cost)
    assert cost.so_far == pytest.approx(1.5 * (0.0048 + 0.002))  # 90 s = 1.5 min at 0.0068 a minute
    assert cost.resent == pytest.approx(0.5 * 0.0068) and cost.per_hour == pytest.approx(60 * 0.0068)
    assert cost.per_month(10) == pytest.approx(60 * 0.0068 * 730 * 10)
    assert format_usd(cost.so_far) == "$0.0102" and format_usd(cost.per_month(10)) == "$2,978"


def test_multichannel_bills_each_channel_and_a_container_counts_its_cursor():
    two = state(DEEPGRAM + "&channels=2", {"model": "nova-3", "multichannel": True}, bytes_sent=64000 * 60).usage()
    assert two.channels == 2 and two.billed_s == 120.0
    assert cost_of(two, PRICED).so_far == pytest.approx(2 * 0.0048)  # type: ignore[union-attr]
    container = state("wss://api.deepgram.com/v1/listen?model=nova-3", {"model": "nova-3"}, 12345,
                               cursor=42.0).usage()  # fmt: skip
    assert container.billed_s == 42.0


def test_no_price_gives_no_figure_and_says_why():
    local = state("ws://127.0.0.1:9/v1/listen?encoding=linear16&sample_rate=16000", {"model": "nova-3"}, 32000,
                  local=True)  # fmt: skip
    assert cost_of(local.usage(), PRICED) == NoPrice("the local engine is not billed")
    other = state("ws://10.0.0.9/v1/listen?encoding=linear16&sample_rate=16000", {"model": "nova-3"}, 32000)
    assert "not Deepgram's cloud" in cost_of(other.usage(), DEFAULT_PRICES).reason  # type: ignore[union-attr]
    unknown = state(DEEPGRAM, {"model": "nova-2-meeting"}, 32000)
    assert cost_of(unknown.usage(), PRICED) == NoPrice(
        "no price for the model nova-2-meeting: set it under [prices.models]"
    )
    keyterms = state(DEEPGRAM, {"model": "nova-3", "keyterm": ["dgtui"], "redact": ["pci"]}, 32000)
    assert cost_of(keyterms.usage(), PRICED) == NoPrice("no price for keyterm, redact: set it under [prices.addons]")
    multi = state(DEEPGRAM, {"model": "nova-3", "language": "multi"}, 32000).usage()
    assert multi.model == "nova-3-multilingual" and cost_of(multi, DEFAULT_PRICES).items == (  # type: ignore[union-attr]
        ("nova-3-multilingual", 0.0058),
    )


async def test_a_reconnect_bills_the_audio_sent_again_and_the_recording_meters_the_same(server, clip_file, tmp_path):
    def in_flight(session) -> bool:  # type: ignore[no-untyped-def]
        interims = session.state.transcript.interims()
        return session.state.transcript.finals >= 1 and bool(interims) and len(interims[0][2].split()) > 2

    drop = await drop_once(server, clip_file, in_flight, "words in flight",
                           on_start=lambda session: record(session, tmp_path, backend="url"))  # fmt: skip
    live = drop.session.state
    assert drop.clean and live.connection.reconnects == 1, live.connection.error
    usage = live.usage()
    # by hand: the whole 14 s file once, plus what the second connection was sent again from the last final
    second = live.connection.metadata.duration  # the server's closing Metadata: what the second connection received
    assert second == pytest.approx(14.0 - live.connection.offset, abs=0.01)
    assert usage.audio_s == pytest.approx(14.0, abs=1e-6)
    assert usage.resent_s == pytest.approx(live.audio.resent, abs=1e-6) and usage.resent_s > 0.3
    assert usage.resent_s >= drop.cursor - live.connection.offset - 1e-6  # at least what was in flight at the drop
    assert usage.billed_s == pytest.approx(live.metrics.bytes_sent / 32000)
    assert 0 < usage.connection_s < live.connection.uptime(live.clock())  # the outage is not connection time
    cost = cost_of(replace(usage, model="nova-3"), PRICED)
    assert isinstance(cost, Cost)
    assert cost.so_far == pytest.approx((14.0 + live.audio.resent) / 60 * 0.0048)
    assert cost.resent == pytest.approx(live.audio.resent / 60 * 0.0048)
    replayed = load(drop.session.recording_path).state
    again = replayed.usage()
    assert (again.audio_s, again.resent_s) == pytest.approx((usage.audio_s, usage.resent_s), abs=1e-3)
    assert again.connection_s == pytest.approx(usage.connection_s, abs=0.05)
