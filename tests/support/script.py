"""Scripts for tests, benchmarks and screenshots: the messages Deepgram sends, as timed steps for a player.

:func:`conversation` writes what Deepgram sends for spoken sentences: interims every 250 ms of audio, finals at
pauses, ``speech_final``, ``SpeechStarted`` and ``UtteranceEnd``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from dgtui.protocol.errors import CloseCode, explain_close
from dgtui.recordings.player import Step, step
from dgtui.state.events import (
    AudioProgress,
    AudioSent,
    Closed,
    Connected,
    Control,
    HandshakeTimings,
    MessageReceived,
    Reconnected,
    SessionError,
    State,
    StateChanged,
)
from dgtui.state.stream import StreamState

TIMINGS = HandshakeTimings(0.002, 0.004, 0.0, 0.011)

MODEL_INFO = {"name": "2-general-nova", "version": "2024-01-18.26916", "arch": "nova-3"}
MODEL_UUID = "40bd3654-e622-47c4-a111-63a61b23bfe2"


def message(at: float, data: dict[str, Any] | str, cursor: float | None = None) -> Step:
    """A server message arriving ``at`` (``cursor``: the audio sent by then; None: what the script sent)."""
    raw = data if isinstance(data, str) else json.dumps(data)
    return step(at, MessageReceived("", raw, None, 0.0, cursor))


def audio(at: float, cursor: float, level_db: float = -20.0, size: int = 3200) -> Step:
    return step(at, AudioSent("", size, cursor, level_db))


def connect(at: float, url: str, request_id: str) -> Step:
    return step(at, Connected("", url, request_id, TIMINGS), StateChanged("", State.STREAMING))


def reconnect(at: float, url: str, request_id: str, *, dropped_at: float) -> Step:
    """A new connection after the one lost at ``dropped_at`` (script seconds): connected, and the gap said."""

    def reconnected(state: StreamState) -> Reconnected:
        return Reconnected("", request_id, state.connection.offset, round(at - dropped_at, 6))

    return step(at, Connected("", url, request_id, TIMINGS), reconnected, StateChanged("", State.STREAMING))


def drop(at: float, explanation: str = "the connection was lost") -> Step:
    """The connection lost (no close frame), and a reconnect begun from where the finals reached."""
    return step(at, Closed("", None, "", explanation), lambda s: Control(s.name, "reconnect", s.committed_until()))


def fail(at: float, text: str, detail: str = "") -> Step:
    return step(at, SessionError("", text, detail), StateChanged("", State.ERROR))


def close(at: float, code: int = CloseCode.NORMAL, reason: str = "") -> Step:
    clean = code == CloseCode.NORMAL
    return step(at, StateChanged("", State.CLOSED if clean else State.ERROR),
                Closed("", code, reason, explain_close(code, reason), clean))  # fmt: skip


def results(
    words: Sequence[tuple[str, float, float, float]],
    *,
    start: float,
    end: float,
    is_final: bool = False,
    speech_final: bool = False,
    from_finalize: bool = False,
    channel: int = 0,
    channels: int = 1,
    speaker: int | None = None,
    request_id: str = "",
) -> dict[str, Any]:
    """A Results message for (word, start, end, confidence) tuples, shaped like Deepgram's."""
    word_objects = []
    for word, w_start, w_end, confidence in words:
        item: dict[str, Any] = {
            "word": word.lower().strip(".,?!"),
            "start": round(w_start, 3),
            "end": round(w_end, 3),
            "confidence": confidence,
            "punctuated_word": word,
        }
        if speaker is not None:
            item["speaker"] = speaker
        word_objects.append(item)
    transcript = " ".join(w[0] for w in words)
    return {
        "type": "Results",
        "channel_index": [channel, channels],
        "duration": round(end - start, 3),
        "start": round(start, 3),
        "is_final": is_final,
        "speech_final": speech_final,
        "from_finalize": from_finalize,
        "channel": {"alternatives": [{"transcript": transcript, "confidence": 0.98, "words": word_objects}]},
        "metadata": {"request_id": request_id, "model_info": MODEL_INFO, "model_uuid": MODEL_UUID},
    }


def conversation(
    sentences: Iterable[str],
    *,
    start: float = 0.6,
    word_seconds: float = 0.32,
    pause: float = 1.2,
    latency: float = 0.15,
    request_id: str = "",
    speakers: Sequence[int] | None = None,
    low_confidence: Callable[[str], bool] = lambda word: False,
    channel: int = 0,
    channels: int = 1,
) -> Iterator[Step]:
    """The messages of a live stream of ``sentences``, in order of arrival, with audio steps every 100 ms."""
    t = start
    for index, sentence in enumerate(sentences):
        speaker = speakers[index % len(speakers)] if speakers else None
        words = []
        for word in sentence.split():
            confidence = 0.42 if low_confidence(word) else 0.97
            words.append((word, t, t + word_seconds * 0.9, confidence))
            t += word_seconds
        utterance_start, utterance_end = words[0][1], words[-1][2]
        yield message(
            utterance_start + 0.08,
            {"type": "SpeechStarted", "channel": [channel, channels], "timestamp": round(utterance_start, 3)},
        )
        window_start = max(0.0, utterance_start - 0.3)

        def window(heard: list[Any], end: float, final: bool = False, start: float = window_start,
                   who: int | None = speaker) -> dict[str, Any]:  # fmt: skip
            return results(heard, start=start, end=end, is_final=final, speech_final=final, channel=channel,
                           channels=channels, speaker=who, request_id=request_id)  # fmt: skip

        cursor = utterance_start + 0.25
        while cursor < utterance_end:
            heard = [w for w in words if w[2] <= cursor]
            if heard:
                yield message(cursor + latency, window(heard, cursor), cursor + latency)
            cursor += 0.25
        final_at = utterance_end + 0.3
        yield message(final_at + latency, window(words, final_at, final=True), final_at + latency)
        yield message(
            utterance_end + 1.0 + latency,
            {"type": "UtteranceEnd", "channel": [channel, channels], "last_word_end": round(utterance_end, 3)},
            utterance_end + 1.0 + latency,
        )
        t = utterance_end + pause


def word_times(
    sentences: Iterable[str], *, start: float = 0.6, word_seconds: float = 0.32, pause: float = 1.2
) -> tuple[tuple[str, float, float], ...]:
    """The true word times of :func:`conversation`'s speech (same defaults): a reference with word times."""
    timed, t = [], start
    for sentence in sentences:
        for word in sentence.split():
            timed.append((word, round(t, 3), round(t + word_seconds * 0.9, 3)))
            t += word_seconds
        t = timed[-1][2] + pause
    return tuple(timed)


def audio_steps(until: float, level: Callable[[float], float] | None = None, every: float = 0.1) -> Iterator[Step]:
    """Audio sent every ``every`` seconds (3200 bytes each), told once a second as a live stream tells it."""
    level = level or (lambda t: -18.0 - 6.0 * math.sin(t * 3.0))
    told: float | None = None
    for i in range(1, int(until / every) + 1):
        t = round(i * every, 3)
        sent = AudioSent("", 3200, t, level(t))
        if told is None or t - told >= 1.0:
            told = t
            yield step(t, sent, AudioProgress("", t, level(t), 0.0, 3200 * i))
        else:
            yield step(t, sent)


def flux_turns(
    sentences: Iterable[str],
    *,
    start: float = 0.6,
    word_seconds: float = 0.32,
    pause: float = 1.0,
    latency: float = 0.12,
    request_id: str = "",
    resume_after: int | None = None,
) -> Iterator[Step]:
    """What Flux sends for ``sentences``, one turn each: ``Connected``, an ``Update`` every 0.25 s of audio,
    ``StartOfTurn`` at the first word, ``EagerEndOfTurn`` 0.35 s after the last, ``EndOfTurn`` 0.5 s after it.
    ``resume_after``: the turn of that index pauses mid-way (an eager end) and goes on (``TurnResumed``)."""
    sequence = iter(range(1_000_000))
    yield message(0.05, {"type": "Connected", "request_id": request_id, "sequence_id": next(sequence)})
    t, cursor, index = start, 0.25, 0

    def info(event: str, heard: list[tuple[str, float, float]], end: float, confidence: float, **extra: Any) -> Step:
        body = {
            "type": "TurnInfo", "request_id": request_id, "sequence_id": next(sequence), "event": event,
            "turn_index": index, "audio_window_start": round(heard[0][1] if heard else 0.0, 3),
            "audio_window_end": round(end, 3), "transcript": " ".join(w for w, _, _ in heard),
            "words": [{"word": w, "confidence": 0.95, "start": round(s, 3), "end": round(e, 3)} for w, s, e in heard],
            "end_of_turn_confidence": confidence, **extra,
        }  # fmt: skip
        return message(end + latency, body, end + latency)

    for index, sentence in enumerate(sentences):
        words = []
        for position, word in enumerate(sentence.split()):
            if index == resume_after and position == len(sentence.split()) // 2:
                t += 0.45  # a pause mid-turn: long enough for an eager end, too short for the end
            words.append((word, t, t + word_seconds * 0.9))
            t += word_seconds
        while cursor < words[0][1]:
            yield info("Update", [], cursor, 0.0)
            cursor += 0.25
        started = eager = False
        while True:
            heard = [w for w in words if w[2] <= cursor]
            silence = cursor - (heard[-1][2] if heard else cursor)
            confidence = round(min(0.99, silence * 1.6), 2) if heard else 0.0
            if heard and not started:
                yield info("StartOfTurn", heard, cursor, 0.0)
                started = True
            elif heard == words and silence >= 0.5:
                yield info("EndOfTurn", heard, cursor, max(confidence, 0.8), trigger="model")
                cursor += 0.25
                break
            elif heard and silence >= 0.35 and not eager:
                yield info("EagerEndOfTurn", heard, cursor, confidence)
                eager = True
            elif eager and silence < 0.35:
                yield info("TurnResumed", heard, cursor, confidence)
                eager = False
            else:
                yield info("Update", heard, cursor, confidence)
            cursor += 0.25
        t += pause
