"""Every bundled clip streamed in real time to the real local server, 8 streams at once.

One shared run (each of the 4 clips twice, all concurrent) feeds the checks below: accuracy, the order and
flags of messages, the closing Metadata, and that no stream falls behind real time.
"""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from dgtui.data import clips
from dgtui.server.app import ServerConfig
from tests.support.audio import clip_pcm
from tests.support.client import Run, stream
from tests.support.server import ServerThread
from tests.support.wer import word_error_rate

pytestmark = pytest.mark.serial  # whether 8 real-time streams keep up depends on having the machine alone

QUERY = (
    "encoding=linear16&sample_rate=16000&interim_results=true&endpointing=300&utterance_end_ms=1000"
    "&vad_events=true&punctuate=true"
)
CLIP_NAMES = [c.name for c in clips()]
STREAMS = [*CLIP_NAMES, *CLIP_NAMES]  # 8 concurrent real-time streams


@pytest.fixture(scope="module")
def runs() -> list[tuple[str, Run]]:
    server = ServerThread(ServerConfig(admission=False)).start()  # one engine process per core, as dgtui serve

    async def all_streams() -> list[Run]:
        return await asyncio.gather(*(stream(server.url, clip_pcm(name), QUERY) for name in STREAMS))

    try:
        return list(zip(STREAMS, asyncio.run(all_streams()), strict=True))
    finally:
        server.stop()


def _by_clip(runs, name):
    return next(run for clip_name, run in runs if clip_name == name)


@pytest.mark.parametrize("name", CLIP_NAMES)
def test_word_error_rate_within_bound(runs, name):
    reference = next(c.reference for c in clips() if c.name == name)
    run = _by_clip(runs, name)
    wer = word_error_rate(reference, run.transcript())
    assert wer <= 0.20, f"{name}: WER {wer:.3f}\nref: {reference}\nhyp: {run.transcript()}"


def test_no_stream_falls_behind(runs):
    """At CloseStream, each stream's latest interim is within 2 s of the audio sent (it kept up)."""
    lags = {f"{name}#{i}": run.closestream_cursor_lag for i, (name, run) in enumerate(runs)}
    assert all(lag is not None and lag < 2.0 for lag in lags.values()), lags
    for _, run in runs:
        assert run.close_code == 1000
        assert len(run.interims) > 20


def test_finals_tile_the_timeline_and_interims_replace(runs):
    for name, run in runs:
        window_start = 0.0
        last_interim_end = 0.0
        for result in run.results:
            assert result["start"] == pytest.approx(window_start, abs=1e-4), name
            end = result["start"] + result["duration"]
            if result["is_final"]:
                window_start = end
                last_interim_end = end
            else:
                assert end > last_interim_end - 1e-9, f"{name}: interims must grow within a window"
                last_interim_end = end
        assert window_start == pytest.approx(run.audio_seconds, abs=0.05), name


def test_speech_final_only_on_finals(runs):
    for _, run in runs:
        assert not any(r["speech_final"] for r in run.interims)
        assert any(r["speech_final"] for r in run.finals)
        assert not any(r["from_finalize"] for r in run.results)


def test_words_are_timed_inside_their_window_with_confidence(runs):
    for name, run in runs:
        for result in run.finals:
            words = result["channel"]["alternatives"][0]["words"]
            for word in words:
                assert (
                    result["start"] - 1e-6 <= word["start"] < word["end"] <= result["start"] + result["duration"] + 1e-6
                ), name
                assert 0.0 <= word["confidence"] <= 1.0
                assert word["punctuated_word"]
            starts = [w["start"] for w in words]
            assert starts == sorted(starts)


def test_utterance_end_follows_the_last_word(runs):
    for name, run in runs:
        last_word_end = -1.0
        ends = 0
        for message in run.messages:
            if message.type == "Results":
                words = message.data["channel"]["alternatives"][0]["words"]
                if words:
                    last_word_end = max(last_word_end, words[-1]["end"])
            elif message.type == "UtteranceEnd":
                ends += 1
                assert message.data["last_word_end"] == pytest.approx(last_word_end), name
                assert message.data["channel"] == [0, 1]
                assert message.cursor >= last_word_end + 1.0 - 0.15, "UtteranceEnd came before the gap"
        assert ends >= 2, f"{name}: the clip has pauses of more than 1 s between paragraphs"


def test_speech_started_precedes_interims_of_speech(runs):
    for name, run in runs:
        spoke_since_final = False
        for message in run.messages:
            if message.type == "SpeechStarted":
                spoke_since_final = True
                assert message.data["channel"] == [0, 1]
            elif message.type == "Results":
                has_words = bool(message.data["channel"]["alternatives"][0]["words"])
                if has_words and not message.data["is_final"]:
                    assert spoke_since_final, f"{name}: an interim with words before any SpeechStarted"
                if message.data["is_final"]:
                    spoke_since_final = False


def test_request_id_and_model_info_everywhere(runs):
    for _, run in runs:
        assert run.request_id
        for result in run.results:
            assert result["metadata"]["request_id"] == run.request_id
            assert result["metadata"]["model_info"]["arch"] == "pocketsphinx"
            assert result["channel_index"] == [0, 1]


def test_metadata_closes_the_stream(runs):
    for _, run in runs:
        last = run.messages[-1].data
        assert last["type"] == "Metadata"
        assert last["request_id"] == run.request_id
        assert last["sha256"] == hashlib.sha256(run.sent).hexdigest()
        assert last["duration"] == pytest.approx(run.audio_seconds, abs=0.01)
        assert last["channels"] == 1
        assert last["transaction_key"] == "deprecated"
        assert last["models"] == [run.results[0]["metadata"]["model_uuid"]]


def test_interims_come_several_times_a_second_during_speech(runs):
    rates = {}
    for i, (name, run) in enumerate(runs):
        speech_interims = [r for r in run.interims if r["channel"]["alternatives"][0]["words"]]
        speech_seconds = sum(
            w["end"] - w["start"] for r in run.finals for w in r["channel"]["alternatives"][0]["words"]
        )
        rates[f"{name}#{i}"] = round(len(speech_interims) / speech_seconds, 2)
    # 4 a second when the machine keeps up; a worker that falls behind sends one per turn of work instead.
    assert min(rates.values()) >= 1.5, rates
