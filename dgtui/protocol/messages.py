"""Typed server -> client messages of Deepgram's live API.

Decoding uses msgspec with a tagged union on ``type``: one pass, no intermediate dicts. Unknown fields are
ignored (Deepgram adds fields over time) and unknown ``type`` values decode to :class:`UnknownMessage`
instead of failing, so a newer server never breaks an older client.
"""

from __future__ import annotations

from typing import Any

import msgspec


class Word(msgspec.Struct, kw_only=True, omit_defaults=True):
    word: str
    start: float
    end: float
    confidence: float = 0.0
    punctuated_word: str | None = None
    speaker: int | None = None
    speaker_confidence: float | None = None
    language: str | None = None


class Alternative(msgspec.Struct, kw_only=True):
    transcript: str = ""
    confidence: float = 0.0
    words: list[Word] = msgspec.field(default_factory=list)
    languages: list[str] | None = None


class Channel(msgspec.Struct, kw_only=True):
    alternatives: list[Alternative] = msgspec.field(default_factory=list)


class ModelInfo(msgspec.Struct, kw_only=True):
    name: str = ""
    version: str = ""
    arch: str = ""


class ResultsMetadata(msgspec.Struct, kw_only=True):
    request_id: str = ""
    model_info: ModelInfo | None = None
    model_uuid: str = ""
    extra: dict[str, str] | None = None


class Results(msgspec.Struct, tag="Results", tag_field="type", kw_only=True):
    """A transcript window ``[start, start + duration)`` of one channel."""

    channel_index: list[int] = msgspec.field(default_factory=lambda: [0, 1])
    duration: float = 0.0
    start: float = 0.0
    is_final: bool = False
    speech_final: bool = False
    from_finalize: bool = False
    channel: Channel = msgspec.field(default_factory=Channel)
    metadata: ResultsMetadata = msgspec.field(default_factory=ResultsMetadata)

    @property
    def alternative(self) -> Alternative:
        alts = self.channel.alternatives
        return alts[0] if alts else _EMPTY_ALTERNATIVE

    @property
    def transcript(self) -> str:
        return self.alternative.transcript

    @property
    def end(self) -> float:
        """The transcript cursor: where this window ends, in seconds of audio."""
        return self.start + self.duration


_EMPTY_ALTERNATIVE = Alternative()


class Metadata(msgspec.Struct, tag="Metadata", tag_field="type", kw_only=True):
    """The summary sent once, just before the server closes the stream."""

    transaction_key: str = ""
    request_id: str = ""
    sha256: str = ""
    created: str = ""
    duration: float = 0.0
    channels: int = 0
    models: list[str] = msgspec.field(default_factory=list)
    model_info: dict[str, ModelInfo] = msgspec.field(default_factory=dict)
    extra: dict[str, str] | None = None


class UtteranceEnd(msgspec.Struct, tag="UtteranceEnd", tag_field="type", kw_only=True):
    channel: list[int] = msgspec.field(default_factory=lambda: [0, 1])
    last_word_end: float = 0.0


class SpeechStarted(msgspec.Struct, tag="SpeechStarted", tag_field="type", kw_only=True):
    channel: list[int] = msgspec.field(default_factory=lambda: [0, 1])
    timestamp: float = 0.0


class Error(msgspec.Struct, tag="Error", tag_field="type", kw_only=True):
    """An in-band error; ``SchemaError`` means the server could not parse a text frame we sent."""

    variant: str = ""
    description: str = ""
    message: str = ""
    code: str | None = None


class ConfigureSuccess(msgspec.Struct, tag="ConfigureSuccess", tag_field="type", kw_only=True):
    request_id: str = ""
    keyterms: list[str] | None = None


class ConfigureFailure(msgspec.Struct, tag="ConfigureFailure", tag_field="type", kw_only=True):
    request_id: str = ""
    code: str = ""
    description: str = ""


class UnknownMessage(msgspec.Struct, kw_only=True):
    """A message whose ``type`` dgtui does not know (or that is not an object); kept whole for inspection."""

    type: str
    data: Any = None


KnownMessage = Results | Metadata | UtteranceEnd | SpeechStarted | Error | ConfigureSuccess | ConfigureFailure
ServerMessage = KnownMessage | UnknownMessage

_known_decoder: msgspec.json.Decoder[KnownMessage] = msgspec.json.Decoder(KnownMessage)
_any_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder()


def shifted(message: ServerMessage, offset: float) -> ServerMessage:
    """The message with its audio times moved by ``offset`` seconds.

    A new connection counts audio from zero; shifting by the audio sent before it keeps one timeline.
    """
    replace = msgspec.structs.replace
    if isinstance(message, Results):
        channel = replace(
            message.channel,
            alternatives=[
                replace(a, words=[replace(w, start=w.start + offset, end=w.end + offset) for w in a.words])
                for a in message.channel.alternatives
            ],
        )
        return replace(message, start=message.start + offset, channel=channel)
    if isinstance(message, UtteranceEnd):
        return replace(message, last_word_end=message.last_word_end + offset)
    if isinstance(message, SpeechStarted):
        return replace(message, timestamp=message.timestamp + offset)
    return message


def decode_message(raw: str | bytes) -> ServerMessage:
    """Decode one text frame from the server.

    Raises :class:`msgspec.DecodeError` only when the frame is not JSON at all; every JSON value decodes,
    unknown or ill-typed ones to :class:`UnknownMessage`.
    """
    try:
        return _known_decoder.decode(raw)
    except msgspec.ValidationError:
        return unknown_message(raw)


def unknown_message(raw: str | bytes) -> UnknownMessage:
    """A JSON frame no known type fits, kept whole (raises :class:`msgspec.DecodeError` when it is not JSON)."""
    data = _any_decoder.decode(raw)
    kind = data.get("type") if isinstance(data, dict) else None
    return UnknownMessage(type=kind if isinstance(kind, str) else "", data=data)
