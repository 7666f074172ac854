"""Recorded sessions served back: a recording of the local engine gives Deepgram's SDK the same transcript again,
each message when the client's audio reaches it; a shorter stream, other options and a reconnect in the recording
are handled and reported, never hidden."""

from __future__ import annotations

import json

import pytest

from dgtui.server.app import ServerConfig
from dgtui.server.replayed import _shifted, differences, load_recorded
from tests.support.audio import clip_pcm, encode
from tests.support.recordings import record_live
from tests.support.sdk import finals, sdk_stream
from tests.support.server import ServerThread


@pytest.fixture(scope="module")
def recorded(tmp_path_factory, request):  # type: ignore[no-untyped-def]
    """A 6 s stream of the council clip against the real local server, recorded."""
    import asyncio

    folder = tmp_path_factory.mktemp("replay")
    wav = folder / "council.wav"
    wav.write_bytes(encode(clip_pcm("council")[: 32000 * 6], 16000, "wav", "pcm_s16le"))
    live = ServerThread(ServerConfig(workers=1, admission=False)).start()
    try:
        session = asyncio.run(record_live(wav, live.url, folder / "sessions", 6.0))
    finally:
        live.stop()
    assert session.recording_path is not None and session.state.clean
    return session


def finals_via(url: str, seconds: float) -> list[str]:
    received, failure = sdk_stream(url.removesuffix("/v1/listen"), clip_pcm("council")[: int(32000 * seconds)],
                                   model="nova-3", interim_results="true", punctuate="true")  # fmt: skip
    assert failure is None and type(received[-1]).__name__ == "ListenV1Metadata"
    return finals(received)


def test_the_sdk_gets_the_recorded_transcript_and_a_shorter_stream_is_reported(recorded):
    expected = [line for line in recorded.state.transcript.text().split("\n") if line]
    server = ServerThread(ServerConfig(replay=(str(recorded.recording_path),), admission=False)).start()
    try:
        whole = finals_via(server.url, 6.0)
        server.wait_idle()
        short = finals_via(server.url, 2.0)
        server.wait_idle()
        notes = [stats.note for stats in server.server.finished]  # type: ignore[union-attr]
    finally:
        server.stop()
    assert " ".join(t for t in whole if t) == recorded.state.transcript.text() and expected
    assert len([t for t in short if t]) < len([t for t in whole if t])
    assert "withheld" not in notes[0] and "the client sent 2.0 s of the 6.0 s recorded" in notes[1]


def test_a_reconnect_in_the_recording_is_shifted_onto_one_timeline(tmp_path):
    raw = json.dumps({"type": "Results", "start": 1.0, "channel": {"alternatives": [{"words": [
        {"word": "a", "start": 1.0, "end": 1.2}]}]}})  # fmt: skip
    moved = json.loads(_shifted(raw, 4.0))
    assert moved["start"] == 5.0 and moved["channel"]["alternatives"][0]["words"][0] == {"word": "a", "start": 5.0,
                                                                                       "end": 5.2}  # fmt: skip
    assert _shifted("not json", 4.0) == "not json"


def test_what_cannot_be_replayed_is_said(tmp_path, recorded):
    with pytest.raises(ValueError, match="no such recording"):
        load_recorded(tmp_path / "missing.jsonl")
    book = load_recorded(recorded.recording_path)
    assert differences(book, {**book.options, "punctuate": False}) == ["punctuate=false (recorded: true)"]
