"""One channel of audio -> Deepgram live results, using pocketsphinx and its voice activity detector.

The timeline is tiled into result windows the way Deepgram's is: each window starts where the previous final
ended and grows until it is finalized. Inside a window, a pocketsphinx utterance runs from the first speech
(with a little pre-roll) and ends at an endpoint:

* ``endpointing=N``: N ms of non-speech after speech -> final with ``speech_final: true``;
* ``endpointing=false``: a pause of :data:`PAUSE_S` -> final with ``speech_final: false``;
* a long run of speech is cut into segment finals (``speech_final: false``) at a pause after
  :data:`MAX_SEGMENT_S`, or hard at :data:`HARD_SEGMENT_S`;
* a window of pure silence is closed by an empty final every :data:`SILENCE_FINAL_S`.

Interim results carry the decoder's partial hypothesis with word times; ``SpeechStarted`` comes from the VAD
onset and ``UtteranceEnd`` from word times (a gap of ``utterance_end_ms`` after the last word).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pocketsphinx

from dgtui.server.engine.formatting import NO_FORMATTING, Formatting, format_words, transcript_of

SAMPLE_RATE = 16_000
VAD_FRAME = 480  # samples: 30 ms, the VAD's frame
VAD_FRAME_BYTES = VAD_FRAME * 2
FRAME_S = VAD_FRAME / SAMPLE_RATE
DECODER_FRAME = 160  # samples per pocketsphinx frame (100 frames/s)

PREROLL_FRAMES = 10  # 300 ms of audio fed to the decoder before the detected onset
ONSET_WINDOW = 5  # speech starts when ONSET_SPEECH of the last ONSET_WINDOW frames are speech
ONSET_SPEECH = 3
PAUSE_S = 0.6
MIN_ENDPOINT_S = 0.06
MAX_SEGMENT_S = 10.0
HARD_SEGMENT_S = 20.0
SILENCE_FINAL_S = 5.0


@dataclass(frozen=True, slots=True)
class RecognizerSettings:
    interim_results: bool = False
    endpoint_s: float | None = 0.01  # None: endpointing disabled
    utterance_end_s: float | None = None
    vad_events: bool = False
    formatting: Formatting = NO_FORMATTING  # punctuate, numerals, smart_format
    diarize: bool = False
    interim_interval_s: float = 0.25
    silent_interim_interval_s: float = 1.0

    @classmethod
    def from_options(cls, options: dict[str, Any], interim_interval_s: float = 0.25) -> RecognizerSettings:
        endpointing = options.get("endpointing", 10)
        if endpointing is False:
            endpoint_s = None
        elif endpointing is True:
            endpoint_s = 0.01
        else:
            endpoint_s = endpointing / 1000
        interim = bool(options.get("interim_results", False))
        ue_ms = options.get("utterance_end_ms")
        return cls(
            interim_results=interim,
            endpoint_s=endpoint_s,
            utterance_end_s=ue_ms / 1000 if ue_ms and interim else None,
            vad_events=bool(options.get("vad_events", False)),
            formatting=Formatting.from_options(options),
            diarize=bool(options.get("diarize") or options.get("diarize_model")),
            interim_interval_s=interim_interval_s,
        )


#: Narrower search than pocketsphinx's defaults and no second (flat-lexicon) pass. Measured on the bundled
#: clips: RTF 0.22 -> 0.12 alone, WER 0.07-0.13 -> 0.10-0.16; with 8 real-time streams on 2 cores the
#: default search cannot keep up, this one can.
SEARCH = {"maxhmmpf": 3000, "maxwpf": 5, "pl_window": 7, "fwdflat": False}


def new_decoder() -> pocketsphinx.Decoder:
    """The en-US decoder from the model that ships inside the pocketsphinx wheel."""
    return pocketsphinx.Decoder(loglevel="FATAL", **SEARCH)


def _is_word(token: str) -> bool:
    return bool(token) and token[0] not in "<[+"


def _base_word(token: str) -> str:
    paren = token.find("(")
    return token[:paren] if paren > 0 else token


class ChannelRecognizer:
    """Recognizes one channel; calls ``emit`` with each server message as a dict, in order."""

    def __init__(
        self,
        decoder: pocketsphinx.Decoder,
        settings: RecognizerSettings,
        emit: Callable[[dict[str, Any]], None],
        metadata: dict[str, Any],
        channel: int = 0,
        channels: int = 1,
    ) -> None:
        self._decoder = decoder
        # a scripted decoder brings the detector that goes with it (dgtui.server.engine.scripted)
        self._vad = getattr(decoder, "vad", None) or pocketsphinx.Vad(pocketsphinx.Vad.LOOSE, SAMPLE_RATE, FRAME_S)
        self._settings = settings
        self._emit = emit
        self._metadata = metadata
        self._channel_index = [channel, channels]
        self._pending = b""
        self._samples = 0  # samples processed: the engine's audio cursor
        self._window_start = 0  # sample where the current result window starts
        self._in_utt = False
        self._utt_start = 0  # sample of the decoder utterance's frame 0
        self._preroll: deque[bytes] = deque(maxlen=PREROLL_FRAMES)
        self._recent: deque[bool] = deque(maxlen=ONSET_WINDOW)
        self._trailing_silence = 0  # frames
        self._last_interim_at = 0
        self._utterance_open = False  # a final without speech_final has been sent: no capital next
        self._last_word_end = -1.0
        self._utterance_end_due = False
        self._voice_end = 0  # sample where voice was last heard (Flux's end-of-turn evidence)

    @property
    def seconds(self) -> float:
        return self._samples / SAMPLE_RATE

    @property
    def voice_end(self) -> float:
        """Where voice was last heard, in seconds of audio."""
        return self._voice_end / SAMPLE_RATE

    # -- input -------------------------------------------------------------------------------------------

    def feed(self, pcm: bytes) -> None:
        """Process 16 kHz s16 mono PCM, emitting what it completes in audio order.

        An interim normally goes at the end of the feed (the freshest one, the lowest latency). A worker that
        fell behind feeds seconds at once: then an interim also goes wherever a whole extra interval has
        passed, so the cadence in audio time never drops below half, and UtteranceEnd is checked on every
        frame, so whether it fires does not depend on how the audio was batched.
        """
        data = self._pending + pcm
        end = len(data) - len(data) % VAD_FRAME_BYTES
        for offset in range(0, end, VAD_FRAME_BYTES):
            self._process_frame(data[offset : offset + VAD_FRAME_BYTES])
            self._maybe_interim(overdue=True)
            self._maybe_utterance_end()
        self._pending = data[end:]
        self._maybe_interim()

    def finalize(self) -> None:
        """Client ``Finalize``: flush the current window now, marked ``from_finalize``."""
        self._absorb_pending()
        if self._samples > self._window_start:
            self._close_window(speech_final=True, from_finalize=True)
        self._maybe_utterance_end()

    def flush(self) -> None:
        """End of stream: the last window becomes a final."""
        self._absorb_pending()
        if self._samples > self._window_start:
            self._close_window(speech_final=self._in_utt, from_finalize=False)
        self._maybe_utterance_end(force=True)

    def _absorb_pending(self) -> None:
        """Pad a partial VAD frame with silence so the tail of the audio is decoded too."""
        if self._pending:
            tail = self._pending
            self._pending = b""
            frame = tail + b"\0" * (VAD_FRAME_BYTES - len(tail))
            self._process_frame(frame, samples=len(tail) // 2)

    # -- per frame ---------------------------------------------------------------------------------------

    def _process_frame(self, frame: bytes, samples: int = VAD_FRAME) -> None:
        speech = self._vad.is_speech(frame)
        self._recent.append(speech)
        if self._in_utt:
            self._decoder.process_raw(frame, False, False)
            self._samples += samples
            self._trailing_silence = 0 if speech else self._trailing_silence + 1
            if speech:
                self._voice_end = self._samples
            self._check_endpoint(speech)
            return
        self._preroll.append(frame)
        self._samples += samples
        if sum(self._recent) >= ONSET_SPEECH:
            self._start_utterance()
        elif self._samples - self._window_start >= SILENCE_FINAL_S * SAMPLE_RATE:
            self._close_window(speech_final=self._settings.endpoint_s is not None, from_finalize=False)

    def _start_utterance(self) -> None:
        frames = list(self._preroll)
        self._preroll.clear()
        self._utt_start = self._samples - len(frames) * VAD_FRAME
        self._in_utt = True
        self._trailing_silence = 0
        self._decoder.start_utt()
        for frame in frames:
            self._decoder.process_raw(frame, False, False)
        first_speech = len(self._recent) - list(self._recent).index(True)
        onset_s = (self._samples - first_speech * VAD_FRAME) / SAMPLE_RATE
        gap_s = self._settings.utterance_end_s
        if gap_s is not None and onset_s - self._last_word_end < gap_s:
            self._utterance_end_due = False  # speech resumed inside the gap: no utterance end here
        if self._settings.vad_events:
            self._emit({"type": "SpeechStarted", "channel": self._channel_index, "timestamp": round(onset_s, 3)})

    def _check_endpoint(self, speech: bool) -> None:
        silence_s = self._trailing_silence * FRAME_S
        endpoint_s = self._settings.endpoint_s
        if endpoint_s is not None and silence_s >= max(endpoint_s, MIN_ENDPOINT_S):
            self._close_window(speech_final=True, from_finalize=False)
        elif endpoint_s is None and silence_s >= PAUSE_S:
            self._close_window(speech_final=False, from_finalize=False)
        else:
            length_s = (self._samples - self._utt_start) / SAMPLE_RATE
            if (length_s >= MAX_SEGMENT_S and not speech) or length_s >= HARD_SEGMENT_S:
                self._close_window(speech_final=False, from_finalize=False)
                self._in_utt = True  # speech goes on: a new decoder utterance starts right here
                self._utt_start = self._samples
                self._decoder.start_utt()

    # -- results -----------------------------------------------------------------------------------------

    def _close_window(self, *, speech_final: bool, from_finalize: bool) -> None:
        words: list[dict[str, Any]] = []
        if self._in_utt:
            self._decoder.end_utt()
            words = self._words(final=True)
            self._in_utt = False
            self._recent.clear()
        speech_final = speech_final and (bool(words) or self._settings.endpoint_s is not None)
        self._send_results(words, is_final=True, speech_final=speech_final, from_finalize=from_finalize)
        self._window_start = self._samples
        self._last_interim_at = self._samples
        self._preroll.clear()

    def _maybe_interim(self, overdue: bool = False) -> None:
        """An interim when one interval has passed (``overdue``: when two have)."""
        if not self._settings.interim_results or self._samples <= self._window_start:
            return
        interval = self._settings.interim_interval_s if self._in_utt else self._settings.silent_interim_interval_s
        if self._samples - self._last_interim_at < interval * SAMPLE_RATE * (2 if overdue else 1):
            return
        self._last_interim_at = self._samples
        words = self._words(final=False) if self._in_utt else []
        self._send_results(words, is_final=False, speech_final=False, from_finalize=False)

    def _maybe_utterance_end(self, force: bool = False) -> None:
        gap_s = self._settings.utterance_end_s
        if gap_s is None or not self._utterance_end_due:
            return
        if force or self.seconds - self._last_word_end >= gap_s:
            self._utterance_end_due = False
            self._emit({"type": "UtteranceEnd", "channel": self._channel_index, "last_word_end": self._last_word_end})

    def _words(self, final: bool) -> list[dict[str, Any]]:
        segments = self._decoder.seg()
        if segments is None:
            return []
        offset = self._utt_start / SAMPLE_RATE
        frame_s = DECODER_FRAME / SAMPLE_RATE
        words = []
        for seg in segments:
            if not _is_word(seg.word):
                continue
            confidence = min(1.0, max(0.0, seg.prob)) if final else 0.0
            words.append(
                {
                    "word": _base_word(seg.word),
                    "start": round(offset + seg.start_frame * frame_s, 3),
                    "end": round(offset + (seg.end_frame + 1) * frame_s, 3),
                    "confidence": round(confidence, 4),
                }
            )
        if not final and words:
            # Partial hypotheses have no posteriors yet; the last word is still changing.
            for word in words:
                word["confidence"] = 0.9
            words[-1]["confidence"] = 0.6
        return words

    def _send_results(
        self, words: list[dict[str, Any]], *, is_final: bool, speech_final: bool, from_finalize: bool
    ) -> None:
        settings = self._settings
        if words:
            closes = speech_final or (is_final and from_finalize)
            words = format_words(words, settings.formatting, open_before=self._utterance_open, closes=closes)
        if settings.diarize:
            for word in words:
                word["speaker"] = 0
        transcript = transcript_of(words, settings.formatting)
        confidence = round(sum(w["confidence"] for w in words) / len(words), 4) if words else 0.0
        start = self._window_start / SAMPLE_RATE
        duration = (self._samples - self._window_start) / SAMPLE_RATE
        self._emit(
            {
                "type": "Results",
                "channel_index": self._channel_index,
                "duration": round(duration, 5),
                "start": round(start, 5),
                "is_final": is_final,
                "speech_final": speech_final,
                "channel": {"alternatives": [{"transcript": transcript, "confidence": confidence, "words": words}]},
                "metadata": self._metadata,
                "from_finalize": from_finalize,
            }
        )
        if words and words[-1]["end"] > self._last_word_end:
            self._last_word_end = words[-1]["end"]
            self._utterance_end_due = True
        if is_final and words:
            self._utterance_open = not speech_final
