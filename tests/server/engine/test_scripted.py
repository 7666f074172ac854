"""Scripted sessions: a script in each of its forms read (or refused, saying which line), and served to Deepgram's
SDK over silence: exactly the script's words, paced by the audio sent, on Nova and as Flux turns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dgtui.server.app import ServerConfig
from dgtui.server.engine.scripted import ScriptDecoder, ScriptError, read_script
from tests.support.sdk import sdk_stream
from tests.support.server import ServerThread

SCRIPT = "# what the agent hears\n0.5 2.0 hello this is the scripted agent\n3.0 4.2 how can I help\n"
SILENCE = b"\0" * 3200  # 100 ms


def test_a_script_in_each_form(tmp_path: Path):
    lines = tmp_path / "call.txt"
    lines.write_text(SCRIPT)
    words = read_script(lines)
    assert [w.word for w in words][:3] == ["hello", "this", "is"] and words[0].start == 0.5 and words[-1].end < 4.2
    srt = tmp_path / "call.srt"
    srt.write_text("1\n00:00:01,000 --> 00:00:02,000\nGood <i>morning</i>\n\n2\n00:00:03,000 --> 00:00:03,500\nbye\n")
    assert [(w.word, w.start) for w in read_script(srt)] == [("Good", 1.0), ("morning", 1.5), ("bye", 3.0)]
    reference = tmp_path / "call.json"
    reference.write_text(json.dumps({"words": [{"word": "yes", "start": 1.2, "end": 1.5}]}))
    assert [(w.word, w.start, w.end) for w in read_script(reference)] == [("yes", 1.2, 1.5)]
    broken = tmp_path / "broken.txt"
    broken.write_text("0.5 2.0 fine\nsoon later words\n")
    with pytest.raises(ScriptError, match="line 2: expected START END words"):
        read_script(broken)


def test_the_decoder_says_the_words_heard_by_the_audios_clock(tmp_path: Path):
    script = tmp_path / "s.txt"
    script.write_text("1.0 1.4 Hello, world!\n")
    decoder = ScriptDecoder(read_script(script))
    heard = [decoder.vad.is_speech(b"\0" * 960) for _ in range(100)]  # 30 ms frames: 3 s
    assert not any(heard[:30]) and all(heard[35:45]) and not any(heard[50:])
    decoder.start_utt()
    decoder.process_raw(b"\0" * 2 * 16000 * 3)
    assert [s.word for s in decoder.seg()] == ["hello", "world"]  # as a decoder gives them: the options format


@pytest.fixture(scope="module")
def scripted(tmp_path_factory):  # type: ignore[no-untyped-def]
    script = tmp_path_factory.mktemp("script") / "call.txt"
    script.write_text(SCRIPT)
    server = ServerThread(ServerConfig(engine=f"script:{script}", workers=1, admission=False)).start()
    yield server.url.removesuffix("/v1/listen")
    server.stop()


def run(root: str, api: str, seconds: float) -> list:  # type: ignore[type-arg]
    options = {"model": "nova-3", "punctuate": "true"} if api == "v1" else {"model": "flux-general-en"}
    received, _ = sdk_stream(root, SILENCE * int(seconds * 10), api=api, **options)
    return received


def test_the_sdk_gets_exactly_the_scripts_words_whatever_audio(scripted):
    results = [m for m in run(scripted, "v1", 6.0) if type(m).__name__ == "ListenV1Results" and m.is_final]
    finals = [m.channel.alternatives[0].transcript for m in results if m.channel.alternatives[0].transcript]
    assert finals == ["Hello this is the scripted agent.", "How can I help."]
    paced = [m for m in run(scripted, "v1", 2.5) if type(m).__name__ == "ListenV1Results" and m.is_final]
    assert "How" not in " ".join(m.channel.alternatives[0].transcript for m in paced)  # paced by the audio sent


def test_flux_turns_from_the_script(scripted):
    ends = [m.transcript for m in run(scripted, "v2", 7.0)
            if type(m).__name__ == "ListenV2TurnInfo" and m.event == "EndOfTurn"]  # fmt: skip
    assert [e.lower().rstrip(".") for e in ends if e] == ["hello this is the scripted agent", "how can i help"]
