"""Flux turn-taking on the local engine, without I/O: the recognizer's results in, ``TurnInfo`` events out.

Driven by audio, never by timers (as Deepgram's Flux is): every 0.25 s of audio the recognizer has processed
is a tick, which sends an ``Update`` unless the turn's state changed since the last one. The state itself is
looked at every 50 ms of audio, so a turn ends within 50 ms of its confidence crossing the threshold rather than
at the next tick. A turn starts at the first words
the engine recognizes (``StartOfTurn``); the end-of-turn confidence is the engine's evidence that speech has
stopped: ``1 - exp(-silence / 0.25 s)`` of trailing non-speech (0.70 after 0.3 s, 0.95 after 0.75 s), mapped
onto ``eot_threshold``. ``EagerEndOfTurn`` comes when it passes ``eager_eot_threshold``; new words after it send
``TurnResumed``; ``EndOfTurn`` carries the eager transcript unchanged or follows a ``TurnResumed``.
``eot_timeout_ms`` of silence ends a turn whatever the confidence (``trigger: "timeout"``), ``force_end`` does
(``"manual"``). The engine is asked to finalize before a turn ends, so the transcript of an ended turn is final,
and words it reports later for audio inside an ended turn are not counted again.

Messages come out without ``request_id`` and ``sequence_id``: the server stamps both on everything it sends,
so one counter covers every message.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

TICK_S = 0.25  # an Update every 0.25 s of audio
STEP_S = 0.05  # the turn's state is looked at every 50 ms of audio
CONFIDENCE_TAU_S = 0.25  # how fast trailing silence builds end-of-turn confidence


def confidence(silence_s: float) -> float:
    """End-of-turn confidence after ``silence_s`` of trailing non-speech (0 while speaking, below 1 always)."""
    return round(min(0.99, 1 - math.exp(-max(0.0, silence_s) / CONFIDENCE_TAU_S)), 3)


@dataclass
class TurnSettings:
    eot_threshold: float = 0.7
    eager_eot_threshold: float | None = None
    eot_timeout_ms: int = 5000

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> TurnSettings:
        return cls(
            eot_threshold=float(options.get("eot_threshold", 0.7)),
            eager_eot_threshold=options.get("eager_eot_threshold"),
            eot_timeout_ms=int(options.get("eot_timeout_ms", 5000)),
        )


class FluxTurns:
    """One stream's turns; ``emit`` gets each TurnInfo as a dict, ``finalize`` asks the engine for its final words."""

    def __init__(
        self, settings: TurnSettings, emit: Callable[[dict[str, Any]], None], finalize: Callable[[], None]
    ) -> None:
        self.settings = settings
        self._emit = emit
        self._finalize = finalize
        self.turn_index = 0
        self.in_turn = False
        self._eager_transcript: str | None = None  # set while an EagerEndOfTurn stands
        self._committed: list[dict[str, Any]] = []  # final words of this turn
        self._pending: list[dict[str, Any]] = []  # the engine's current hypothesis after them
        self._ended_at = 0.0  # audio before this point belongs to ended turns
        self._window_start = 0.0
        self._position = 0.0  # audio the engine has processed
        self._next_tick = TICK_S
        self._next_step = STEP_S
        self._changed = False  # a state change since the last tick: that tick sends no Update
        self._speech_end = 0.0  # where speech was last heard (voice or a word's end)
        self._confidence = 0.0

    # -- input ---------------------------------------------------------------------------------------------

    def results(self, message: dict[str, Any]) -> None:
        """A v1 Results from the recognizer: its words join the turn (final ones are kept)."""
        if message.get("type") != "Results":
            return
        alternatives = message.get("channel", {}).get("alternatives") or [{}]
        words = [w for w in alternatives[0].get("words", []) if w["end"] > self._ended_at]
        self._position = max(self._position, message.get("start", 0.0) + message.get("duration", 0.0))
        if message.get("is_final"):
            # A final search can come back empty where the partial one had words (pocketsphinx on a long
            # utterance): the last hypothesis is then the best the engine has, and the turn keeps it.
            self._committed.extend(words or self._pending)
            self._pending = []
        else:
            self._pending = words
        if words:
            self._speech_end = max(self._speech_end, words[-1]["end"])
        if not self.in_turn and self._words():
            self.in_turn = True
            self._window_start = self._words()[0]["start"]
            self._send("StartOfTurn")
        elif self._eager_transcript is not None and self._transcript() != self._eager_transcript:
            self._eager_transcript = None
            self._send("TurnResumed")

    def audio(self, position: float, voice_end: float) -> None:
        """The engine has processed audio up to ``position``; speech was last heard at ``voice_end``."""
        self._position = position
        if self.in_turn:
            self._speech_end = max(self._speech_end, voice_end)
        while self._next_step <= position + 1e-9:
            at, self._next_step = self._next_step, round(self._next_step + STEP_S, 6)
            self._changed = self._step(at) or self._changed
            if at + 1e-9 >= self._next_tick:
                if not self._changed:
                    self._send("Update", window_end=at)
                self._changed = False
                self._next_tick = round(self._next_tick + TICK_S, 6)

    def force_end(self) -> bool:
        """``ForceEndTurn``: the turn ends now (True), or there is no turn to end (False)."""
        if not self.in_turn:
            return False
        self._end("manual")
        return True

    def configure(self, settings: TurnSettings) -> None:
        self.settings = settings

    def flush(self) -> None:
        """``CloseStream``: the last Update for the audio left over; no EndOfTurn (as Deepgram does)."""
        if self._position > self._next_tick - TICK_S + 1e-9:
            self._send("Update")

    # -- ticks ---------------------------------------------------------------------------------------------

    def _step(self, at: float) -> bool:
        """Look at the turn at ``at`` seconds of audio; True when its state changed (an event was sent)."""
        if not self.in_turn:
            self._confidence = 0.0
            return False
        silence = at - self._speech_end
        self._confidence = confidence(silence)
        eager = self.settings.eager_eot_threshold
        if silence * 1000 >= self.settings.eot_timeout_ms:
            self._end("timeout", at)
        elif self._confidence >= self.settings.eot_threshold:
            self._end("model", at)
        elif eager is not None and self._eager_transcript is None and self._confidence >= eager:
            if self._pending:  # the eager transcript is the one EndOfTurn will carry: the engine's final words
                self._finalize()
            self._eager_transcript = self._transcript()
            self._send("EagerEndOfTurn", window_end=at)
        else:
            return False
        return True

    def _end(self, trigger: str, at: float | None = None) -> None:
        if self._pending:  # the engine's final words for the turn; if they differ from an eager end's,
            self._finalize()  # results() sends TurnResumed first, so EndOfTurn never contradicts the eager one
        self._send("EndOfTurn", window_end=at, trigger=trigger)
        self._ended_at = max([self._speech_end, *(w["end"] for w in self._words())])
        self.turn_index += 1
        self.in_turn = False
        self._eager_transcript = None
        self._committed, self._pending = [], []
        self._window_start = at if at is not None else self._position

    # -- messages ------------------------------------------------------------------------------------------

    def _words(self) -> list[dict[str, Any]]:
        return self._committed + self._pending

    def _transcript(self) -> str:
        return " ".join(w.get("punctuated_word") or w["word"] for w in self._words())

    def _send(self, event: str, window_end: float | None = None, trigger: str | None = None) -> None:
        words = self._words()
        message: dict[str, Any] = {
            "type": "TurnInfo",
            "event": event,
            "turn_index": self.turn_index,
            "audio_window_start": round(self._window_start, 3),
            "audio_window_end": round(window_end if window_end is not None else self._position, 3),
            "transcript": self._transcript(),
            "words": [
                {
                    "word": w.get("punctuated_word") or w["word"],
                    "confidence": round(w.get("confidence", 0.0), 4),
                    "start": w["start"],
                    "end": w["end"],
                }
                for w in words
            ],
            "end_of_turn_confidence": self._confidence if self.in_turn else 0.0,
        }
        if trigger is not None:
            message["trigger"] = trigger
        self._emit(message)
