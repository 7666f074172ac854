"""Deepgram live protocol (``/v1/listen``): messages, options and control frames.

Pure and fast: nothing here imports Textual, websockets or audio code, so both the client and the local
server build on it.
"""

from dgtui.protocol.control import (
    CLOSE_STREAM,
    KEEP_ALIVE,
    configure,
    finalize,
)
from dgtui.protocol.errors import CloseCode, explain_close
from dgtui.protocol.messages import (
    Alternative,
    ConfigureFailure,
    ConfigureSuccess,
    Error,
    Metadata,
    ModelInfo,
    Results,
    ServerMessage,
    SpeechStarted,
    UnknownMessage,
    UtteranceEnd,
    Word,
    decode_message,
)
from dgtui.protocol.options import OptionError, encode_query, parse_query

__all__ = [
    "CLOSE_STREAM",
    "KEEP_ALIVE",
    "Alternative",
    "CloseCode",
    "ConfigureFailure",
    "ConfigureSuccess",
    "Error",
    "Metadata",
    "ModelInfo",
    "OptionError",
    "Results",
    "ServerMessage",
    "SpeechStarted",
    "UnknownMessage",
    "UtteranceEnd",
    "Word",
    "configure",
    "decode_message",
    "encode_query",
    "explain_close",
    "finalize",
    "parse_query",
]
