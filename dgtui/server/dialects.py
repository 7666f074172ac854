"""What differs between ``/v1/listen`` (Nova) and ``/v2/listen`` (Flux) on the local server, as two dialects.

A stream's pump (:mod:`dgtui.server.stream`) moves frames; its dialect says what a client's text frame means,
what the engine's messages become on the wire, what is sent first and last, and how a clean stream closes.
Nova forwards the engine's Results as they are and ends with Metadata and 1000. Flux greets with ``Connected``,
stamps one ``sequence_id`` counter (and the ``request_id``) on every message, takes ``Configure`` and
``ForceEndTurn``, and closes after ``CloseStream`` without a status code (clients see 1005), as Deepgram does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

import msgspec

from dgtui.protocol.errors import CloseCode
from dgtui.protocol.flux import (
    DEFAULT_EOT_THRESHOLD,
    DEFAULT_EOT_TIMEOUT_MS,
    OptionError,
    check_flux_options,
)
from dgtui.server.engine import ipc
from dgtui.server.engine_info import model_info, model_uuid

MAX_ECHOED_TEXT = 512  # bytes of an unparsable client message quoted back in a SchemaError
ENGINE_OPTIONS_FOR_FLUX = {"interim_results": True, "punctuate": True, "endpointing": 300}


def _json(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"))


@dataclass
class Reply:
    """What a client's text frame leads to."""

    send: list[str] = field(default_factory=list)  # text frames to the client
    to_engine: list[tuple[bytes, bytes]] = field(default_factory=list)  # frames to the engine worker
    close: bool = False  # CloseStream: flush, then close
    fatal: tuple[int, str] | None = None  # close at once with this code and reason


class StreamContextLike(Protocol):
    request_id: str
    options: dict[str, Any]
    created: str

    def results_metadata(self) -> dict[str, Any]: ...


class Dialect(Protocol):
    clean_close_code: int

    def engine_config(self) -> dict[str, Any]: ...
    def greeting(self) -> list[str]: ...
    def control(self, text: str) -> Reply: ...
    def from_engine(self, payload: bytes) -> str | None: ...
    def farewell(self, report: dict[str, Any], sha256: str) -> list[str]: ...
    def idle_error(self) -> str | None: ...


def _parse(text: str) -> tuple[str | None, Any]:
    try:
        message = json.loads(text)
    except ValueError:
        return None, None
    kind = message.get("type") if isinstance(message, dict) else None
    return (kind if isinstance(kind, str) else None), message


class NovaDialect:
    """``/v1/listen``: KeepAlive, Finalize, CloseStream, Configure in; Results as they are, Metadata last."""

    clean_close_code = CloseCode.NORMAL

    def __init__(self, context: StreamContextLike) -> None:
        self.context = context

    def engine_config(self) -> dict[str, Any]:
        return {"options": self.context.options}

    def greeting(self) -> list[str]:
        return []

    def control(self, text: str) -> Reply:
        kind, message = _parse(text)
        if kind == "KeepAlive":
            return Reply()
        if kind == "CloseStream":
            return Reply(close=True)
        if kind == "Finalize":
            channel = message.get("channel")
            payload = json.dumps({"channel": channel if isinstance(channel, int) else None}).encode()
            return Reply(to_engine=[(ipc.FINALIZE, payload)])
        if kind == "Configure":
            return Reply(send=[_json(self._configure_reply(message))])
        error = {
            "type": "Error",
            "variant": "SchemaError",
            "description": "Could not parse the text message: expected JSON with a 'type' of KeepAlive, "
            "Finalize, CloseStream or Configure.",
            "message": text[:MAX_ECHOED_TEXT],
        }
        return Reply(send=[_json(error)])

    def _configure_reply(self, message: dict[str, Any]) -> dict[str, Any]:
        if message.get("keyterms"):
            return {
                "type": "ConfigureFailure",
                "request_id": self.context.request_id,
                "code": "CONFIGURE_KEYTERMS_NOT_SUPPORTED",
                "description": "The local engine does not support keyterms.",
            }
        return {"type": "ConfigureSuccess", "request_id": self.context.request_id}

    def from_engine(self, payload: bytes) -> str | None:
        return payload.decode()

    def farewell(self, report: dict[str, Any], sha256: str) -> list[str]:
        uuid = model_uuid(self.context.engine)
        metadata: dict[str, Any] = {
            "type": "Metadata",
            "transaction_key": "deprecated",
            "request_id": self.context.request_id,
            "sha256": sha256,
            "created": self.context.created,
            "duration": report.get("duration", 0.0),
            "channels": report.get("channels", 0),
            "models": [uuid],
            "model_info": {uuid: model_info(self.context.engine)},
        }
        extra = self.context.results_metadata().get("extra")
        if extra:
            metadata["extra"] = extra
        return [_json(metadata)]

    def idle_error(self) -> str | None:
        return None  # v1 says it in the close reason (NET-0001)


class _Thresholds(msgspec.Struct, forbid_unknown_fields=True):
    eot_threshold: float | None = None
    eager_eot_threshold: float | None = None
    eot_timeout_ms: int | None = None


class _Configure(msgspec.Struct, forbid_unknown_fields=True, tag="Configure", tag_field="type"):
    thresholds: _Thresholds | None = None
    keyterms: list[str] | None = None
    language_hints: list[str] | None = None
    numerals: bool | None = None


class FluxDialect:
    """``/v2/listen``: Configure, ForceEndTurn, CloseStream in; Connected, TurnInfo, replies, one sequence."""

    clean_close_code = CloseCode.NO_STATUS  # a close frame without a code: how Flux ends a stream after CloseStream

    def __init__(self, context: StreamContextLike) -> None:
        self.context = context
        self.sequence_id = 0
        options = context.options
        self.thresholds: dict[str, Any] = {
            "eot_threshold": options.get("eot_threshold", DEFAULT_EOT_THRESHOLD),
            "eager_eot_threshold": options.get("eager_eot_threshold"),
            "eot_timeout_ms": options.get("eot_timeout_ms", DEFAULT_EOT_TIMEOUT_MS),
        }
        self.keyterms: list[str] = list(options.get("keyterm", []))
        self.language_hints: list[str] = list(options.get("language_hint", []))
        self.numerals = bool(options.get("numerals", False))

    def _stamp(self, message: dict[str, Any], with_request_id: bool = True) -> str:
        """Every message takes the next ``sequence_id``; all but the fatal Error carry the ``request_id``."""
        stamped = {"type": message["type"]}
        if with_request_id:
            stamped["request_id"] = self.context.request_id
        stamped["sequence_id"] = self.sequence_id
        self.sequence_id += 1
        stamped.update((k, v) for k, v in message.items() if k != "type")
        return _json(stamped)

    def engine_config(self) -> dict[str, Any]:
        engine = {**ENGINE_OPTIONS_FOR_FLUX, "numerals": self.numerals}
        for key in ("encoding", "sample_rate"):
            if key in self.context.options:
                engine[key] = self.context.options[key]
        return {"options": engine, "flux": dict(self.thresholds)}

    def greeting(self) -> list[str]:
        return [self._stamp({"type": "Connected"})]

    def control(self, text: str) -> Reply:
        kind, _ = _parse(text)
        if kind == "CloseStream":
            return Reply(close=True)
        if kind == "ForceEndTurn":
            return Reply(to_engine=[(ipc.FORCE_END, b"")])
        if kind == "Configure":
            return self._configure(text)
        # KeepAlive and Finalize are v1 messages: Deepgram ends a v2 stream that sends them (the safe reading
        # of a user's report; no document says otherwise). Anything else is not a v2 message either.
        described = f"'{kind}' is not a /v2/listen message" if kind else "the text frame is not a JSON message"
        return self._fatal(
            "UNPARSABLE_CLIENT_MESSAGE",
            f"Could not parse the client message: {described}. Send Configure, ForceEndTurn or CloseStream "
            "as text; audio as binary frames; WebSocket pings keep the connection open.",
        )

    def _fatal(self, code: str, description: str) -> Reply:
        error = self._stamp({"type": "Error", "code": code, "description": description}, with_request_id=False)
        return Reply(send=[error], fatal=(CloseCode.POLICY, code))

    def _configure(self, text: str) -> Reply:
        """Atomic: every field applies, or none does (ConfigureFailure); a wrong shape is fatal."""
        try:
            configure = msgspec.json.decode(text, type=_Configure)
        except msgspec.ValidationError as exc:
            return self._fatal("UNPARSABLE_CLIENT_MESSAGE", f"Could not parse the Configure message: {exc}.")
        thresholds = dict(self.thresholds)
        if configure.thresholds is not None:
            given = msgspec.structs.asdict(configure.thresholds)
            thresholds.update({k: v for k, v in given.items() if v is not None})
        try:
            if configure.language_hints and self.context.options.get("model") != "flux-general-multi":
                raise OptionError("language_hints", "language_hints are only for flux-general-multi.")
            check_flux_options({"model": self.context.options.get("model"), **_set(thresholds)})
        except OptionError as exc:
            failure = {"type": "ConfigureFailure", "code": "INVALID_CONFIGURATION", "description": exc.message}
            return Reply(send=[self._stamp(failure)])
        self.thresholds = thresholds
        if configure.keyterms is not None:
            self.keyterms = list(configure.keyterms)
        if configure.language_hints is not None:
            self.language_hints = list(configure.language_hints)
        if configure.numerals is not None:
            self.numerals = configure.numerals
        success: dict[str, Any] = {
            "type": "ConfigureSuccess",
            "thresholds": _set(self.thresholds),
            "keyterms": self.keyterms,
            "numerals": self.numerals,
        }
        if self.language_hints:
            success["language_hints"] = self.language_hints
        return Reply(send=[self._stamp(success)], to_engine=[(ipc.CONFIGURE, json.dumps(self.thresholds).encode())])

    def from_engine(self, payload: bytes) -> str | None:
        return self._stamp(json.loads(payload))

    def farewell(self, report: dict[str, Any], sha256: str) -> list[str]:
        return []  # Flux sends no summary

    def idle_error(self) -> str | None:
        description = "No audio was received for too long; the stream was closed (send audio, or WebSocket pings)."
        return self._stamp({"type": "Error", "code": "INACTIVE_CLIENT", "description": description}, False)


def _set(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}
