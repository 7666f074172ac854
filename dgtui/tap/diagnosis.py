"""The classic mistakes an application makes on a live stream, seen from the tap, each said once with what to do.
No I/O: fed what the tap saw, in order, with the time it saw it, and ticked about once a second (a mistake such as
no audio at all shows in what does not come)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dgtui.audio.containers import CONTAINER_HEAD, container_of

HEAD_BYTES = CONTAINER_HEAD  # the first bytes of the audio that say whether it is a container
NO_AUDIO_S = 5.0  # connected this long without audio: said before Deepgram's NET-0001 (at about 10 s) comes
PACE_AFTER_S = 5.0  # wall seconds of sending before the pace is judged
FAST, SLOW = 1.5, 0.8  # audio seconds per wall second beyond which the pace is worth saying
PAUSE_S = 8.0  # a gap in the app's frames this long without KeepAlive (Deepgram closes at about 10 s)
TAIL_S = 0.5  # audio sent after the last final beyond which a close without CloseStream loses words
RATES = (8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000)  # sample rates audio is captured at
RATE_MATCH = 0.02  # a steady pace within 2 % of a ratio of two of them: the query's sample_rate is wrong
PACE_CODES = ("fast", "slow", "sample-rate")  # the pace is judged once: the first of these said is the one


@dataclass(frozen=True)
class Diagnosis:
    code: str
    summary: str  # a few words, for the card
    message: str  # what happened and what to do


@dataclass
class Diagnostician:
    """One tapped stream's mistakes; every method returns the diagnoses it newly found."""

    raw: bool  # the query declares raw audio (``encoding``): a container's bytes would be a mistake
    flux: bool = False
    sample_rate: int | None = None  # the query's
    opened_at: float = 0.0
    said: set[str] = field(default_factory=set)
    _first_audio_at: float | None = None
    _first_cursor: float = 0.0
    _last_app_frame_at: float | None = None
    _keepalive_seen: bool = False
    _closing_sent: bool = False

    def audio(self, at: float, data: bytes, cursor: float, header_rate: int | None = None) -> list[Diagnosis]:
        """A frame of audio (its first :data:`HEAD_BYTES` are enough) with ``cursor`` seconds sent so far;
        ``header_rate``: the rate a WAV header sent as raw audio declares."""
        found = self._pause(at)
        if self._first_audio_at is None:
            self._first_audio_at, self._first_cursor = at, cursor
            container = container_of(data)
            kind = container.name if container is not None and container.certain else None
            if self.raw and kind is not None:
                found += self._say("container-as-raw", f"{kind.split(' (')[0]} sent as raw audio",
                                   f"the app sends {kind} while its query says raw audio (encoding=...): the "
                                   "header is heard as noise and the words may be garbled. Send the PCM without "
                                   "its header, or leave encoding and sample_rate out and send the file as "
                                   "is.")  # fmt: skip
        if header_rate and self.sample_rate and header_rate != self.sample_rate:
            found += self._rate_mismatch(header_rate, "its WAV header says")
        elapsed = at - self._first_audio_at
        if self.raw and elapsed >= PACE_AFTER_S and not self.said.intersection(PACE_CODES):
            found += self._pace((cursor - self._first_cursor) / elapsed)  # from the first frame's end: exact
        self._last_app_frame_at = at
        return found

    def control(self, at: float, kind: str) -> list[Diagnosis]:
        found = self._pause(at)
        self._last_app_frame_at = at
        self._keepalive_seen |= kind == "KeepAlive"
        self._closing_sent |= kind in ("CloseStream", "ForceEndTurn")
        return found

    def tick(self, at: float) -> list[Diagnosis]:
        """What the passing time says: no audio yet, or a pause going on without KeepAlive."""
        if self._first_audio_at is None and at - self.opened_at >= NO_AUDIO_S:
            return self._no_audio(f"{at - self.opened_at:.0f} s after the open")
        return self._pause(at)

    def app_closed(self, cursor: float, final_end: float) -> list[Diagnosis]:
        """The app closed its side (a close frame, or the connection cut) with ``cursor`` seconds of audio sent
        and finals up to ``final_end``."""
        if self._closing_sent or cursor - final_end <= TAIL_S:
            return []
        what = "CloseStream or ForceEndTurn" if self.flux else "CloseStream"
        return self._say("tail-lost", f"closed without {what}: {cursor - final_end:.1f} s lost",
                         f"the app closed without {what} with {cursor - final_end:.1f} s of audio not yet final: "
                         f"those words were lost. Send {what} and read until the server closes.")  # fmt: skip

    def no_audio(self, code: int | None) -> list[Diagnosis]:
        """The upstream closed: had any audio come?"""
        if self._first_audio_at is not None:
            return []
        return self._no_audio("on this connection" + (" (hence its 1011 NET-0001)" if code == 1011 else ""))

    def _no_audio(self, when: str) -> list[Diagnosis]:
        return self._say("no-audio", "no audio from the app",
                         f"no audio reached the upstream {when}: the app opened the socket but sends no audio "
                         "frames (queued before the open and dropped, or a proxy that does not relay binary "
                         "frames?). Deepgram closes such a stream with 1011 NET-0001 after about 10 s.")  # fmt: skip

    def _pace(self, pace: float) -> list[Diagnosis]:
        if SLOW <= pace <= FAST:
            return []
        if self.sample_rate:
            for true in RATES:
                if true != self.sample_rate and abs(pace - true / self.sample_rate) <= RATE_MATCH * pace:
                    return self._rate_mismatch(true, f"the app's steady pace of {pace:.2f}x real time suggests")
        if pace > FAST:
            return self._say("fast", f"audio sent {pace:.1f}x faster than real time",
                             f"the app sends audio {pace:.1f}x faster than real time (a file sent unpaced?): fine "
                             "for Deepgram, but latency figures then mean nothing. Pace it to real time to measure "
                             "latency.")  # fmt: skip
        return self._say("slow", f"audio sent at {pace:.2f}x real time",
                         f"the app sends audio at {pace:.2f}x real time: results come late because the audio "
                         "does. Look at the app's capture and send path, not the model.")  # fmt: skip

    def _rate_mismatch(self, true: int, evidence: str) -> list[Diagnosis]:
        return self._say("sample-rate", f"sample_rate={self.sample_rate}, audio {true} Hz?",
                         f"the query says sample_rate={self.sample_rate} but {evidence} {true} Hz: the words come "
                         f"out too fast or too slow, or not at all. Set sample_rate={true} (or resample the "
                         "audio to what the query says).")  # fmt: skip

    def _pause(self, at: float) -> list[Diagnosis]:
        if self.flux or self._keepalive_seen or self._last_app_frame_at is None:
            return []
        gap = at - self._last_app_frame_at
        if gap < PAUSE_S:
            return []
        return self._say("no-keepalive", f"paused {gap:.0f} s without KeepAlive",
                         f"the app paused {gap:.0f} s without KeepAlive: Deepgram closes an idle stream with 1011 "
                         "NET-0001 after about 10 s. Send {\"type\":\"KeepAlive\"} every 3-5 s while no audio "
                         "goes.")  # fmt: skip

    def _say(self, code: str, summary: str, message: str) -> list[Diagnosis]:
        if code in self.said:
            return []
        self.said.add(code)
        return [Diagnosis(code, summary, message)]
