"""The classic mistakes an application makes on a live stream, seen from the tap, each said once with what to do.
No I/O: fed what the tap saw, in order, with the time it saw it."""

from __future__ import annotations

from dataclasses import dataclass, field

CONTAINERS = {b"RIFF": "a WAV file (RIFF header)", b"OggS": "Ogg", b"\x1aE\xdf\xa3": "WebM/Matroska",
              b"ID3": "MP3 (ID3 tag)", b"fLaC": "FLAC"}  # fmt: skip
HEAD_BYTES = 4  # the first bytes of the audio that say whether it is a container (the longest magic)
PACE_AFTER_S = 5.0  # wall seconds of sending before the pace is judged
FAST, SLOW = 1.5, 0.8  # audio seconds per wall second beyond which the pace is worth saying
PAUSE_S = 8.0  # a gap in the app's frames this long without KeepAlive (Deepgram closes at about 10 s)
TAIL_S = 0.5  # audio sent after the last final beyond which a close without CloseStream loses words


@dataclass(frozen=True)
class Diagnosis:
    code: str
    message: str  # what happened and what to do


@dataclass
class Diagnostician:
    """One tapped stream's mistakes; every method returns the diagnoses it newly found."""

    raw: bool  # the query declares raw audio (``encoding``): a container's bytes would be a mistake
    flux: bool = False
    said: set[str] = field(default_factory=set)
    _first_audio_at: float | None = None
    _last_app_frame_at: float | None = None
    _keepalive_seen: bool = False
    _closing_sent: bool = False

    def audio(self, at: float, data: bytes, cursor: float) -> list[Diagnosis]:
        """A frame of audio (its first :data:`HEAD_BYTES` are enough) with ``cursor`` seconds sent so far."""
        found = self._pause(at)
        if self._first_audio_at is None:
            self._first_audio_at = at
            kind = next((name for magic, name in CONTAINERS.items() if data.startswith(magic)), None)
            if self.raw and kind is not None:
                found += self._say("container-as-raw", f"the app sends {kind} while its query says raw audio "
                                   "(encoding=...): the header is heard as noise and the words may be garbled. "
                                   "Send the PCM without its header, or leave encoding and sample_rate out and "
                                   "send the file as is.")  # fmt: skip
        elapsed = at - self._first_audio_at
        if self.raw and elapsed >= PACE_AFTER_S and cursor > 0:
            pace = cursor / elapsed
            if pace > FAST:
                found += self._say("fast", f"the app sends audio {pace:.1f}x faster than real time (a file sent "
                                   "unpaced?): fine for Deepgram, but latency figures then mean nothing. Pace it "
                                   "to real time to measure latency.")  # fmt: skip
            elif pace < SLOW:
                found += self._say("slow", f"the app sends audio at {pace:.2f}x real time: results come late "
                                   "because the audio does. Look at the app's capture and send path, not the "
                                   "model.")  # fmt: skip
        self._last_app_frame_at = at
        return found

    def control(self, at: float, kind: str) -> list[Diagnosis]:
        found = self._pause(at)
        self._last_app_frame_at = at
        self._keepalive_seen |= kind == "KeepAlive"
        self._closing_sent |= kind in ("CloseStream", "ForceEndTurn")
        return found

    def app_closed(self, cursor: float, final_end: float) -> list[Diagnosis]:
        """The app closed its side (a close frame, or the connection cut) with ``cursor`` seconds of audio sent
        and finals up to ``final_end``."""
        if self._closing_sent or cursor - final_end <= TAIL_S:
            return []
        what = "CloseStream or ForceEndTurn" if self.flux else "CloseStream"
        return self._say("tail-lost", f"the app closed without {what} with {cursor - final_end:.1f} s of "
                         f"audio not yet final: those words were lost. Send {what} and read until the server "
                         "closes.")  # fmt: skip

    def no_audio(self, code: int | None) -> list[Diagnosis]:
        """The upstream closed: had any audio come?"""
        if self._first_audio_at is not None:
            return []
        return self._say("no-audio", "no audio reached the upstream on this connection"
                         + (" (hence its 1011 NET-0001)" if code == 1011 else "")
                         + ": the app opened the socket but never sent audio frames (queued before the open and "
                         "dropped, or a proxy that does not relay binary frames?).")  # fmt: skip

    def _pause(self, at: float) -> list[Diagnosis]:
        if self.flux or self._keepalive_seen or self._last_app_frame_at is None:
            return []
        gap = at - self._last_app_frame_at
        if gap < PAUSE_S:
            return []
        return self._say("no-keepalive", f"the app paused {gap:.0f} s without KeepAlive: Deepgram closes an "
                         "idle stream with 1011 NET-0001 after about 10 s. Send {\"type\":\"KeepAlive\"} every 3-5 s "
                         "while no audio goes.")  # fmt: skip

    def _say(self, code: str, message: str) -> list[Diagnosis]:
        if code in self.said:
            return []
        self.said.add(code)
        return [Diagnosis(code, message)]
