"""The engine's recognizer, in process: its semantics must not depend on how audio is batched.

A worker that falls behind takes seconds of queued audio in one turn; results must still come in audio order
with the same finals and utterance ends, and interims must keep a cadence in audio time.
"""

from __future__ import annotations

from dgtui.server.engine.recognizer import ChannelRecognizer, RecognizerSettings, new_decoder
from tests.support.audio import clip_pcm

OPTIONS = {"interim_results": True, "endpointing": 300, "utterance_end_ms": 1000, "vad_events": True}


def recognize(pcm: bytes, batch_bytes: int) -> list[dict]:
    out: list[dict] = []
    recognizer = ChannelRecognizer(new_decoder(), RecognizerSettings.from_options(OPTIONS), out.append, {})
    for offset in range(0, len(pcm), batch_bytes):
        recognizer.feed(pcm[offset : offset + batch_bytes])
    recognizer.flush()
    return out


def test_batching_does_not_change_finals_or_utterance_ends():
    pcm = clip_pcm("council")[: 32000 * 17]  # two paragraph gaps
    small = recognize(pcm, 3200)  # 100 ms at a time, as a worker that keeps up gets it
    large = recognize(pcm, 96000)  # 3 s at a time, as a worker that fell behind gets it

    def finals(messages):
        return [
            (m["start"], m["duration"], m["channel"]["alternatives"][0]["transcript"])
            for m in messages
            if m["type"] == "Results" and m["is_final"]
        ]

    def kinds(messages, kind):
        return [m for m in messages if m["type"] == kind]

    assert finals(small) == finals(large)
    assert kinds(small, "UtteranceEnd") == kinds(large, "UtteranceEnd")
    assert len(kinds(small, "UtteranceEnd")) >= 2
    assert kinds(small, "SpeechStarted") == kinds(large, "SpeechStarted")
    for messages in (small, large):
        speech = [
            m
            for m in messages
            if m["type"] == "Results" and not m["is_final"] and m["channel"]["alternatives"][0]["words"]
        ]
        speech_seconds = sum(
            w["end"] - w["start"]
            for m in messages
            if m["type"] == "Results" and m["is_final"]
            for w in m["channel"]["alternatives"][0]["words"]
        )
        assert len(speech) / speech_seconds >= 2.0


def test_results_come_in_audio_order():
    messages = recognize(clip_pcm("weather")[: 32000 * 12], 64000)
    ends = [m["start"] + m["duration"] for m in messages if m["type"] == "Results"]
    assert ends == sorted(ends)
