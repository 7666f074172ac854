"""Exports of a recording against hand-checked files, parsed back as players would."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from pathlib import Path

import av
import pytest

from dgtui.protocol.messages import Word
from dgtui.recordings.export import cues_of, export_recording, wrap
from dgtui.recordings.player import PlayedSession
from dgtui.recordings.writer import record
from dgtui.state.transcript import Utterance
from tests.support.script import connect, conversation

EXPECTED = Path(__file__).parent / "expected"
SENTENCES = [
    "Good morning, this is the council meeting.",
    "Thank you. The first item tonight is the library budget, which the committee reviewed last week "
    "and now brings to the full council for a vote.",
    "Seconded.",
]
TIME = re.compile(r"^(\d\d):(\d\d):(\d\d)[,.](\d\d\d) --> (\d\d):(\d\d):(\d\d)[,.](\d\d\d)$")


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    """A diarized two-speaker session, recorded with fixed clocks: the same file every run."""
    steps = [
        connect(0.0, "ws://127.0.0.1:8080/v1/listen?model=nova-3&diarize=true", "0b5c9d2e-7f1a-4c3b-9e8d-6a5f4b3c2d1e"),
        *conversation(SENTENCES, speakers=[0, 1, 0], request_id="0b5c9d2e-7f1a-4c3b-9e8d-6a5f4b3c2d1e"),
    ]
    session = PlayedSession("council", steps, source="council.wav", options={"model": "nova-3", "diarize": True},
                              clock=lambda: 0.0)  # fmt: skip
    recorder = record(session, tmp_path, wall=lambda: 1795500000.0)
    session.advance(100.0, origin=0.0)
    recorder.close()
    assert recorder.path is not None
    return recorder.path


def seconds(h: str, m: str, s: str, ms: str) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def parse_cues(text: str, kind: str) -> list[tuple[float, float, str]]:
    blocks = [b for b in text.strip("\n").split("\n\n") if b]
    if kind == "vtt":
        assert blocks[0] == "WEBVTT"
        blocks = blocks[1:]
    cues = []
    for number, block in enumerate(blocks, start=1):
        lines = block.split("\n")
        if kind == "srt":
            assert lines[0] == str(number)
            lines = lines[1:]
        match = TIME.match(lines[0])
        assert match, lines[0]
        g = match.groups()
        text_lines = lines[1:]
        assert 1 <= len(text_lines) <= 2 and all(len(re.sub(r"<[^>]+>", "", t)) <= 47 for t in text_lines), block
        cues.append((seconds(*g[:4]), seconds(*g[4:]), " ".join(text_lines)))
    return cues


@pytest.mark.parametrize("fmt", ["txt", "srt", "vtt", "json"])
def test_exports_match_the_hand_checked_files(recording: Path, fmt: str):
    assert export_recording(recording, fmt) == (EXPECTED / f"council.{fmt}").read_text()


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
def test_subtitles_parse_back_monotonic_and_never_overlapping(recording: Path, fmt: str, tmp_path: Path):
    text = export_recording(recording, fmt)
    cues = parse_cues(text, fmt)
    assert len(cues) >= 4  # the long sentence is split into readable cues
    for (start, end, _), (next_start, _, _) in itertools.pairwise(cues):
        assert start < end <= next_start
    assert all(end - start <= 7.0 for start, end, _ in cues)
    words = " ".join(re.sub(r"<[^>]+>|\[S\d\] ", "", t) for _, _, t in cues)
    assert words == " ".join(SENTENCES)
    path = tmp_path / f"out.{fmt}"
    path.write_text(text)
    with av.open(str(path)) as container:  # FFmpeg's own subtitle demuxer reads every cue
        stream = container.streams.subtitles[0]
        assert stream.codec_context.name == {"srt": "subrip", "vtt": "webvtt"}[fmt] or stream.codec_context.name == fmt
        assert sum(1 for packet in container.demux(stream) if packet.size) == len(cues)


def test_json_has_the_final_transcript_with_words(recording: Path):
    document = json.loads(export_recording(recording, "json"))
    assert document["transcript"] == " ".join(SENTENCES)
    assert document["request_ids"] == ["0b5c9d2e-7f1a-4c3b-9e8d-6a5f4b3c2d1e"]
    assert [u["speakers"] for u in document["utterances"]] == [[0], [1], [0]]
    words = [w for u in document["utterances"] for w in u["words"]]
    assert [w["punctuated_word"] for w in words] == " ".join(SENTENCES).split()
    assert all(a["start"] <= b["start"] for a, b in itertools.pairwise(words))


def test_cue_rules_on_edge_cases():
    def word(text: str, start: float, end: float, speaker: int | None = None) -> Word:
        return Word(word=text.lower().strip(".,"), start=start, end=end, confidence=0.9, punctuated_word=text,
                    speaker=speaker)  # fmt: skip

    quick = Utterance(0, [word("Hi.", 1.0, 1.1)], ["Hi."])
    after = Utterance(0, [word("Yes.", 1.3, 1.5)], ["Yes."])
    cues = cues_of([quick, after])
    assert cues[0].end == pytest.approx(1.3)  # stretched towards 0.7 s, but never into the next cue
    assert cues_of([Utterance(0, [word("Alone.", 1.0, 1.1)], ["Alone."])])[0].end == pytest.approx(1.7)
    mixed = Utterance(0, [word("One", 0, 0.2, 0), word("two", 0.2, 0.4, 1)], ["One two"])
    assert [c.speaker for c in cues_of([mixed])] == [0, 1]  # a speaker change starts a cue
    assert wrap("short") == "short" and "\n" in wrap("a" * 30 + " " + "b" * 30)


def test_export_command_writes_a_file_or_stdout(recording: Path, tmp_path: Path):
    out = tmp_path / "council.srt"
    result = subprocess.run(
        [sys.executable, "-m", "dgtui", "export", str(recording), "--format", "srt", "-o", str(out)],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 0 and out.read_text() == (EXPECTED / "council.srt").read_text()
    result = subprocess.run(
        [sys.executable, "-m", "dgtui", "export", str(recording), "-f", "txt"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.stdout == (EXPECTED / "council.txt").read_text()
    missing = subprocess.run(
        [sys.executable, "-m", "dgtui", "export", str(tmp_path / "nope.jsonl")], capture_output=True, text=True,
        timeout=30,
    )  # fmt: skip
    assert missing.returncode == 2 and "no such file" in missing.stderr and "Traceback" not in missing.stderr
