"""Regenerate the bundled demo clips with the festival TTS (``python -m dgtui.data.make_clips``).

Needs the OS packages ``festival festvox-us-slt-hts festvox-kallpc16k``. Each clip is its paragraphs spoken
one by one and joined with a pause (so endpointing and UtteranceEnd have real gaps to find), resampled to
16 kHz mono and stored as Ogg/Opus. The reference text is the paragraphs joined with spaces; ``NAME.json``
beside it has every word's true start and end, as festival timed it while speaking (``--words-only``
writes just those, for the clips as they are).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import av

HERE = Path(__file__).parent / "clips"
PAUSE_S = 1.3
BIT_RATE = 32_000
VOICES = {"slt": "(voice_cmu_us_slt_arctic_hts)", "kal": "(voice_kal_diphone)"}

CLIPS = [
    {
        "name": "weather",
        "title": "Weather report",
        "voice": "slt",
        "paragraphs": [
            "Good morning and welcome to the weather report.",
            "Today will be mostly sunny in the north with a light breeze from the west. In the afternoon "
            "clouds will move in from the coast and there is a chance of rain in the evening.",
            "Tomorrow will be cooler with temperatures falling to around ten degrees.",
            "Remember to bring an umbrella if you are going out late tonight.",
        ],
    },
    {
        "name": "council",
        "title": "City council news",
        "voice": "kal",
        "paragraphs": [
            "The city council met on Tuesday to discuss the new train line.",
            "Several members said that the project would help people travel to work more quickly. Others "
            "were worried about the cost and the noise near their homes.",
            "The council will hold a public meeting next month, and a final decision is expected before "
            "the end of the year.",
        ],
    },
    {
        "name": "support",
        "title": "Support call",
        "voice": "kal",
        "paragraphs": [
            "Thank you for calling the support line.",
            "I understand that your internet connection has been slow since last week. Let me check the "
            "status of your account.",
            "It looks like there was a problem with the equipment in your area. Our team fixed it this "
            "morning, so please restart your modem and try again.",
            "Is there anything else I can help you with today?",
        ],
    },
    {
        "name": "science",
        "title": "Science news",
        "voice": "slt",
        "paragraphs": [
            "Scientists at the university have found a new way to store energy from the sun.",
            "The system uses a simple material that can hold heat for many hours. During the day it "
            "collects warm air, and at night it releases the heat back into the building.",
            "The team says that the design is cheap and easy to build.",
            "They hope to test it in several schools next winter.",
        ],
    },
]


# A text2wave hook that prints each word's times (offset by the utterances before it) as it is synthesised.
WORD_HOOK = """
(define (dgtui_word_times utt)
  (let ((offset (/ totalnumsamples (parse-number frequency))))
    (mapcar (lambda (w)
      (format stderr "WORD\\t%s\\t%f\\t%f\\n" (item.name w)
        (+ offset (item.feat w "R:SylStructure.daughter1.daughter1.segment_start"))
        (+ offset (item.feat w "R:SylStructure.daughtern.daughtern.segment_end"))))
      (utt.relation.items utt 'Word)))
  utt)
(set! tts_hooks (list utt.synth dgtui_word_times save_record_wave_fp))
"""


def speak(text: str, voice: str, out: Path, words: list[tuple[str, float, float]] | None = None) -> bytes:
    """16 kHz mono s16 PCM of ``text`` spoken by festival's ``voice``; ``words`` gets each word's times."""
    src = out.with_suffix(".txt")
    src.write_text(text + "\n")
    hook = out.with_suffix(".scm")
    hook.write_text(WORD_HOOK)
    done = subprocess.run(
        ["text2wave", "-eval", VOICES[voice], "-eval", str(hook), str(src), "-o", str(out), "-F", "16000"],
        check=True,
        capture_output=True,
        text=True,
    )
    if words is not None:
        for line in done.stderr.splitlines():
            if line.startswith("WORD\t"):
                _, word, start, end = line.split("\t")
                words.append((word, float(start), float(end)))
    with av.open(str(out)) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=16000)
        pcm = bytearray()
        for frame in container.decode(audio=0):
            for resampled in resampler.resample(frame):
                pcm += bytes(resampled.planes[0])[: resampled.samples * 2]
    return bytes(pcm)


def encode_opus(pcm: bytes, out: Path) -> None:
    with av.open(str(out), "w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=16000, layout="mono")
        stream.bit_rate = BIT_RATE
        resampler = av.AudioResampler(format=stream.codec_context.format.name, layout="mono", rate=16000)
        frame_samples = 960
        for offset in range(0, len(pcm), frame_samples * 2):
            chunk = pcm[offset : offset + frame_samples * 2]
            frame = av.AudioFrame(format="s16", layout="mono", samples=len(chunk) // 2)
            frame.planes[0].update(chunk)
            frame.sample_rate = 16000
            frame.pts = offset // 2
            for resampled in resampler.resample(frame):
                for packet in stream.encode(resampled):
                    container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def main(words_only: bool = "--words-only" in sys.argv) -> int:
    HERE.mkdir(exist_ok=True)
    silence = b"\0" * int(PAUSE_S * 16000) * 2
    manifest = []
    with tempfile.TemporaryDirectory() as tmp:
        for spec in CLIPS:
            parts, timed = [], []
            at = len(silence) // 2 / 32000  # where the paragraph starts in the clip
            for i, paragraph in enumerate(spec["paragraphs"]):
                words: list[tuple[str, float, float]] = []
                part = speak(paragraph, spec["voice"], Path(tmp) / f"{spec['name']}-{i}.wav", words)
                timed += [{"word": w, "start": round(at + s, 3), "end": round(at + e, 3)} for w, s, e in words]
                parts.append(part)
                at += len(part) / 32000 + PAUSE_S
            pcm = silence[: len(silence) // 2] + silence.join(parts) + silence
            text = " ".join(spec["paragraphs"])
            truth = {"text": text, "words": timed, "source": "festival word times while synthesising"}
            (HERE / f"{spec['name']}.json").write_text(json.dumps(truth, indent=1) + "\n")
            manifest.append({k: spec[k] for k in ("name", "title", "voice")} | {"seconds": round(len(pcm) / 32000, 2)})
            print(f"{spec['name']}: {len(pcm) / 32000:.1f} s, {len(timed)} words", file=sys.stderr)
            if words_only:
                continue
            encode_opus(pcm, HERE / f"{spec['name']}.ogg")
            (HERE / f"{spec['name']}.txt").write_text(text + "\n")
    if words_only:  # the clips stay as they are: their lengths must be what the manifest says
        shipped = {entry["name"]: entry["seconds"] for entry in json.loads((HERE / "clips.json").read_text())}
        assert all(shipped[e["name"]] == e["seconds"] for e in manifest), (shipped, manifest)
        return 0
    (HERE / "clips.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
