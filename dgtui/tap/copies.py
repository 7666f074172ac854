"""The copies of the traffic the forwarding process hands to the process that analyses it, no I/O: one record per
thing the relay saw, timed where it was forwarded (``time.monotonic`` is one clock for every process on a
machine), in the order it was forwarded.

A record is a header, ``!BIId`` (kind, connection number, payload length, time), then the payload: a request's
peer and head, an answer's head, a chunk of either side's bytes, the end of a connection and why, or the mark
that its copies were dropped (the analysing process fell behind; the traffic went on whole), or a fault fired.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

HEADER = struct.Struct("!BIId")
READY, OPENED, ANSWERED, FROM_APP, FROM_UPSTREAM, ENDED, DROPPED, FAILED, FAULT = range(1, 10)


class Record(NamedTuple):
    kind: int
    connection: int
    at: float
    payload: bytes


def pack(kind: int, connection: int, at: float, payload: bytes = b"") -> bytes:
    return HEADER.pack(kind, connection, len(payload), at) + payload


def opened(connection: int, at: float, peer: str, head: bytes) -> bytes:
    return pack(OPENED, connection, at, peer.encode() + b"\n" + head)


def split_opened(payload: bytes) -> tuple[str, bytes]:
    """An OPENED record's peer and request head."""
    peer, _, head = payload.partition(b"\n")
    return peer.decode(), head


class RecordReader:
    """Records from a byte stream fed in pieces."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Record]:
        self._buffer += data
        records, offset = [], 0
        while len(self._buffer) - offset >= HEADER.size:
            kind, connection, length, at = HEADER.unpack_from(self._buffer, offset)
            end = offset + HEADER.size + length
            if len(self._buffer) < end:
                break
            records.append(Record(kind, connection, at, bytes(self._buffer[offset + HEADER.size : end])))
            offset = end
        del self._buffer[:offset]
        return records
