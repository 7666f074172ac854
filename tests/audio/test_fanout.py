"""One source fanned out to lanes: read and decoded once, the same samples to every lane, no lane holding the
others back."""

from __future__ import annotations

import asyncio
import hashlib

from dgtui.audio.base import SourceHooks, SourceKind
from dgtui.audio.fanout import FanOut
from dgtui.audio.local import FileSource
from dgtui.live.session import LiveSession, SessionConfig


async def drain(lane, limit: float | None = None) -> bytes:
    data = b""
    async for chunk in lane.chunks():
        data += chunk.data
        if limit is not None and chunk.end >= limit:
            break
    return data


async def test_every_lane_gets_every_sample_and_the_source_is_read_once(clip_file):
    source = FileSource(clip_file("council", seconds=4.0), realtime=False)
    reads = 0
    chunks = source.chunks

    async def counted():
        nonlocal reads
        reads += 1
        async for chunk in chunks():
            yield chunk

    source.chunks = counted  # type: ignore[method-assign]
    kinds = []
    fanout = FanOut(source, ["a", "b", "c"])
    for lane in fanout.lanes:
        lane.hooks = SourceHooks(kind=lambda kind, reason, name=lane.name: kinds.append((name, kind)))
    first, second, third = await asyncio.gather(*(drain(lane) for lane in fanout.lanes))
    assert reads == 1 and first == second == third and len(first) == 4 * 32000
    assert sorted(kinds) == [("a", SourceKind.FILE), ("b", SourceKind.FILE), ("c", SourceKind.FILE)]


async def test_a_lane_that_stops_never_holds_the_others_back(clip_file):
    source = FileSource(clip_file("council", seconds=6.0), realtime=False)
    fanout = FanOut(source, ["stops", "goes on"], buffer_seconds=1.0)  # a small window: the pump must wait
    early, whole = await asyncio.gather(drain(fanout.lanes[0], limit=0.5), drain(fanout.lanes[1]))
    assert len(early) < 32000 and len(whole) == 6 * 32000


async def test_lanes_on_the_real_server_send_the_same_audio_sample_for_sample(server, clip_file):
    """The server's Metadata carries the sha256 of the audio it received: the same for every lane."""
    source = FileSource(clip_file("weather", seconds=5.0), realtime=False)
    fanout = FanOut(source, ["fast", "slow"])
    options = [{"endpointing": 10, "interim_results": True}, {"endpointing": 500}]
    sessions = [
        LiveSession(SessionConfig(lane.name, server.url, lane_options), lane)
        for lane, lane_options in zip(fanout.lanes, options, strict=True)
    ]
    assert all(await asyncio.gather(*(session.run() for session in sessions)))
    digests = {session.state.connection.metadata.sha256 for session in sessions}
    expected = hashlib.sha256(b"".join([await drain(FanOut(FileSource(clip_file("weather", 5.0), realtime=False),
                                                            ["x"]).lanes[0])])).hexdigest()  # fmt: skip
    assert digests == {expected}
    assert sessions[0].state.metrics.interims > 0 == sessions[1].state.metrics.interims  # each lane its options


async def test_a_live_source_fans_out_as_it_arrives(clip_file):
    import io

    from dgtui.audio.local import StdinSource

    live = StdinSource(stream=io.BytesIO(clip_file("weather", seconds=2.0).read_bytes()))  # a pipe: live
    fanout = FanOut(live, ["a", "b"])
    assert not fanout.lanes[0].realtime and not fanout.lanes[0].reopenable  # sent as it comes; ends every lane
    first, second = await asyncio.gather(*(drain(lane) for lane in fanout.lanes))
    assert first == second and len(first) == 2 * 32000
