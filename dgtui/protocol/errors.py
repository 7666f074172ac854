"""Close codes and reasons of the live API, and what they mean to a user."""

from __future__ import annotations

from enum import IntEnum


class CloseCode(IntEnum):
    NORMAL = 1000
    GOING_AWAY = 1001
    NO_STATUS = 1005  # a close frame without a code: Flux after CloseStream
    ABNORMAL = 1006
    POLICY = 1008  # DATA-0000: the audio could not be decoded
    TOO_BIG = 1009
    INTERNAL = 1011  # NET-0000 / NET-0001


NET0000_REASON = "Deepgram did not provide a response message within the timeout window. See https://dpgr.am/net0000"
NET0001_REASON = (
    "Deepgram did not receive audio data or a text message within the timeout window. See https://dpgr.am/net0001"
)
DATA0000_REASON = "DATA-0000: the audio could not be decoded. Check encoding, sample_rate and channels."


def explain_close(code: int | None, reason: str = "") -> str:
    """One sentence saying what a close means and what to do about it."""
    lowered = reason.lower()
    if code == CloseCode.NORMAL:
        return "The server closed the stream normally."
    if code == CloseCode.NO_STATUS:
        return "The server closed the stream without a status code (Flux does so after CloseStream)."
    if "net0001" in lowered or "net-0001" in lowered:
        return (
            "NET-0001: the server received no audio or KeepAlive for about 10 s and closed the stream. "
            "Send audio or a KeepAlive every few seconds."
        )
    if "net0000" in lowered or "net-0000" in lowered:
        return (
            "NET-0000: the server produced no result in time, usually because the audio it got was not "
            "decodable (check encoding, sample_rate and channels) or because of a server-side problem."
        )
    if (code == CloseCode.POLICY and not reason) or "data-0000" in lowered:
        return (
            "DATA-0000: the server could not decode the audio. For raw audio set encoding, sample_rate and "
            "channels to match it; for files omit encoding so the container is detected."
        )
    if code == CloseCode.TOO_BIG:
        return "A frame was larger than the server accepts; send smaller audio chunks."
    if code == CloseCode.ABNORMAL or code is None:
        return "The connection dropped without a close frame (network failure or server crash)."
    suffix = f": {reason}" if reason else ""
    return f"The server closed the stream with code {code}{suffix}."
