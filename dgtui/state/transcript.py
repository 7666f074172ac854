"""Transcript assembly from live results, the way Deepgram's docs say to do it.

* finals are committed in order; the current interim replaces the previous one (per channel);
* finals accumulate into an utterance until one has ``speech_final: true``;
* an ``UtteranceEnd`` closes the utterance only if no speech_final closed it already (a stale one after a
  speech_final is ignored);
* words keep their speaker when diarizing; each channel has its own utterances.

Closed utterances, and the display lines (each final, each end of turn), are kept in bounded deques: the full
history belongs to the session recording. Lines carry a sequence number so a view can append only what is new.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TypeVar

import msgspec

from dgtui.protocol.flux import FluxMessage
from dgtui.protocol.messages import Results, ServerMessage, UtteranceEnd, Word

M = TypeVar("M", bound=ServerMessage | FluxMessage)


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    """One line a view shows: a final's text, or the marker of an end of turn."""

    seq: int
    kind: str  # "final", or what closed a turn: "speech_final", "utterance_end", "end"
    channel: int
    start: float
    end: float
    text: str = ""
    words: tuple[Word, ...] = ()
    from_finalize: bool = False
    at: float = 0.0  # when the message that made it arrived (clock seconds): who finalized first, by how much


@dataclass
class Utterance:
    channel: int
    words: list[Word] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    closed_by: str | None = None  # "speech_final", "utterance_end", "end"

    @property
    def text(self) -> str:
        return " ".join(t for t in self.texts if t)

    @property
    def start(self) -> float:
        return self.words[0].start if self.words else 0.0

    @property
    def end(self) -> float:
        return self.words[-1].end if self.words else 0.0

    @property
    def speakers(self) -> list[int]:
        return sorted({w.speaker for w in self.words if w.speaker is not None})


@dataclass
class ChannelTranscript:
    open: Utterance | None = None
    interim: Results | None = None
    last_closed_by_speech_final: bool = True


class Transcript:
    def __init__(self, keep: int | None = 500, keep_lines: int | None = 1000) -> None:
        self.closed: deque[Utterance] = deque(maxlen=keep)
        self.lines: deque[TranscriptLine] = deque(maxlen=keep_lines)
        self.line_seq = 0  # sequence number of the newest line
        self.channels: dict[int, ChannelTranscript] = {}
        self.finals = 0
        self.utterance_count = 0
        self.final_end: dict[int, float] = {}  # per channel, where its last final ended: audio with a transcript
        self.duplicates = 0  # finals for audio already committed (sent again after a drop), kept off the transcript
        self._at = 0.0  # the arrival of the message being applied

    def committed_until(self) -> float:
        """Audio (seconds) up to which every channel has its finals: after a drop, the rest is sent again."""
        return min(self.final_end.values(), default=0.0)

    def committing(self, message: M) -> M:
        """The message as the transcript takes it: a final for audio already committed carries no words.

        After a drop, the audio since the earliest channel's last final is sent again, so another channel can
        receive a second final for audio it already has; its flags (speech_final) still count.
        """
        if not isinstance(message, Results) or not message.is_final:
            return message
        channel = message.channel_index[0] if message.channel_index else 0
        committed = self.final_end.get(channel)
        self.final_end[channel] = message.end if committed is None else max(committed, message.end)
        if committed is None or message.end > committed + 0.001 or not message.transcript:
            return message
        self.duplicates += 1
        replace = msgspec.structs.replace
        alternatives = [replace(a, transcript="", words=[]) for a in message.channel.alternatives]
        return replace(message, channel=replace(message.channel, alternatives=alternatives))

    def channel(self, index: int) -> ChannelTranscript:
        state = self.channels.get(index)
        if state is None:
            state = self.channels[index] = ChannelTranscript()
        return state

    def on_message(self, message: ServerMessage | FluxMessage, at: float = 0.0) -> Utterance | None:
        """Apply a message that arrived ``at``; returns the utterance it closed, if any."""
        self._at = at
        if isinstance(message, Results):
            return self._on_results(message)
        if isinstance(message, UtteranceEnd):
            state = self.channel(message.channel[0] if message.channel else 0)
            if state.last_closed_by_speech_final:
                return None  # stale: the turn already ended at a speech_final
            return self._close(state, "utterance_end")
        return None

    def _on_results(self, result: Results) -> Utterance | None:
        index = result.channel_index[0] if result.channel_index else 0
        state = self.channel(index)
        if not result.is_final:
            state.interim = result
            return None
        state.interim = None
        self.finals += 1
        alternative = result.alternative
        if alternative.words or alternative.transcript:
            if state.open is None:
                state.open = Utterance(index)
            state.open.words.extend(alternative.words)
            state.open.texts.append(alternative.transcript)
            state.last_closed_by_speech_final = False
            start = alternative.words[0].start if alternative.words else result.start
            self._line(
                "final", index, start, result.end, alternative.transcript, alternative.words, result.from_finalize
            )
        if result.speech_final:
            closed = self._close(state, "speech_final")
            state.last_closed_by_speech_final = True
            return closed
        return None

    def _close(self, state: ChannelTranscript, why: str, label: str = "") -> Utterance | None:
        utterance, state.open = state.open, None
        if utterance is None or not utterance.texts:
            return None
        utterance.closed_by = why
        self.closed.append(utterance)
        self._line(why, utterance.channel, utterance.start, utterance.end, label)
        self.utterance_count += 1
        state.last_closed_by_speech_final = why == "speech_final"
        return utterance

    def _line(
        self, kind: str, channel: int, start: float, end: float, text: str = "", words=(), from_finalize=False
    ) -> None:
        self.line_seq += 1
        line = TranscriptLine(self.line_seq, kind, channel, start, end, text, tuple(words), from_finalize, self._at)
        self.lines.append(line)

    def end_turn(self, channel: int, label: str) -> Utterance | None:
        """A Flux EndOfTurn closes the utterance its final opened; ``label`` says how the turn ended."""
        state = self.channel(channel)
        state.interim = None
        closed = self._close(state, "end_of_turn", label)
        state.last_closed_by_speech_final = True
        return closed

    def mark(self, kind: str, at: float, text: str) -> None:
        """A line that is not speech: a reconnect, with what a reader should know about it."""
        self._line(kind, 0, at, at, text)

    def interims(self) -> tuple[tuple[int, float, str], ...]:
        """(channel, start of its first word, text) of each channel's current interim that has words."""
        found = []
        for index, state in sorted(self.channels.items()):
            result = state.interim
            if result is not None and result.transcript:
                words = result.alternative.words
                found.append((index, words[0].start if words else result.start, result.transcript))
        return tuple(found)

    def lines_after(self, seq: int) -> list[TranscriptLine]:
        """The lines newer than ``seq`` still held (all held lines if ``seq`` has been dropped)."""
        if not self.lines or seq >= self.line_seq:
            return []
        missing = self.line_seq - seq
        if missing >= len(self.lines):
            return list(self.lines)
        return list(self.lines)[-missing:]

    def finish(self) -> list[Utterance]:
        """Close what is still open at the end of a connection; its interims will not be finalized."""
        for state in self.channels.values():
            state.interim = None
        return [u for s in self.channels.values() if (u := self._close(s, "end")) is not None]

    def text(self, channel: int | None = None) -> str:
        """Everything committed (closed utterances still in memory, then open ones)."""
        parts = [u.text for u in self.closed if channel is None or u.channel == channel]
        parts += [s.open.text for i, s in self.channels.items() if s.open and (channel is None or i == channel)]
        return " ".join(p for p in parts if p)
