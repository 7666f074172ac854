"""Transcripts written out for people: plain text, one utterance per line with its time and speaker."""

from __future__ import annotations

from pathlib import Path

from dgtui.session.transcript import Transcript, Utterance


def _stamp(seconds: float) -> str:
    minutes, secs = divmod(max(0.0, seconds), 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours:02d}:{minutes:02d}:{secs:06.3f}"


def utterance_line(utterance: Utterance, channels: int = 1) -> str:
    label = []
    if channels > 1:
        label.append(f"ch{utterance.channel}")
    if utterance.speakers:
        label.append("/".join(f"S{s}" for s in utterance.speakers))
    head = f"[{_stamp(utterance.start)}]" + (f" {' '.join(label)}:" if label else "")
    return f"{head} {utterance.text}"


def transcript_text(transcript: Transcript, channels: int = 1) -> str:
    """Finals only, grouped into utterances (closed ones, then any still open), in order."""
    utterances = list(transcript.closed)
    utterances += [c.open for c in transcript.channels.values() if c.open is not None and c.open.texts]
    return "".join(utterance_line(u, channels) + "\n" for u in utterances)


def write_text(path: Path, transcript: Transcript, channels: int = 1) -> Path:
    """Write atomically (a temporary file renamed), so a failure never leaves half a file."""
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(transcript_text(transcript, channels), encoding="utf-8")
    tmp.replace(path)
    return path
