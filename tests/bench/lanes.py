"""Fan-out decodes once: the source-side cost of 1 lane and of 8 lanes on the same file.

``python -m tests.bench.lanes``

Five minutes of speech as MP3 (the bundled clips, repeated) are read through :class:`dgtui.audio.fanout.FanOut`
with 1 and then 8 lanes, each lane taking every chunk as fast as it comes (no network, no pacing): what is left is
the cost on the source's side, decoding and handing out. Target: 8 lanes cost under 1.2 times what 1 lane costs
(decoding once; the eight copies of each chunk are references, not copies of the audio).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from dgtui.audio.fanout import FanOut
from dgtui.audio.local import FileSource
from dgtui.data import clips
from tests.bench.report import emit_json, print_table
from tests.support.audio import clip_pcm, encode

MINUTES = 5.0
RUNS = 3


async def drain(lane) -> int:  # type: ignore[no-untyped-def]
    size = 0
    async for chunk in lane.chunks():
        size += len(chunk.data)
    return size


async def fan_out(path: Path, lanes: int) -> tuple[float, int]:
    """CPU seconds (this process) to read the file through ``lanes`` lanes, and the bytes each lane got."""
    fanout = FanOut(FileSource(path, realtime=False), [f"lane{i}" for i in range(lanes)], buffer_seconds=60.0)
    started = time.process_time()
    sizes = await asyncio.gather(*(drain(lane) for lane in fanout.lanes))
    cpu = time.process_time() - started
    assert len(set(sizes)) == 1, sizes  # every lane got every sample
    return cpu, sizes[0]


def main() -> None:
    speech = b"".join(clip_pcm(clip.name) for clip in clips())
    pcm = speech * int(MINUTES * 60 * 32000 / len(speech) + 1)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "talk.mp3"
        path.write_bytes(encode(pcm[: int(MINUTES * 60 * 32000)], 16000, "mp3", "libmp3lame"))
        results = {}
        for lanes in (1, 8):
            runs = [asyncio.run(fan_out(path, lanes)) for _ in range(RUNS)]
            results[lanes] = (min(cpu for cpu, _ in runs), runs[0][1])
    one, eight = results[1][0], results[8][0]
    audio_s = results[1][1] / 32000
    print_table(
        f"Fan-out, {audio_s / 60:.1f} min of MP3 read once (best of {RUNS})",
        ["lanes", "source CPU s", "per lane-minute ms"],
        [[lanes, f"{cpu:.2f}", f"{cpu / (audio_s / 60) / lanes * 1000:.1f}"] for lanes, (cpu, _) in results.items()],
    )
    emit_json({"bench": "lanes", "audio_s": round(audio_s, 1), "cpu_1_lane_s": round(one, 3),
               "cpu_8_lanes_s": round(eight, 3), "ratio_8_to_1": round(eight / one, 3)})  # fmt: skip


if __name__ == "__main__":
    main()
